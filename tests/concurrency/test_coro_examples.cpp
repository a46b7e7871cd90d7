// examples/echo_coro and examples/chat_coro as subprocesses, checked by Python socket clients.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "support/process.hpp"

namespace sockit {
namespace {

using test::Process;
using namespace std::chrono_literals;

const std::string kPython = "/usr/bin/python3";

std::string example(const char* name) {
  return std::string(SOCKIT_EXAMPLES_DIR) + "/" + name;
}

// Starts an example on port 0 and returns the port it printed.
int start_on_free_port(Process& server, const char* name) {
  const std::string marker = std::string(name) + " listening on ";
  if (!server.wait_stdout(marker, 10000ms)) {
    ADD_FAILURE() << name << " did not start; stderr: " << server.err();
    return 0;
  }
  if (!server.wait_stdout("\n", 2000ms)) return 0;
  return test::port_after(server.out(), marker);
}

// Sends 1 MiB of random bytes while reading the echo concurrently, then half-closes; every
// byte must come back, in order, followed by EOF.
const char* const kEchoClient = R"PY(
import os, socket, sys, threading
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
data = os.urandom(1 << 20)
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
got = bytearray()
while True:
    b = s.recv(65536)
    if not b:
        break
    got += b
t.join()
print("ok" if bytes(got) == data else "mismatch: %d bytes back" % len(got))
)PY";

TEST(CoroExamples, EchoReturnsEveryByteToAPythonClient) {
  Process server({example("echo_coro"), "0"});
  const int port = start_on_free_port(server, "echo_coro");
  ASSERT_GT(port, 0);
  for (int round = 0; round < 2; ++round) {  // the server keeps serving after a client leaves
    auto client = test::run({kPython, "-c", kEchoClient, std::to_string(port)}, {}, 30000ms);
    EXPECT_EQ(client.exit_code, 0) << client.err;
    EXPECT_EQ(client.out, "ok\n") << client.err;
  }
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(10000ms), 0) << server.err();
}

TEST(CoroExamples, EchoRejectsABadPort) {
  auto r = test::run({example("echo_coro"), "99999"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("usage"), std::string::npos) << r.err;
}

// Three clients: names, joins, relayed lines in order, /nick, /quit and departures.
const char* const kChatClient = R"PY(
import socket, sys
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s, s.makefile("r", encoding="utf-8", newline="\n")
def expect(f, want):
    got = f.readline()
    if got != want:
        print("expected %r, got %r" % (want, got))
        sys.exit(1)
a, fa = conn(); expect(fa, "* you are user1\n")
b, fb = conn(); expect(fb, "* you are user2\n"); expect(fa, "* user2 joined\n")
c, fc = conn(); expect(fc, "* you are user3\n")
expect(fa, "* user3 joined\n"); expect(fb, "* user3 joined\n")
a.sendall(b"hi all\n"); expect(fb, "user1: hi all\n"); expect(fc, "user1: hi all\n")
b.sendall(b"/nick bob\n"); expect(fa, "* user2 is now bob\n"); expect(fc, "* user2 is now bob\n")
b.sendall(b"".join(b"line %d\r\n" % i for i in range(100)))
for i in range(100):
    expect(fa, "bob: line %d\n" % i); expect(fc, "bob: line %d\n" % i)
b.sendall(b"/quit\n"); expect(fa, "* bob left\n"); expect(fc, "* bob left\n")
expect(fb, "")
fc.close(); c.close(); expect(fa, "* user3 left\n")
print("ok")
)PY";

TEST(CoroExamples, ChatRelaysLinesBetweenPythonClients) {
  Process server({example("chat_coro"), "0"});
  const int port = start_on_free_port(server, "chat_coro");
  ASSERT_GT(port, 0);
  auto client = test::run({kPython, "-c", kChatClient, std::to_string(port)}, {}, 30000ms);
  EXPECT_EQ(client.exit_code, 0) << client.out << client.err;
  EXPECT_EQ(client.out, "ok\n") << client.err;
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(10000ms), 0) << server.err();
}

}  // namespace
}  // namespace sockit
