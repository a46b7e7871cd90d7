// Fixture for layers.check_catches_violations: a codec is sans-I/O, it may not use a private
// sys header.
#include <sys/socket.h>

#include "sys/socket_internal.hpp"
