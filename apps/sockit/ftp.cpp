// sockit ftp URL: download, upload and list over FTP and FTPS (curl's options where curl has
// them). The protocol is ftp::Client's; this file turns options into calls and files.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "arguments.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "ftp_cli.hpp"
#include "ftp_url.hpp"
#include "options.hpp"
#include "output.hpp"
#include "sockit/core/unique_fd.hpp"

namespace sockit::cli {
namespace {

struct FtpArgs {
  std::string url;
  std::string user;  // -u USER[:PASS]
  std::string output;
  bool remote_name = false;
  std::string upload;
  bool append = false;
  std::string resume;  // -C: "-" or a byte offset
  bool list_only = false;
  bool json = false;
  std::vector<std::string> quote;
  bool create_dirs = false;
  bool verbose = false;
  bool no_progress = false;
  double connect_timeout_s = 30.0;
  double max_time_s = 60.0;
  bool trust_pasv = false;
  std::string active;
  bool ascii = false;
  bool sendfile = false;
  bool remote_time = false;
  bool ssl = false;
  bool ssl_reqd = false;
  std::string cacert;
  bool insecure = false;
};

std::string base_name(std::string_view path) {
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// The session's settings from the options: timeouts, modes, TLS, the -v observers.
Result<ftp::ClientOptions> client_options(const FtpArgs& a, const FtpUrl& url, std::string& usage) {
  ftp::ClientOptions o;
  o.connect_timeout = to_millis(a.connect_timeout_s);
  o.reply_timeout = to_millis(a.max_time_s);
  o.data_timeout = to_millis(a.max_time_s);
  o.trust_pasv_address = a.trust_pasv;
  o.active_address = a.active;
  o.ascii = a.ascii;
  o.sendfile = a.sendfile;
  o.tls = url.implicit_tls ? ftp::TlsMode::implicit
          : a.ssl_reqd     ? ftp::TlsMode::explicit_required
          : a.ssl          ? ftp::TlsMode::explicit_try
                           : ftp::TlsMode::none;
  if (o.tls != ftp::TlsMode::none) {
    TlsClientOptions t;
    t.ca_file = a.cacert;
    t.verify = !a.insecure;
    auto ctx = TlsClientContext::create(t);
    if (!ctx) {
      usage = "TLS set-up failed: " + ctx.error().message();
      return fail(ctx.error());
    }
    o.tls_context = std::make_shared<const TlsClientContext>(std::move(*ctx));
    o.tls_host = url.host;
    if (a.insecure) warn("-k: the server's certificate and name are not checked");
  }
  if (a.verbose) {
    o.on_command = [](std::string_view line) {
      std::fputs(("> " + one_line(line) + "\n").c_str(), stderr);
    };
    o.on_reply = [](const FtpReply& r) { std::fputs(format_reply_lines(r).c_str(), stderr); };
    o.on_note = [](std::string_view text) { note(text); };
  }
  return o;
}

int run_list(ftp::Client& c, const FtpArgs& a, const FtpUrl& url, int port) {
  if (a.list_only) {
    auto names = c.name_list(url.path);
    if (!names) return report_ftp_error(names.error(), "NLST " + show_arg(url.path), &c, port);
    if (a.json) {
      print_json(nlohmann::json{{"names", *names}});
    } else {
      std::string out;
      for (const auto& n : *names)
        out += one_line(n) + "\n";
      print(out);
    }
    return kExitOk;
  }
  auto entries = c.list(url.path);
  if (!entries) return report_ftp_error(entries.error(), "listing " + show_arg(url.path), &c, port);
  if (a.json) {
    print_json(nlohmann::json{{"path", url.path}, {"entries", listing_json(*entries)}});
  } else {
    print(format_listing(*entries));
  }
  return kExitOk;
}

// Sets the local file's modification time from MDTM (-R).
void keep_remote_time(ftp::Client& c, const std::string& remote, const std::string& local) {
  auto t = c.modification_time(remote);
  if (!t || !*t) return warn("-R: the server did not tell the file's time (MDTM)");
  auto secs = to_unix_seconds(**t);
  if (!secs) return;
  struct timespec times[2] = {{*secs, 0}, {*secs, 0}};
  if (::utimensat(AT_FDCWD, local.c_str(), times, 0) != 0)
    warn("-R: cannot set the time of " + show_arg(local) + ": " + sys_error().message());
}

int run_download(ftp::Client& c, const FtpArgs& a, const FtpUrl& url, int port,
                 FtpProgress& progress) {
  std::string local = a.output;
  if (a.remote_name) local = base_name(url.path);
  const bool to_stdout = local.empty() || local == "-";
  std::uint64_t offset = 0;
  if (!a.resume.empty() && a.resume != "-") offset = std::stoull(a.resume);
  if (a.resume == "-" && !to_stdout) {
    struct stat st {};
    if (::stat(local.c_str(), &st) == 0) offset = static_cast<std::uint64_t>(st.st_size);
  }
  UniqueFd fd;
  // The file is made at the first byte, so a refused RETR leaves no empty file behind.
  const auto open_output = [&]() -> Status {
    if (fd.valid()) return {};
    if (to_stdout) {
      fd = UniqueFd(::dup(1));
    } else {
      const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (offset > 0 ? O_APPEND : O_TRUNC);
      fd = UniqueFd(::open(local.c_str(), flags, 0644));
    }
    if (!fd.valid()) return fail(sys_error());
    return {};
  };
  const ftp::Sink sink = [&](std::span<const std::byte> b) -> Status {
    if (auto opened = open_output(); !opened) return opened;
    return write_all_fd(fd.get(), {reinterpret_cast<const char*>(b.data()), b.size()});
  };
  auto got = c.retrieve(url.path, sink, offset);
  progress.done(c.transferred(), c.expected());
  const std::string what = "RETR " + show_arg(url.path);
  if (!got) {
    const int code = report_ftp_error(got.error(), what, &c, port);
    if (fd.valid() && !to_stdout)
      note(fmt::format("kept the partial file {} ({} bytes); -C - resumes", show_arg(local),
                       offset + c.transferred()));
    return code;
  }
  if (auto opened = open_output(); !opened)
    return report_error(opened.error(), "cannot write " + show_arg(local));
  fd.reset();
  if (a.remote_time && !to_stdout) keep_remote_time(c, url.path, local);
  return kExitOk;
}

// -C with -T: the offset in the local file where the upload resumes (curl's rule: "-" asks
// the server for the remote file's size, and no remote file means from the start).
Result<std::uint64_t> resume_offset(ftp::Client& c, const FtpArgs& a, const std::string& remote) {
  if (a.resume != "-") return std::stoull(a.resume);
  auto size = c.size(remote);
  if (!size && size.error() == ftp::FtpErrc::file_unavailable)
    return std::uint64_t{0};  // nothing there yet: the whole file
  if (!size) return fail(size.error());
  if (!*size) return fail(ftp::FtpErrc::unexpected_reply);
  return **size;
}

int run_upload(ftp::Client& c, const FtpArgs& a, const FtpUrl& url, int port,
               FtpProgress& progress) {
  std::string remote = url.path;
  if (url.is_directory()) remote += base_name(a.upload);
  UniqueFd fd(a.upload == "-" ? ::dup(0) : ::open(a.upload.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return report_error(sys_error(), "cannot read " + show_arg(a.upload));
  struct stat st {};
  const bool regular = ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode);
  if (!a.resume.empty() && !regular)
    return usage_error("-C with -T needs a regular file to upload, not " + show_arg(a.upload));
  if (a.create_dirs && remote.find('/') != std::string::npos) {
    if (auto made = c.make_dirs(remote.substr(0, remote.rfind('/'))); !made)
      return report_ftp_error(made.error(), "MKD", &c, port);
  }
  std::uint64_t offset = 0;
  if (!a.resume.empty()) {
    auto at = resume_offset(c, a, remote);
    if (!at && at.error() == ftp::FtpErrc::unexpected_reply)
      return report_failure(fmt::format("-C -: the server did not tell the size of {} (SIZE); "
                                        "-C OFFSET names the offset",
                                        show_arg(remote)),
                            kExitBadResume);
    if (!at) return report_ftp_error(at.error(), "SIZE " + show_arg(remote), &c, port);
    offset = *at;
    const auto local = static_cast<std::uint64_t>(st.st_size);
    if (offset > local) {
      return report_failure(
          fmt::format("-C: cannot resume the upload: {} ({} bytes) is shorter than the {} bytes "
                      "{} (nothing was sent)",
                      show_arg(a.upload), local, offset,
                      a.resume == "-" ? "already on the server" : "to skip"),
          kExitBadResume);
    }
    if (offset == local) {
      note(fmt::format("{} is already complete on the server ({} bytes): nothing to upload",
                       show_arg(remote), local));
      return kExitOk;
    }
  }
  // Resuming appends the rest to what the server has (curl does the same: APPE, no REST).
  const bool append = a.append || offset > 0;
  auto put = regular ? c.store_file(remote, fd.get(), offset, append)
                     : c.store(
                           remote,
                           [&](std::span<std::byte> b) -> Result<std::size_t> {
                             for (;;) {
                               const ssize_t n = ::read(fd.get(), b.data(), b.size());
                               if (n >= 0) return static_cast<std::size_t>(n);
                               if (errno != EINTR) return fail(sys_error());
                             }
                           },
                           append);
  progress.done(c.transferred(), c.expected());
  if (!put)
    return report_ftp_error(put.error(), (append ? "APPE " : "STOR ") + show_arg(remote), &c, port);
  return kExitOk;
}

std::string check_args(const FtpArgs& a, const FtpUrl& url) {
  if (!a.upload.empty() && (!a.output.empty() || a.remote_name))
    return "-T uploads; -o and -O name a download's file: use one or the other";
  if (a.append && a.upload.empty()) return "-a/--append needs -T FILE";
  if (!a.resume.empty() && a.upload == "-")
    return "-C with -T -: a resumed upload skips into a file, not stdin";
  if (!a.resume.empty() && !a.upload.empty() && a.append)
    return "-C and -a: a resumed upload appends already";
  if (!a.resume.empty() && !a.upload.empty() && a.ascii)
    return "-C and --ascii: an offset counts bytes, which TYPE A changes on the way";
  if (!a.resume.empty() && a.resume != "-" &&
      a.resume.find_first_not_of("0123456789") != std::string::npos)
    return "-C takes '-' or a byte offset, not " + quote_arg(a.resume);
  if (a.resume.size() > 19) return "-C offset too large";
  if (a.remote_name && url.is_directory()) return "-O needs a file name at the end of the URL";
  if (a.ssl_reqd && a.ssl) return "--ssl and --ssl-reqd: use one";
  if ((!a.cacert.empty() || a.insecure) && !a.ssl && !a.ssl_reqd && !url.implicit_tls)
    return "--cacert and -k need --ssl, --ssl-reqd or an ftps:// URL";
  for (const auto& q : a.quote)
    if (q.find_first_of("\r\n") != std::string::npos)
      return "-Q: a command cannot hold a line break";
  return {};
}

int run_ftp(const FtpArgs& a) {
  FtpUrl url;
  std::string why;
  if (!parse_ftp_url(a.url, url, why)) return usage_error(show_arg(a.url) + ": " + why);
  if (auto problem = check_args(a, url); !problem.empty()) return usage_error(problem);
  std::string user = url.user.empty() ? "anonymous" : url.user;
  std::string password = url.has_password ? url.password : "anonymous@";
  if (!a.user.empty()) {
    const auto colon = a.user.find(':');
    user = a.user.substr(0, colon);
    password = colon == std::string::npos ? "" : a.user.substr(colon + 1);
  }
  std::string usage;
  auto options = client_options(a, url, usage);
  if (!options) return usage_error(usage);
  // The meter is for a person watching a transfer: not for listings, not when the download
  // itself goes to stdout, not with -v (its lines would tear the dialogue).
  const bool to_stdout =
      a.upload.empty() && !a.remote_name && (a.output.empty() || a.output == "-");
  FtpProgress progress(!a.no_progress && !a.verbose && !url.is_directory() && !to_stdout);
  options->on_progress = [&progress](std::uint64_t bytes, std::optional<std::uint64_t> total) {
    progress.update(bytes, total);
  };
  const int port = std::atoi(url.port.c_str());
  auto c = ftp::Client::connect(url.host, url.port, std::move(*options));
  if (!c) {
    return report_ftp_error(
        c.error(), fmt::format("cannot connect to {} port {}", url.host, url.port), nullptr, port);
  }
  if (auto in = c->login(user, password); !in)
    return report_ftp_error(in.error(), "login as " + quote_arg(user), &*c, port);
  for (const auto& q : a.quote) {
    auto r = c->command(q);
    if (!r) return report_ftp_error(r.error(), "-Q " + quote_arg(q), &*c, port);
    if (r->code >= 400)
      return report_ftp_error(make_error_code(ftp::classify_reply(r->code)), "-Q " + quote_arg(q),
                              &*c, port);
  }
  int code = kExitOk;
  if (!a.upload.empty()) {
    code = run_upload(*c, a, url, port, progress);
  } else if (url.is_directory()) {
    code = run_list(*c, a, url, port);
  } else {
    code = run_download(*c, a, url, port, progress);
  }
  if (code == kExitOk) (void)c->quit();
  return code;
}

}  // namespace

void add_ftp_command(CLI::App& app) {
  auto a = std::make_shared<FtpArgs>();
  CLI::App* cmd =
      app.add_subcommand("ftp", "FTP/FTPS client: download, upload (-T) or list (URL ending in /)");
  take_positionals(
      *cmd, {"URL", 1, 1, {{"URL", "ftp://[USER[:PASS]@]HOST[:PORT]/PATH or ftps://"}}}, {&a->url});
  cmd->add_option("-u,--user", a->user, "USER[:PASSWORD] (default anonymous)");
  cmd->add_option("-o,--output", a->output, "Write the download to FILE (- = stdout, the default)");
  cmd->add_flag("-O,--remote-name", a->remote_name, "Write the download to the remote file's name");
  cmd->add_option("-T,--upload-file", a->upload, "Upload FILE (- = stdin) to the URL");
  cmd->add_flag("-a,--append", a->append, "With -T: append to the remote file (APPE)");
  cmd->add_option("-C,--continue-at", a->resume,
                  "Resume at OFFSET, or '-': a download at the local file's size (REST), an "
                  "upload (-T) at the remote file's size (SIZE, then APPE)");
  cmd->add_flag("-l,--list-only", a->list_only, "List names only (NLST)");
  cmd->add_flag("--json", a->json, "Print a listing (or the error) as JSON");
  cmd->add_option("-Q,--quote", a->quote, "Send this command before the transfer (repeatable)");
  cmd->add_flag("--ftp-create-dirs", a->create_dirs, "With -T: create missing remote directories");
  cmd->add_flag("-v,--verbose", a->verbose, "Show the control dialogue (password masked)");
  cmd->add_flag("--no-progress", a->no_progress, "No progress meter (shown only on a terminal)");
  cmd->add_option("--connect-timeout", a->connect_timeout_s,
                  "Seconds for each TCP connect (0 = none)")
      ->default_val(30.0)
      ->check(seconds_check());
  cmd->add_option("-m,--max-time", a->max_time_s,
                  "Seconds without a reply or a data byte before giving up (0 = none)")
      ->default_val(60.0)
      ->check(seconds_check());
  cmd->add_flag("--ftp-pasv-trust-address", a->trust_pasv,
                "Connect to the address a PASV reply names (default: the server's own)");
  cmd->add_option("-P,--ftp-port", a->active,
                  "Active mode: listen on ADDRESS ('-' = the control connection's address)");
  cmd->add_flag("-B,--ascii", a->ascii, "TYPE A instead of TYPE I (binary)");
  cmd->add_flag("--sendfile,!--no-sendfile", a->sendfile,
                "-T FILE: send the file with sendfile(2) (no copy through sockit) instead of "
                "256 KiB chunks; slower when the server is on this machine");
  cmd->add_flag("-R,--remote-time", a->remote_time, "Give the download the remote file's time");
  cmd->add_flag("--ssl", a->ssl, "Explicit FTPS if the server offers it (AUTH TLS)");
  cmd->add_flag("--ssl-reqd", a->ssl_reqd, "Explicit FTPS or fail");
  cmd->add_option("--cacert", a->cacert, "With TLS: trust the CAs in this PEM file");
  cmd->add_flag("-k,--insecure", a->insecure, "With TLS: do not verify the certificate (warns)");
  cmd->footer(
      "Examples:\n"
      "  sockit ftp ftp://127.0.0.1:2121/pub/            list (MLSD, else LIST)\n"
      "  sockit ftp -O ftp://127.0.0.1:2121/pub/file.bin\n"
      "  sockit ftp -C - -o file.bin ftp://host/file.bin    resume a download\n"
      "  sockit ftp -C - -T file.bin ftp://host/in/         resume an upload\n"
      "  sockit ftp -T notes.txt -u user:pw ftp://host/in/\n"
      "  sockit ftp --ssl-reqd --cacert ca.pem -l ftp://host/\n"
      "Exit codes besides the common ones: 9 remote file refused (550), 18 transfer ended\n"
      "short (the partial file is kept), 36 cannot resume (-C: the remote file is bigger than\n"
      "the local one), 67 login denied (530).");
  cmd->callback([a] {
    set_json_errors(a->json);
    finish(run_ftp(*a));
  });
}

}  // namespace sockit::cli
