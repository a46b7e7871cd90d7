// The lecture's programs, ported to C++ (examples/lecture/), driven with scripted stdin against
// peers written with Python's socket module in the lecture's own style, so each C++ program is
// checked to interoperate with its Python counterpart. Two peers deliberately split their
// answers into pieces to show the ports survive partial receives, where the originals would not.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cli_peers.hpp"
#include "support/process.hpp"

namespace sockit::test {
namespace {

using std::chrono::milliseconds;

std::string example(const char* name) {
  return std::string(SOCKIT_EXAMPLES_DIR) + "/" + name;
}

Process python(const char* code, std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/python3", "-u", "-c", code});
  return Process(std::move(args));
}

/// Starts a lecture server on a free port and waits until it is bound.
struct Server {
  int port;
  Process p;
  Server(const char* name, bool udp)
      : port(free_port(udp ? SOCK_DGRAM : SOCK_STREAM)), p({example(name), std::to_string(port)}) {
    EXPECT_TRUE(wait_bound(port, udp)) << name;
  }
};

// ---- the connect checker (minute 23-30) -------------------------------------------------------

TEST(LectureConnectCheck, ReportsSuccess) {
  const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(lfd, 4), 0);
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len);
  const std::string port = std::to_string(ntohs(sa.sin_port));
  auto r = run({example("lecture_connect_check")}, "127.0.0.1\n" + port + "\n");
  ::close(lfd);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "Socket created\nEnter the target host name to connect: Enter the target port number: "
            "Socket connected to 127.0.0.1 on port number " +
                port + "\n");
}

TEST(LectureConnectCheck, ReportsUnknownName) {
  auto r = run({example("lecture_connect_check")}, "www.abc.invalid\n80\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out,
            "Socket created\nEnter the target host name to connect: Enter the target port number: "
            "Failed to connect to www.abc.invalid on port number 80\n"
            "Reason: Name or service not known\n");
}

// ---- TCP server and client (minute 31-49) -----------------------------------------------------

constexpr const char* kPyTcpClient = R"(
import socket, sys
client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client_socket.connect(("127.0.0.1", int(sys.argv[1])))
for payload in sys.argv[2:]:
    client_socket.send(payload.encode("utf-8"))
    data = client_socket.recv(1024)
    print(str(data))
client_socket.close()
)";

TEST(LectureTcp, CppServerWithPythonClient) {
  Server server("lecture_tcp_server", false);
  Process client = python(kPyTcpClient, {std::to_string(server.port), "Hey Server", "Mohan"});
  EXPECT_EQ(client.wait(), 0) << client.err();
  EXPECT_EQ(client.out(), "b'Hey client'\nb'Hey client'\n");
  ASSERT_TRUE(server.p.wait_stdout("Received from client: Mohan\nServer waiting for connection\n"));
  EXPECT_EQ(
      server.p.out().rfind("Server waiting for connection\nClient connected from 127.0.0.1:", 0),
      0u)
      << server.p.out();
  EXPECT_NE(
      server.p.out().find("\nReceived from client: Hey Server\nReceived from client: Mohan\n"),
      std::string::npos);
}

// The lecture's server, except that "Hey client" goes out in two pieces with a pause between:
// a client that prints whatever one recv() returns would print "Hey " and lose its place.
constexpr const char* kPyTcpServer = R"(
import socket, sys, time
server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server_socket.bind(("127.0.0.1", int(sys.argv[1])))
server_socket.listen(5)
print("Server waiting for connection")
client_socket, addr = server_socket.accept()
while True:
    data = client_socket.recv(1024)
    if not data:
        break
    print("Received from client:", data.decode("utf-8"))
    client_socket.send(bytes("Hey ", "utf-8"))
    time.sleep(0.05)
    client_socket.send(bytes("client", "utf-8"))
client_socket.close()
server_socket.close()
)";

TEST(LectureTcp, CppClientWithPythonServerSplittingReplies) {
  const int port = free_port();
  Process server = python(kPyTcpServer, {std::to_string(port)});
  ASSERT_TRUE(wait_bound(port));
  auto r = run({example("lecture_tcp_client"), std::to_string(port)}, "y\nMohan\nno\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Hey client\nWant to send more data to the server? (y/n) Enter payload: Hey client\n"
            "Want to send more data to the server? (y/n) ");
  EXPECT_EQ(server.wait(), 0);
  EXPECT_EQ(server.out(),
            "Server waiting for connection\nReceived from client: Hey Server\n"
            "Received from client: Mohan\n");
}

// ---- UDP server and client (minute 53-61) -----------------------------------------------------

constexpr const char* kPyUdpClient = R"(
import socket, sys
client_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
client_socket.settimeout(5)
client_socket.sendto("Hello UDP server".encode("utf-8"), ("127.0.0.1", int(sys.argv[1])))
data, address = client_socket.recvfrom(4096)
print("Server says")
print(str(data))
client_socket.close()
)";

