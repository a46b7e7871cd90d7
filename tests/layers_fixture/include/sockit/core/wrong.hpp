// Fixture for layers.check_catches_violations: core may not include net.
#pragma once
#include "sockit/net/address.hpp"
