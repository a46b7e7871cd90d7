// Fixture for layers.check_catches_violations: allowed includes, reported by nobody.
#include <sys/socket.h>

#include "sockit/core/error.hpp"
#include "sockit/net/address.hpp"
