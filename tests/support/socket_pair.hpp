// A connected pair of Unix stream sockets for tests of the byte-moving calls: no address, no
// listener, both ends owned.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "sockit/core/unique_fd.hpp"

namespace sockit::test {

struct SocketPair {
  UniqueFd a;
  UniqueFd b;
};

/// socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | extra_flags); pass SOCK_NONBLOCK for two
/// non-blocking ends. A failure is a test failure (the ends are then invalid).
inline SocketPair make_socket_pair(int extra_flags = 0) {
  int sv[2] = {-1, -1};
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | extra_flags, 0, sv), 0);
  return {UniqueFd(sv[0]), UniqueFd(sv[1])};
}

}  // namespace sockit::test
