// The lecture's multi-threaded client interaction against `sockit serve greet`: a Python client
// in the lecture's style (socket module, one thread per client, recv(2048)) sends messages and
// prints the server's replies.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <string>

#include "support/process.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

// Each client: connect, receive the welcome, then send a message and print the reply, three
// times. A reply is awaited before the next send, so with raw framing each recv(2048) on the
// server is exactly one message, as in the lecture.
constexpr const char* kClient = R"PY(
import socket
import sys
import threading

HOST = "127.0.0.1"
PORT = int(sys.argv[1])
lock = threading.Lock()

def client(number):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect((HOST, PORT))
    welcome = s.recv(2048).decode()
    with lock:
        print(f"client {number}: {welcome}", flush=True)
    for i in range(3):
        s.sendall(f"message {i} from client {number}".encode())
        data = s.recv(2048).decode()
        with lock:
            print(f"client {number}: {data}", flush=True)
    s.close()

threads = [threading.Thread(target=client, args=(n,)) for n in range(5)]
for t in threads:
    t.start()
for t in threads:
    t.join()
)PY";

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

class GreetLecture : public ::testing::TestWithParam<std::string> {};

TEST_P(GreetLecture, PythonThreadedClientsGetWelcomeAndReplies) {
  test::Process server({test::sockit_bin(), "serve", "greet", "0", "--model", GetParam()});
  ASSERT_TRUE(server.wait_stderr("serving greet on ")) << server.err();
  const int port = test::port_after(server.err(), "serving greet on ");
  ASSERT_GT(port, 0);
  EXPECT_NE(server.err().find("(tcp, model " + GetParam() + ")"), std::string::npos);

  const auto run = test::run({"/usr/bin/python3", "-c", kClient, std::to_string(port)}, {}, 20s);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (int n = 0; n < 5; ++n) {
    const std::string who = "client " + std::to_string(n) + ": ";
    EXPECT_EQ(count(run.out, who + "Welcome to the Server\n"), 1u) << run.out;
    for (int i = 0; i < 3; ++i) {
      const std::string reply = who + "Hello I am server: message " + std::to_string(i) +
                                " from client " + std::to_string(n) + "\n";
      EXPECT_EQ(count(run.out, reply), 1u) << run.out;
    }
  }
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 20);

  server.signal(SIGINT);
  EXPECT_EQ(server.wait(10s), 0) << server.err();
}

INSTANTIATE_TEST_SUITE_P(Models, GreetLecture, ::testing::Values("thread", "loop"));

// (The default 127.0.0.1:12345 is not exercised: other tests may hold the lecture's port.)
TEST(ServeCli, WildcardAddressWarns) {
  test::Process wild({test::sockit_bin(), "serve", "echo", "0.0.0.0", "0"});
  ASSERT_TRUE(wild.wait_stderr("serving echo on 0.0.0.0:")) << wild.err();
  EXPECT_NE(wild.err().find("warning: serving on all interfaces"), std::string::npos);
  wild.signal(SIGTERM);
  EXPECT_EQ(wild.wait(10s), 0);
  EXPECT_NE(wild.err().find("drained"), std::string::npos);
}

}  // namespace
}  // namespace sockit