TEST(LectureUdp, CppServerWithPythonClient) {
  Server server("lecture_udp_server", true);
  Process client = python(kPyUdpClient, {std::to_string(server.port)});
  EXPECT_EQ(client.wait(), 0) << client.err();
  EXPECT_EQ(client.out(), "Server says\nb'Hello I am UDP server'\n");
  EXPECT_TRUE(server.p.wait_stdout("Hello UDP server\n"));
  EXPECT_EQ(server.p.out(), "Hello UDP server\n");
}

constexpr const char* kPyUdpServer = R"(
import socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", int(sys.argv[1])))
data, address = sock.recvfrom(4096)
sock.sendto(bytes("Hello I am UDP server", "utf-8"), address)
print(data.decode("utf-8"))
)";

TEST(LectureUdp, CppClientWithPythonServer) {
  const int port = free_port(SOCK_DGRAM);
  Process server = python(kPyUdpServer, {std::to_string(port)});
  ASSERT_TRUE(wait_bound(port, true));
  auto r = run({example("lecture_udp_client"), std::to_string(port)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Server says\nHello I am UDP server\n");
  EXPECT_EQ(server.wait(), 0);
  EXPECT_EQ(server.out(), "Hello UDP server\n");
}

// ---- the multi-threaded server and its client (minute 65-82) -----------------------------------

// The lecture's client with the typed lines taken from argv; it waits for a line on stdin
// before closing, so that two clients are connected at the same time.
constexpr const char* kPyThreadedClient = R"(
import socket, sys
ClientSocket = socket.socket()
ClientSocket.connect(("127.0.0.1", int(sys.argv[1])))
Response = ClientSocket.recv(1024)
print(Response.decode("utf-8"))
for Input in sys.argv[2:]:
    ClientSocket.send(str.encode(Input))
    Response = ClientSocket.recv(1024)
    print(Response.decode("utf-8"))
sys.stdin.readline()
ClientSocket.close()
)";

TEST(LectureThreaded, CppServerWithTwoPythonClientsAtOnce) {
  Server server("lecture_threaded_server", false);
  const std::string port = std::to_string(server.port);
  Process first = python(kPyThreadedClient, {port, "hello server"});
  ASSERT_TRUE(first.wait_stdout("Hello I am server: hello server\n"));
  Process second = python(kPyThreadedClient, {port, "second client"});
  ASSERT_TRUE(second.wait_stdout("Hello I am server: second client\n"));
  first.close_stdin();
  second.close_stdin();
  EXPECT_EQ(first.wait(), 0);
  EXPECT_EQ(second.wait(), 0);
  EXPECT_EQ(first.out(), "Welcome to the Server\nHello I am server: hello server\n");
  EXPECT_EQ(second.out(), "Welcome to the Server\nHello I am server: second client\n");
  ASSERT_TRUE(server.p.wait_stdout("Thread Number: 2\n"));
  const std::string& out = server.p.out();
  EXPECT_EQ(out.rfind("Waiting for a Connection..\nConnected to: 127.0.0.1:", 0), 0u) << out;
  EXPECT_NE(out.find("\nThread Number: 1\nConnected to: 127.0.0.1:"), std::string::npos) << out;
}

// The lecture's threaded server, except that each reply is sent in two pieces.
constexpr const char* kPyThreadedServer = R"(
import socket, sys, time
from _thread import start_new_thread
ServerSocket = socket.socket()
ServerSocket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ServerSocket.bind(("127.0.0.1", int(sys.argv[1])))
print("Waiting for a Connection..")
ServerSocket.listen(5)
def threaded_client(connection):
    connection.send(str.encode("Welcome to the Server"))
    while True:
        data = connection.recv(2048)
        reply = "Hello I am server: " + data.decode("utf-8")
        if not data:
            break
        connection.sendall(str.encode(reply[:7]))
        time.sleep(0.05)
        connection.sendall(str.encode(reply[7:]))
    connection.close()
Client, address = ServerSocket.accept()
print("Connected to: " + address[0] + ":" + str(address[1]))
threaded_client(Client)
ServerSocket.close()
)";

TEST(LectureThreaded, CppClientWithPythonServerSplittingReplies) {
  const int port = free_port();
  Process server = python(kPyThreadedServer, {std::to_string(port)});
  ASSERT_TRUE(wait_bound(port));
  auto r =
      run({example("lecture_threaded_client"), std::to_string(port)}, "hello server\nand again\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Waiting for connection\nWelcome to the Server\nSay something: Hello I am server: "
            "hello server\nSay something: Hello I am server: and again\nSay something: ");
  EXPECT_EQ(server.wait(), 0);
}

}  // namespace
}  // namespace sockit::test
