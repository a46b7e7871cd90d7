// `sockit http`: turning the command line into a request template and client options, before
// anything connects. Every problem here is a usage error (exit 2).
#pragma once

#include <string>

#include "http_args.hpp"

namespace sockit::cli {

/// The parts of every request that come from the options (the URL is set per transfer).
struct RequestTemplate {
  http::Request request;       ///< method, headers, body
  bool method_forced = false;  ///< -X given
  std::string auth;            ///< the Authorization value from -u (first host only)
};

/// A usage message, or "" when `args` can run; fills `out` and `options`.
std::string prepare_http(const HttpArgs& args, RequestTemplate& out, http::ClientOptions& options);

/// The Authorization value for "user:pass" (RFC 7617).
std::string basic_auth(std::string_view userinfo);

/// The file name -O takes from a URL: the last path segment, "" when there is none.
std::string remote_file_name(const http::Url& url);

}  // namespace sockit::cli
