// One registration function per subcommand file (apps/sockit/<name>.cpp). Each adds its
// subcommand to the top-level app and installs a callback that runs it; a failing command calls
// cli::finish(code) (exit_codes.hpp) so main() can return that code.
#pragma once

namespace CLI {
class App;
}

namespace sockit::cli {

void add_ip_command(CLI::App& app);       // ip.cpp
void add_resolve_command(CLI::App& app);  // resolve.cpp
void add_connect_command(CLI::App& app);  // connect.cpp
void add_scan_command(CLI::App& app);     // scan.cpp
void add_listen_command(CLI::App& app);   // listen.cpp
void add_bench_command(CLI::App& app);    // bench.cpp
void add_serve_command(CLI::App& app);    // serve.cpp
void add_mail_command(CLI::App& app);     // mail.cpp
void add_http_command(CLI::App& app);     // http.cpp
void add_ftp_command(CLI::App& app);      // ftp.cpp

}  // namespace sockit::cli
