// Every subcommand's --json output, success and failure, against docs/sockit-json.schema.json
// (checked by json_schema.hpp), plus the vocabulary rules a schema cannot state: a failure's
// document repeats the stderr line and the exit code, addresses are bare, counts are numbers.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "cli_peers.hpp"
#include "json_schema.hpp"
#include "support/process.hpp"

namespace sockit::test {
namespace {

using Json = nlohmann::json;

const SchemaChecker& schema() {
  static const SchemaChecker checker =
      SchemaChecker::load(std::string(SOCKIT_SOURCE_DIR) + "/docs/sockit-json.schema.json");
  return checker;
}

struct JsonRun {
  int exit_code = -1;
  Json doc;
  std::string out, err;
};

JsonRun sockit_json(std::vector<std::string> args) {
  args.insert(args.begin(), sockit_bin());
  auto r = run(std::move(args), {}, milliseconds(20000));
  return {r.exit_code, Json::parse(r.out, nullptr, false), r.out, r.err};
}

std::string joined(const std::vector<std::string>& problems) {
  std::string text;
  for (const auto& p : problems)
    text += p + "\n";
  return text;
}

// The document conforms to both its own definition and the schema as a whole.
void expect_conforms(const JsonRun& r, const std::string& def) {
  ASSERT_FALSE(r.doc.is_discarded()) << "not one JSON document: " << r.out << r.err;
  EXPECT_EQ(joined(schema().check(r.doc, def)), "") << r.out;
  EXPECT_EQ(joined(schema().check(r.doc)), "") << r.out;
}

// A failure: exactly the failure document, naming the same line as stderr and the exit code.
void expect_failure(const JsonRun& r, int code, const std::string& kind) {
  EXPECT_EQ(r.exit_code, code) << r.err;
  expect_conforms(r, "failure");
  if (r.doc.is_discarded()) return;
  EXPECT_EQ(r.doc.value("exit_code", -1), code);
  EXPECT_EQ(r.doc.value("kind", ""), kind);
  const std::string first_line = r.err.substr(0, r.err.find('\n'));
  EXPECT_EQ("sockit: " + r.doc.value("error", std::string("?")), first_line);
}

// A listening TCP socket on 127.0.0.1 that never accepts: connects complete in the backlog.
struct Listener {
  int fd = -1;
  int port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 && ::listen(fd, 16) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0)
      port = ntohs(sa.sin_port);
  }
  ~Listener() { ::close(fd); }
  std::string port_text() const { return std::to_string(port); }
};

TEST(CliJsonSchema, SchemaFileLoadsAndRejectsWrongDocuments) {
  EXPECT_EQ(
      joined(schema().check(Json{{"error", "x"}, {"kind", "usage"}, {"exit_code", 2}}, "failure")),
      "");
  // The checker is not a rubber stamp: a string count, an extra field and a wrong kind fail.
  EXPECT_NE(
      joined(schema().check(Json{{"error", "x"}, {"kind", "oops"}, {"exit_code", 2}}, "failure")),
      "");
  EXPECT_NE(
      joined(schema().check(Json{{"error", "x"}, {"kind", "usage"}, {"exit_code", 2}, {"extra", 1}},
                            "failure")),
      "");
  EXPECT_NE(joined(schema().check(
                Json{{"address", "::"}, {"address_count", "18446744073709551616"}}, "ip_query")),
            "");
}

TEST(CliJsonSchema, Ip) {
  auto interfaces = sockit_json({"ip", "--json"});
  EXPECT_EQ(interfaces.exit_code, 0);
  expect_conforms(interfaces, "ip_interfaces");

  auto v4 = sockit_json({"ip", "--json", "10.1.2.3"});
  EXPECT_EQ(v4.exit_code, 0);
  expect_conforms(v4, "ip_query");

  auto net = sockit_json({"ip", "--json", "192.168.1.0/24", "--split", "26"});
  EXPECT_EQ(net.exit_code, 0);
  expect_conforms(net, "ip_query");
  EXPECT_EQ(net.doc["address_count"], 256);
  EXPECT_EQ(net.doc["host_count"], 254);

  // Counts are numbers where every JSON reader holds them exactly (up to 2^53), else null with
  // the exact power of two beside it.
  auto small6 = sockit_json({"ip", "--json", "2001:db8::/75"});
  expect_conforms(small6, "ip_query");
  EXPECT_EQ(small6.doc["address_count"], 9007199254740992ULL);
  EXPECT_EQ(small6.doc["address_count_log2"], 53);
  auto big6 = sockit_json({"ip", "--json", "2001:db8::/64"});
  expect_conforms(big6, "ip_query");
  EXPECT_TRUE(big6.doc["address_count"].is_null());
  EXPECT_EQ(big6.doc["address_count_log2"], 64);

  auto two = sockit_json({"ip", "--json", "10.0.0.1", "::1"});
  expect_conforms(two, "ip_queries");

  auto bad = sockit_json({"ip", "--json", "1.2.3.400"});
  expect_failure(bad, 2, "usage");
  EXPECT_EQ(bad.doc.value("error", ""), "1.2.3.400: octet 4 is 400, above 255");
}

