// How sockit reads its command line: positional arguments reach the command exactly as typed
// (CLI11 would split "[a,b]" into two values), hosts and ports are checked before anything
// runs, whatever is echoed from the command line stays on one short line, and the parser's own
// words never reach the user (unknown command, unexpected argument, usage lines).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace sockit::test {
namespace {

using std::chrono::milliseconds;

constexpr const char* kHint = "Run with --help for more information.\n";

// A bound on every run: a command that wrongly starts serving is killed, and fails the test.
RunResult sockit(std::vector<std::string> args) {
  args.insert(args.begin(), sockit_bin());
  return run(std::move(args), {}, milliseconds(3000));
}

void expect_usage(const std::vector<std::string>& args, const std::string& err) {
  const RunResult r = sockit(args);
  EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args.back() << ": " << r.err;
  EXPECT_EQ(r.err, err) << args[0] << " " << args.back();
  EXPECT_EQ(r.out, "") << args[0] << " " << args.back();
}

// ---- finding 5: no positional argument is split or rewritten -----------------------------------

TEST(CliBrackets, IpTakesABracketedListAsOneArgument) {
  for (const char* text : {"[1.2.3.4,5.6.7.8]", "[10.0.0.1,24]", "[]"}) {
    const RunResult r = sockit({"ip", text});
    EXPECT_EQ(r.exit_code, 2) << text << ": " << r.out;
    EXPECT_EQ(r.out, "") << text;
    EXPECT_EQ(r.err.rfind(std::string("sockit: ") + text + ": ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST(CliBrackets, ResolveConnectScanBenchTakeTheHostAsTyped) {
  const std::string err = "sockit: [127.0.0.1,::1]: only an IPv6 address goes in brackets\n";
  expect_usage({"resolve", "[127.0.0.1,::1]"}, err);
  expect_usage({"connect", "[127.0.0.1,::1]", "80"}, err);
  expect_usage({"scan", "[127.0.0.1,::1]", "80"}, err);
  expect_usage({"bench", "tcp", "[127.0.0.1,::1]", "80"}, err);
}

TEST(CliBrackets, ScanTakesThePortListAsTyped) {
  expect_usage({"scan", "127.0.0.1", "[1,2]"},
               "sockit: [1,2]: item 1 \"[1\": unexpected '[' in port\n");
}

TEST(CliBrackets, ListenTakesThePortAsTyped) {
  expect_usage({"listen", "[127.0.0.1,0]"},
               "sockit: invalid port '[127.0.0.1,0]': must be a number from 0 to 65535\n");
}

TEST(CliBrackets, ServeTakesServiceHostAndOptionsAsTyped) {
  expect_usage({"serve", "echo", "[127.0.0.1,0]"},
               "sockit: [127.0.0.1,0]: only an IPv6 address goes in brackets\n");
  expect_usage(
      {"serve", "[echo,127.0.0.1,0]"},
      "sockit: unknown service '[echo,127.0.0.1,0]' (echo, greet, discard, chat, http, smtp)\n");
  // An option that takes a list still splits on its commas, but brackets are not stripped.
  const RunResult r = sockit({"serve", "echo", "--allow", "[127.0.0.1]", "0"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("sockit: --allow: ", 0), 0u) << r.err;
}

// ---- finding 8: hosts and ports are checked up front -------------------------------------------

TEST(CliTargets, ServeNamesABadPort) {
  expect_usage({"serve", "echo", "70000"},
               "sockit: invalid port '70000': must be a number from 0 to 65535\n");
}

TEST(CliTargets, ServeNamesTheHostItCannotResolve) {
  const RunResult r = sockit({"serve", "echo", "www.abc.invalid", "0"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.err,
            "sockit: cannot resolve www.abc.invalid: Name or service not known (the name does not "
            "exist in DNS)\n");
}

TEST(CliTargets, HostWithPortAttachedSaysSo) {
  const std::string err =
      "sockit: 127.0.0.1:40150: give the host and the port as two arguments: 127.0.0.1 40150\n";
  expect_usage({"serve", "echo", "127.0.0.1:40150"}, err);
  expect_usage({"connect", "127.0.0.1:40150", "80"}, err);
}

TEST(CliTargets, DottedQuadThatIsNotAnAddressIsAUsageError) {
  const std::string err = "sockit: 1.2.3.400: octet 4 is 400, above 255\n";
  expect_usage({"connect", "1.2.3.400", "80"}, err);
  expect_usage({"resolve", "1.2.3.400"}, err);
  expect_usage({"scan", "1.2.3.400", "80"}, err);
  expect_usage({"listen", "1.2.3.400", "0"}, err);
  expect_usage({"serve", "echo", "1.2.3.400", "0"}, err);
  expect_usage({"bench", "tcp", "1.2.3.400", "80"}, err);
}

TEST(CliTargets, UnclosedBracketIsAUsageError) {
  expect_usage({"connect", "[::1", "80"}, "sockit: [::1: missing ']' after the IPv6 address\n");
}

TEST(CliTargets, UnknownZoneIsNamed) {
  expect_usage({"connect", "fe80::1%nonexist", "80"},
               "sockit: fe80::1%nonexist: no interface named 'nonexist' on this machine\n");
  expect_usage({"connect", "fe80::1%99999", "80"},
               "sockit: fe80::1%99999: no interface with index 99999 on this machine\n");
}

TEST(CliTargets, PortZeroIsRefusedWhereItMeansNothing) {
  const std::string err = "sockit: invalid port '0': must be a number from 1 to 65535\n";
  expect_usage({"connect", "127.0.0.1", "0"}, err);
  expect_usage({"bench", "tcp", "127.0.0.1", "0"}, err);
}

// ---- finding 10: what is echoed stays one short line -------------------------------------------

TEST(CliEcho, ControlBytesAreEscaped) {
  expect_usage({"connect", "a\x1b[2Jb", "80"},
               "sockit: 'a\\033[2Jb': a host name cannot hold control characters\n");
  expect_usage({"connect", "127.0.0.1", "8\n0"},
               "sockit: invalid port '8\\0120': must be a number from 1 to 65535\n");
  expect_usage({"serve", "e\acho"},
               "sockit: unknown service 'e\\007cho' (echo, greet, discard, chat, http, smtp)\n");
}

TEST(CliEcho, UnixPathThatCannotFitIsAUsageError) {
  const std::string path = "/tmp/" + std::string(103, 'p');  // 108 bytes, one too many
  expect_usage({"listen", "-U", path},
               "sockit: --unixsock: must be a path of 1 to 107 bytes, not '/tmp/" +
                   std::string(95, 'p') + "...' (108 bytes)\n" + kHint);
}

TEST(CliEcho, LongArgumentIsCutOnce) {
  const std::string nines(100000, '9');
  expect_usage({"connect", "127.0.0.1", nines},
               "sockit: invalid port '" + std::string(100, '9') +
                   "...' (100000 bytes): must be a number from 1 to 65535\n");
}

TEST(CliEcho, EveryCommandKeepsItsErrorOnOneLine) {
  const std::string huge(100000, 'a');
  const std::vector<std::vector<std::string>> cases = {
      {"ip", huge},
      {"ip", "1.2.3.4\n5"},
      {"resolve", huge},
      {"resolve", "x\x1b]0;owned\a"},
      {"connect", huge, "80"},
      {"scan", "127.0.0.1", huge},
      {"scan", "127.0.0.1", "1,\x1b[2J"},
      {"listen", huge},
      {"serve", huge},
      {"serve", "echo", "127.0.0.1", huge},
      {"bench", "tcp", "127.0.0.1", huge},
      {"bench", huge, "127.0.0.1", "1"},
      {"connect", "--frame", "\x1b", "127.0.0.1", "1"},
      {"connect", huge, "127.0.0.1", "1"},
      {"connect", "-U", "/tmp/" + huge},
      {"listen", "-U", "/tmp/" + huge},
      {"serve", "echo", "-U", "/tmp/" + huge},
      {"serve", "echo", "0", "--model", huge},
      {"serve", "echo", "0", "--framing", "\x1b[2J"},
  };
  for (const auto& args : cases) {
    const RunResult r = sockit(args);
    const std::string what = args[0] + " " + std::to_string(args.back().size());
    EXPECT_EQ(r.exit_code, 2) << what << ": " << r.err.substr(0, 200);
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << what;
    EXPECT_EQ(r.err.find('\a'), std::string::npos) << what;
    const auto lines = std::count(r.err.begin(), r.err.end(), '\n');
    EXPECT_GE(lines, 1) << what;
    // The error and at most the parser's hint line, each short.
    EXPECT_LE(lines, 2) << what << ": " << r.err.substr(0, 200);
    EXPECT_LT(r.err.size(), 400u) << what << ": " << r.err.substr(0, 400);
  }
}

// ---- the parser's habits -------------------------------------------------------------------

TEST(CliHabits, UnknownCommandIsNamed) {
  expect_usage({"bogus"}, std::string("sockit: unknown command 'bogus'\n") + kHint);
  expect_usage({"help", "bogus"}, std::string("sockit: unknown command 'bogus'\n") + kHint);
}

TEST(CliHabits, UnknownOptionIsNamed) {
  expect_usage({"connect", "--no-such-flag", "127.0.0.1", "80"},
               std::string("sockit: unknown option '--no-such-flag'\n") + kHint);
}

TEST(CliHabits, HelpCommandPrintsTheSameAsDashDashHelp) {
  const RunResult top = sockit({"help"});
  EXPECT_EQ(top.exit_code, 0) << top.err;
  EXPECT_EQ(top.out, sockit({"--help"}).out);
  EXPECT_NE(top.out.find("\n  help "), std::string::npos) << top.out;
  for (const char* cmd : {"ip", "resolve", "connect", "scan", "listen", "serve", "bench"}) {
    const RunResult r = sockit({"help", cmd});
    EXPECT_EQ(r.exit_code, 0) << cmd << ": " << r.err;
    EXPECT_EQ(r.out, sockit({cmd, "--help"}).out) << cmd;
    EXPECT_NE(r.out.find(std::string("Usage: sockit ") + cmd + " "), std::string::npos) << r.out;
  }
}

TEST(CliHabits, UsageLinesNameTheArguments) {
  const std::vector<std::pair<std::string, std::string>> usage = {
      {"ip", "Usage: sockit ip [OPTIONS] [ADDRESS ...]\n"},
      {"resolve", "Usage: sockit resolve [OPTIONS] HOST\n"},
      {"connect", "Usage: sockit connect [OPTIONS] HOST PORT\n"},
      {"scan", "Usage: sockit scan [OPTIONS] HOST PORTS\n"},
      {"listen", "Usage: sockit listen [OPTIONS] [HOST] PORT\n"},
      {"serve", "Usage: sockit serve [OPTIONS] SERVICE [HOST] [PORT]\n"},
      {"bench", "Usage: sockit bench [OPTIONS] tcp|udp HOST PORT\n"},
  };
  for (const auto& [cmd, line] : usage) {
    const RunResult r = sockit({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find(line), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("(0x)"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("(1x)"), std::string::npos) << r.out;
  }
}

TEST(CliHabits, ExtraArgumentIsNamedAsSuch) {
  expect_usage(
      {"connect", "127.0.0.1", "80", "extra"},
      std::string("sockit: unexpected argument 'extra' (connect takes HOST PORT)\n") + kHint);
  expect_usage(
      {"listen", "127.0.0.1", "0", "extra"},
      std::string("sockit: unexpected argument 'extra' (listen takes [HOST] PORT)\n") + kHint);
  expect_usage(
      {"serve", "echo", "127.0.0.1", "0", "extra"},
      std::string("sockit: unexpected argument 'extra' (serve takes SERVICE [HOST] [PORT])\n") +
          kHint);
  expect_usage({"resolve", "a", "b"},
               std::string("sockit: unexpected argument 'b' (resolve takes HOST)\n") + kHint);
}

TEST(CliHabits, OptionWithoutItsValueSaysSo) {
  expect_usage({"connect", "-U"}, std::string("sockit: --unixsock needs a value\n") + kHint);
  expect_usage({"scan", "127.0.0.1", "80", "-w"},
               std::string("sockit: --timeout needs a value\n") + kHint);
}

TEST(CliHabits, MissingArgumentsAreNamed) {
  expect_usage({"scan", "127.0.0.1"}, std::string("sockit: scan needs HOST PORTS\n") + kHint);
  expect_usage({"resolve"}, std::string("sockit: resolve needs HOST\n") + kHint);
}

}  // namespace
}  // namespace sockit::test
