#include "sockit/core/error.hpp"

#include <gtest/gtest.h>
#include <netdb.h>

#include <cerrno>

namespace sockit {
namespace {

TEST(Error, ErrnoComparesWithStdErrc) {
  EXPECT_EQ(sys_error(ECONNREFUSED), std::errc::connection_refused);
  EXPECT_EQ(sys_error(ETIMEDOUT), std::errc::timed_out);
  EXPECT_NE(sys_error(ECONNREFUSED), sys_error(ETIMEDOUT));
  EXPECT_EQ(sys_error(EADDRINUSE).message(), "Address already in use");
}

TEST(Error, CurrentErrnoIsCaptured) {
  errno = EPIPE;
  EXPECT_EQ(sys_error(), std::errc::broken_pipe);
}

TEST(Error, GaiCategoryKeepsResolverText) {
  auto ec = gai_error(EAI_NONAME);
  EXPECT_EQ(ec.category(), gai_category());
  EXPECT_EQ(ec.message(), "Name or service not known");
  EXPECT_TRUE(is_dns_error(ec));
  EXPECT_EQ(gai_error(EAI_AGAIN).message(), "Temporary failure in name resolution");
}

TEST(Error, GaiSystemBecomesErrno) {
  auto ec = gai_error(EAI_SYSTEM, EMFILE);
  EXPECT_EQ(ec, std::errc::too_many_files_open);
  EXPECT_FALSE(is_dns_error(ec));
}

TEST(Error, SockitCodesHaveMessagesAndConditions) {
  std::error_code ec = Errc::line_too_long;
  EXPECT_EQ(ec.category(), sockit_category());
  EXPECT_EQ(ec.message(), "line too long");
  EXPECT_EQ(std::error_code(Errc::idle_timeout), std::errc::timed_out);
  EXPECT_TRUE(is_timeout(Errc::resolve_timed_out));
  EXPECT_TRUE(is_dns_error(Errc::resolve_timed_out));
  EXPECT_FALSE(is_timeout(Errc::line_too_long));
}

// A passed deadline of ours is not the kernel's ETIMEDOUT: its own code and words, still a
// timeout for anyone testing the condition, and no firewall guess (the peer may be up and silent).
TEST(Error, DeadlinePassedIsOurOwnTimeout) {
  std::error_code ec = Errc::deadline_passed;
  EXPECT_EQ(ec.category(), sockit_category());
  EXPECT_NE(ec, sys_error(ETIMEDOUT));
  EXPECT_EQ(ec, std::errc::timed_out);
  EXPECT_TRUE(is_timeout(ec));
  EXPECT_FALSE(is_dns_error(ec));
  EXPECT_EQ(explain(ec, "cannot read from 127.0.0.1 port 9"),
            "cannot read from 127.0.0.1 port 9: the deadline passed before the operation finished "
            "(no answer within the time allowed)");
}

TEST(Error, ClassifiersAreExclusive) {
  EXPECT_TRUE(is_refused(sys_error(ECONNREFUSED)));
  EXPECT_FALSE(is_timeout(sys_error(ECONNREFUSED)));
  EXPECT_TRUE(is_timeout(sys_error(ETIMEDOUT)));
  EXPECT_FALSE(is_refused(sys_error(ETIMEDOUT)));
  EXPECT_FALSE(is_dns_error(sys_error(ECONNREFUSED)));
}

TEST(Error, ExplainSaysWhatOsWordsAndCause) {
  EXPECT_EQ(
      explain(sys_error(ECONNREFUSED), "cannot connect to 127.0.0.1 port 9"),
      "cannot connect to 127.0.0.1 port 9: Connection refused (nothing listens on that port)");
  EXPECT_EQ(explain(gai_error(EAI_NONAME), "cannot connect to www.abc.invalid port 80"),
            "cannot connect to www.abc.invalid port 80: Name or service not known (the name does "
            "not exist in DNS)");
  EXPECT_EQ(explain(sys_error(ETIMEDOUT), "x"),
            "x: Connection timed out (host down, or a firewall drops the packets)");
  EXPECT_EQ(explain(sys_error(EADDRINUSE), "cannot listen on 127.0.0.1 port 80"),
            "cannot listen on 127.0.0.1 port 80: Address already in use (another program holds "
            "the port)");
}

TEST(Error, PermissionDeniedDependsOnPort) {
  EXPECT_EQ(likely_cause(sys_error(EACCES), 80),
            "ports below 1024 are privileged: use a higher port or root");
  EXPECT_EQ(likely_cause(sys_error(EACCES), 8080), "permission denied by the system");
}

TEST(Error, NoCauseMeansNoParentheses) {
  EXPECT_EQ(explain(sys_error(EINVAL), "bind"), "bind: Invalid argument");
  EXPECT_EQ(likely_cause(std::error_code{}), "");
}

}  // namespace
}  // namespace sockit
