// Request smuggling and desync attempts (RFC 9112 §6.3, §11.2; the classic CL.TE / TE.CL /
// TE.TE families, obs-fold, line-ending and chunk-size tricks). Each raw request is followed
// by a second request, "GET /smuggled"; the codec must fail with the exact error, the error
// must be sticky, and /smuggled must never come out as a message.
#include <gtest/gtest.h>

#include <string>

#include "test_http_support.hpp"

namespace sockit {
namespace {

using test::err;
using test::expect_split_invariant;

constexpr const char* kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";

struct Attack {
  const char* name;
  std::string raw;
  HttpErrc error;
  int status;
  std::size_t good_before = 0;  // valid messages expected before the bad one
};

std::string post(const std::string& fields, const std::string& body = "") {
  return "POST / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n" + body;
}

std::string chunked(const std::string& body) {
  return post("Transfer-Encoding: chunked\r\n", body);
}

const std::vector<Attack>& attacks() {
  static const std::vector<Attack> list = {
      // Content-Length with Transfer-Encoding, both orders (CL.TE and TE.CL).
      {"cl_then_te", post("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nX"),
       HttpErrc::content_length_and_chunked, 400},
      {"te_then_cl",
       post("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "8\r\nSMUGGLED\r\n0\r\n\r\n"),
       HttpErrc::content_length_and_chunked, 400},
      {"cl_zero_with_te", post("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
       HttpErrc::content_length_and_chunked, 400},
      // Several Content-Length values.
      {"cl_differing", post("Content-Length: 4\r\nContent-Length: 5\r\n", "12345"),
       HttpErrc::duplicate_content_length, 400},
      {"cl_identical_twice", post("Content-Length: 5\r\nContent-Length: 5\r\n", "12345"),
       HttpErrc::duplicate_content_length, 400},
      {"cl_list_identical", post("Content-Length: 5, 5\r\n", "12345"),
       HttpErrc::duplicate_content_length, 400},
      {"cl_list_differing", post("Content-Length: 5, 6\r\n", "12345"),
       HttpErrc::duplicate_content_length, 400},
      // Malformed Content-Length.
      {"cl_plus_sign", post("Content-Length: +5\r\n", "12345"), HttpErrc::invalid_content_length,
       400},
      {"cl_negative", post("Content-Length: -1\r\n"), HttpErrc::invalid_content_length, 400},
      {"cl_hex", post("Content-Length: 0x5\r\n", "12345"), HttpErrc::invalid_content_length, 400},
      {"cl_inner_space", post("Content-Length: 1 2\r\n", "123456789012"),
       HttpErrc::invalid_content_length, 400},
      {"cl_empty", post("Content-Length:\r\n"), HttpErrc::invalid_content_length, 400},
      {"cl_trailing_comma", post("Content-Length: 5,\r\n", "12345"),
       HttpErrc::invalid_content_length, 400},
      {"cl_cr_for_dash", post("Content\rLength: 5\r\n", "12345"), HttpErrc::bare_cr, 400},
      {"cl_overflow", post("Content-Length: 18446744073709551616\r\n"),
       HttpErrc::invalid_content_length, 400},
      // Transfer-Encoding variants (TE.TE: one side ignores the odd spelling).
      {"te_chunked_twice_list", post("Transfer-Encoding: chunked, chunked\r\n", "0\r\n\r\n"),
       HttpErrc::chunked_twice, 400},
      {"te_chunked_twice_fields",
       post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
       HttpErrc::chunked_twice, 400},
      {"te_xchunked", post("Transfer-Encoding: xchunked\r\n", "0\r\n\r\n"),
       HttpErrc::chunked_not_final, 400},
      {"te_chunked_then_gzip", post("Transfer-Encoding: chunked, gzip\r\n", "0\r\n\r\n"),
       HttpErrc::chunked_not_final, 400},
      {"te_identity", post("Transfer-Encoding: identity\r\n", "0\r\n\r\n"),
       HttpErrc::chunked_not_final, 400},
      {"te_gzip_then_chunked", post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"),
       HttpErrc::unsupported_transfer_coding, 501},
      {"te_with_parameter", post("Transfer-Encoding: chunked;q=1\r\n", "0\r\n\r\n"),
       HttpErrc::invalid_transfer_encoding, 400},
      {"te_leading_comma", post("Transfer-Encoding: , chunked\r\n", "0\r\n\r\n"),
       HttpErrc::invalid_transfer_encoding, 400},
      {"te_quoted", post("Transfer-Encoding: \"chunked\"\r\n", "0\r\n\r\n"),
       HttpErrc::invalid_transfer_encoding, 400},
      {"te_empty", post("Transfer-Encoding:\r\n", "0\r\n\r\n"), HttpErrc::invalid_transfer_encoding,
       400},
      {"te_empty_thrice_with_cl",
       post("Content-Length: "
            "10\r\nTransfer-Encoding:\r\nTransfer-Encoding:\r\nTransfer-Encoding:\r\n",
            "2\r\nAA\r\n0\r\n\r\n"),
       HttpErrc::invalid_transfer_encoding, 400},
      {"te_in_http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       HttpErrc::transfer_encoding_in_http10, 400},
      // Field-line tricks.
      {"obs_fold_space", post("Transfer-Encoding: x\r\n chunked\r\n", "0\r\n\r\n"),
       HttpErrc::obs_fold, 400},
      {"obs_fold_tab", post("X: y\r\n\tTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
       HttpErrc::obs_fold, 400},
      {"space_before_colon", post("Transfer-Encoding : chunked\r\n", "0\r\n\r\n"),
       HttpErrc::space_before_colon, 400},
      {"tab_before_colon", post("Content-Length\t: 5\r\n", "12345"), HttpErrc::space_before_colon,
       400},
      {"vtab_in_name", post("Transfer-Encoding\x0b: chunked\r\n", "0\r\n\r\n"),
       HttpErrc::invalid_field_name, 400},
      {"no_colon", post("Transfer-Encoding chunked\r\n", "0\r\n\r\n"), HttpErrc::invalid_field_name,
       400},
      {"empty_name", post(": chunked\r\n"), HttpErrc::invalid_field_name, 400},
      {"nul_in_value", post(std::string("X: a\0b\r\n", 8)), HttpErrc::invalid_field_value, 400},
      {"del_in_value", post("X: a\x7f\r\n"), HttpErrc::invalid_field_value, 400},
      // Line endings.
      {"bare_lf_in_headers", "POST / HTTP/1.1\r\nHost: a\nContent-Length: 5\r\n\r\n12345",
       HttpErrc::bare_lf, 400},
      {"bare_lf_request_line", "GET / HTTP/1.1\nHost: a\r\n\r\n", HttpErrc::bare_lf, 400},
      {"bare_lf_end_of_head", "GET / HTTP/1.1\r\nHost: a\r\n\n", HttpErrc::bare_lf, 400},
      {"bare_cr_in_value", post("X: a\rContent-Length: 5\r\n", "12345"), HttpErrc::bare_cr, 400},
      {"cr_cr_lf", post("Content-Length: 5\r\r\n", "12345"), HttpErrc::bare_cr, 400},
      {"bare_cr_request_line", "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", HttpErrc::bare_cr, 400},
      {"space_after_start_line", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", HttpErrc::obs_fold, 400},
      {"cr_then_second_request_line", "GET / HTTP/1.1\r\nHost: a\r\n\rZGET /evil: HTTP/1.1\r\n\r\n",
       HttpErrc::bare_cr, 400},
      {"empty_value_then_cr", post("x:\rTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
       HttpErrc::bare_cr, 400},
      {"corrupted_name", post("Connection\r\033\065\325eep-Alive\r\n"), HttpErrc::bare_cr, 400},
      {"lf_hides_content_length",
       "GET / HTTP/1.1\r\nHost: a\r\nDummy: x\nContent-Length: 23\r\n\r\n", HttpErrc::bare_lf, 400},
      // Host.
      {"missing_host", "GET / HTTP/1.1\r\n\r\n", HttpErrc::missing_host, 400},
      {"duplicate_host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", HttpErrc::duplicate_host,
       400},
      {"host_with_space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", HttpErrc::invalid_host, 400},
      {"host_with_slash", "GET / HTTP/1.1\r\nHost: a/../b\r\n\r\n", HttpErrc::invalid_host, 400},
      {"host_with_userinfo", "GET / HTTP/1.1\r\nHost: evil@a\r\n\r\n", HttpErrc::invalid_host, 400},
      // Request line.
      {"method_bad_char", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", HttpErrc::invalid_method, 400},
      {"tab_separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", HttpErrc::bad_request_line, 400},
      {"tab_in_method", "G\tT / HTTP/1.1\r\nHost: a\r\n\r\n", HttpErrc::invalid_method, 400},
      {"space_in_target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", HttpErrc::invalid_target, 400},
      {"double_space", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", HttpErrc::invalid_target, 400},
      {"control_in_target", "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", HttpErrc::invalid_target, 400},
      {"fragment_in_target", "GET /#x HTTP/1.1\r\nHost: a\r\n\r\n", HttpErrc::invalid_target, 400},
      {"http09", "GET /\r\n\r\n", HttpErrc::bad_request_line, 400},
      {"ice_protocol", "SOURCE /music ICE/1.0\r\nHost: a\r\n\r\n", HttpErrc::invalid_version, 400},
      {"rtsp_protocol", "PUT /music RTSP/1.0\r\nHost: a\r\n\r\n", HttpErrc::invalid_version, 400},
      {"http_5_6", "GET / HTTP/5.6\r\nHost: a\r\n\r\n", HttpErrc::version_not_supported, 505},
      {"http2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", HttpErrc::version_not_supported, 505},
      // Chunk sizes and chunk framing.
      {"chunk_size_overflow", chunked("10000000000000000\r\nX\r\n0\r\n\r\n"),
       HttpErrc::chunk_size_overflow, 400},
      {"chunk_size_max_u64", chunked("ffffffffffffffff\r\nX\r\n0\r\n\r\n"),
       HttpErrc::body_too_large, 413},
      {"chunk_size_leading_space", chunked(" 5\r\nhello\r\n0\r\n\r\n"),
       HttpErrc::invalid_chunk_size, 400},
      {"chunk_size_trailing_space", chunked("5 \r\nhello\r\n0\r\n\r\n"),
       HttpErrc::invalid_chunk_extension, 400},
      {"chunk_size_0x", chunked("0x5\r\nhello\r\n0\r\n\r\n"), HttpErrc::invalid_chunk_size, 400},
      {"chunk_size_negative", chunked("-1\r\n0\r\n\r\n"), HttpErrc::invalid_chunk_size, 400},
      {"chunk_size_bare_lf", chunked("5\nhello\r\n0\r\n\r\n"), HttpErrc::bare_lf, 400},
      {"chunk_data_too_long", chunked("3\r\nhello\r\n0\r\n\r\n"), HttpErrc::invalid_chunk_end, 400},
      {"chunk_data_bare_lf_end", chunked("5\r\nhello\n0\r\n\r\n"), HttpErrc::invalid_chunk_end,
       400},
      {"chunk_ext_without_name", chunked("5;\r\nhello\r\n0\r\n\r\n"),
       HttpErrc::invalid_chunk_extension, 400},
      {"chunk_ext_no_semicolon", chunked("2 erfrferferf\r\naa\r\n0 rrrr\r\n\r\n"),
       HttpErrc::invalid_chunk_extension, 400},
      {"chunk_ext_unbalanced_quote", chunked("5;a=\"abc\";b=\"def; ghi\r\nhello\r\n0\r\n\r\n"),
       HttpErrc::invalid_chunk_extension, 400},
      {"chunk_ext_too_long", chunked("5;a=" + std::string(300, 'x') + "\r\nhello\r\n0\r\n\r\n"),
       HttpErrc::chunk_extension_too_long, 400},
      {"chunk_line_too_long", chunked(std::string(1100, '0') + "5\r\nhello\r\n0\r\n\r\n"),
       HttpErrc::chunk_line_too_long, 400},
      {"trailer_obs_fold", chunked("0\r\nX: a\r\n b\r\n\r\n"), HttpErrc::obs_fold, 400},
      {"trailer_bare_lf", chunked("0\r\nX: a\n\r\n"), HttpErrc::bare_lf, 400},
      // A valid request first: the bad second one must not disturb it, nor pass.
      {"valid_then_cl_te",
       "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n" +
           post("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
       HttpErrc::content_length_and_chunked, 400, 1},
      {"valid_body_then_bare_lf",
       post("Content-Length: 2\r\n", "okGET / HTTP/1.1\nHost: a\r\n\r\n"), HttpErrc::bare_lf, 400,
       1},
  };
  return list;
}

TEST(HttpSmuggling, AtLeastFortyAttacks) {
  EXPECT_GE(attacks().size(), 40u);
}

TEST(HttpSmuggling, EachAttackFailsExactlyAndNothingAfterItIsParsed) {
  for (const auto& a : attacks()) {
    SCOPED_TRACE(a.name);
    const std::string raw = a.raw + kSmuggled;
    const test::Outcome o = expect_split_invariant(raw);
    EXPECT_EQ(o.error, err(a.error)) << o.error.message();
    EXPECT_EQ(http_status(o.error), a.status);
    ASSERT_EQ(o.messages.size(), a.good_before);
    for (const auto& m : o.messages)
      EXPECT_NE(m.target, "/smuggled");
  }
}

// The same requests minus the trick parse as exactly two messages: the tests above fail for
// the trick, not for something else in the request.
TEST(HttpSmuggling, TheHonestVersionsParse) {
  const std::string honest[] = {
      post("Content-Length: 5\r\n", "12345"),
      post("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"),
      post("Content-Length:  5 \r\n", "12345"),
      post("conTENT-Length: 005\r\n", "12345"),
      post("Transfer-Encoding: Chunked\r\n", "5;a=b;c=\"d e\"\r\nhello\r\n0\r\nX: a\r\n\r\n"),
      "GET / HTTP/1.0\r\n\r\n",
  };
  for (const auto& h : honest) {
    SCOPED_TRACE(h);
    const test::Outcome o = expect_split_invariant(h + kSmuggled);
    EXPECT_FALSE(o.error) << o.error.message();
    ASSERT_EQ(o.messages.size(), 2u);
    EXPECT_EQ(o.messages[1].target, "/smuggled");
  }
}

}  // namespace
}  // namespace sockit