TEST(CliJsonSchema, Resolve) {
  auto ok = sockit_json({"resolve", "--json", "127.0.0.1"});
  EXPECT_EQ(ok.exit_code, 0);
  expect_conforms(ok, "resolve");
  expect_failure(sockit_json({"resolve", "--json", ""}), 2, "usage");
  expect_failure(sockit_json({"resolve", "--json", "-w", "x", "localhost"}), 2, "usage");
}

TEST(CliJsonSchema, ConnectCheck) {
  Listener l;
  ASSERT_NE(l.port, 0);
  auto ok = sockit_json({"connect", "--check", "--json", "127.0.0.1", l.port_text()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  expect_conforms(ok, "connect_check");
  EXPECT_EQ(ok.doc["connected"], true);
  EXPECT_EQ(ok.doc["address"], "127.0.0.1");  // bare: the port is its own field
  EXPECT_EQ(ok.doc["port"], l.port);
  ASSERT_EQ(ok.doc["attempts"].size(), 1u);
  EXPECT_EQ(ok.doc["attempts"][0]["address"], "127.0.0.1");
  EXPECT_EQ(ok.doc["attempts"][0]["port"], l.port);
  EXPECT_EQ(ok.doc["attempts"][0]["result"], "open");  // scan's word

  const int closed = free_port();
  auto refused = sockit_json({"connect", "--check", "--json", "127.0.0.1", std::to_string(closed)});
  EXPECT_EQ(refused.exit_code, 4);
  expect_conforms(refused, "connect_check");
  EXPECT_EQ(refused.doc["connected"], false);
  EXPECT_EQ(refused.doc["kind"], "refused");
  EXPECT_EQ(refused.doc["exit_code"], 4);
  EXPECT_EQ(refused.doc["attempts"][0]["result"], "closed");
  EXPECT_EQ("sockit: " + refused.doc.value("error", std::string()) + "\n", refused.err);

  expect_failure(sockit_json({"connect", "--check", "--json", "127.0.0.1", "0"}), 2, "usage");
  // --json without --check does not parse: still a JSON failure on stdout.
  expect_failure(sockit_json({"connect", "--json", "127.0.0.1", "80"}), 2, "usage");
}

TEST(CliJsonSchema, Scan) {
  Listener l;
  ASSERT_NE(l.port, 0);
  auto ok = sockit_json({"scan", "--json", "127.0.0.1", l.port_text()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  expect_conforms(ok, "scan");
  EXPECT_EQ(ok.doc["ports"][0]["state"], "open");
  expect_failure(sockit_json({"scan", "--json", "127.0.0.1", "99999"}), 2, "usage");
}

TEST(CliJsonSchema, Bench) {
  Process serve({sockit_bin(), "serve", "echo", "127.0.0.1", "0"});
  ASSERT_TRUE(serve.wait_stderr("\n"));
  const int port = port_after(serve.err(), "on ");
  ASSERT_NE(port, 0) << serve.err();
  auto ok = sockit_json({"bench", "tcp", "127.0.0.1", std::to_string(port), "--conns", "2",
                         "--requests", "50", "--json"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  expect_conforms(ok, "bench");
  EXPECT_EQ(ok.doc["host"], "127.0.0.1");
  EXPECT_EQ(ok.doc["port"], port);
  EXPECT_EQ(ok.doc["address"], "127.0.0.1");
  EXPECT_EQ(ok.doc["connected_count"], 2);

  const int closed = free_port();
  auto refused = sockit_json(
      {"bench", "tcp", "127.0.0.1", std::to_string(closed), "--requests", "1", "--json"});
  expect_failure(refused, 4, "refused");
}

// listen and serve have no --json; asking for it is a usage error, said in JSON all the same,
// as is a command line that names no command at all.
TEST(CliJsonSchema, EveryOtherCommandFailsInJson) {
  expect_failure(sockit_json({"listen", "--json", "0"}), 2, "usage");
  expect_failure(sockit_json({"serve", "echo", "--json"}), 2, "usage");
  expect_failure(sockit_json({"bogus", "--json"}), 2, "usage");
  expect_failure(sockit_json({"help", "bogus", "--json"}), 2, "usage");
}

}  // namespace
}  // namespace sockit::test
