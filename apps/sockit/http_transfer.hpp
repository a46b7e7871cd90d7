// `sockit http`: the run of the whole command line (every URL, redirects, output files).
#pragma once

#include "http_args.hpp"

namespace sockit::cli {

/// Runs every URL in order over one http::Client (one kept connection per host); returns the
/// exit code: 0, the first failure's code otherwise (later URLs still run, as with curl).
int run_http(const HttpArgs& args);

}  // namespace sockit::cli
