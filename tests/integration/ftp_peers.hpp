// FTP servers for the tests of `sockit ftp`, started as unprivileged foreground processes on
// loopback: vsftpd (a config file written per test), pyftpdlib (/usr/bin/python3 only sees it)
// plain or with TLS_FTPHandler, and the scripted fake server (ftp_fake_server.py).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "cli_peers.hpp"
#include "support/process.hpp"

namespace sockit::test {

inline std::string ftp_script(const std::string& name) {
  return std::string(SOCKIT_SOURCE_DIR) + "/tests/integration/" + name;
}

/// A scratch directory (removed at the end) holding the tree the FTP servers serve, root/:
/// pub/ (downloads) and up/ (writable by anyone), and files of the test beside it.
struct FtpTree {
  std::string base;
  std::string root;
  FtpTree() {
    std::string templ = "/tmp/sockit_ftp_XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) std::abort();
    base = templ;
    root = base + "/root";
    std::filesystem::create_directories(root + "/pub");
    std::filesystem::create_directories(root + "/up");
    ::chmod((root + "/up").c_str(), 0777);
  }
  ~FtpTree() {
    std::error_code ignored;
    std::filesystem::remove_all(base, ignored);
  }
  FtpTree(const FtpTree&) = delete;
  FtpTree& operator=(const FtpTree&) = delete;
  /// Writes a file under root/ ("pub/x") and returns its path.
  std::string put(const std::string& rel, std::string_view bytes) const {
    return write(root + "/" + rel, bytes);
  }
  /// A path beside the tree, for the client's own files.
  std::string local(const std::string& name) const { return base + "/" + name; }
  static std::string write(const std::string& path, std::string_view bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  static std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return {};
    std::string data(static_cast<std::size_t>(in.tellg()), '\0');
    in.seekg(0);
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    return data;
  }
};

/// vsftpd 3.0.3 on a free port, anonymous, uploads allowed; `extra` config lines (TLS).
class Vsftpd {
 public:
  Vsftpd(const FtpTree& tree, const std::string& extra = "") {
    for (int attempt = 0; attempt < 5 && !proc_; ++attempt) {
      port_ = free_port();
      const auto conf = FtpTree::write(
          tree.local("vsftpd.conf"),
          "listen=YES\nlisten_address=127.0.0.1\nlisten_port=" + std::to_string(port_) +
              "\nbackground=NO\nrun_as_launching_user=YES\nftp_username=nobody\n"
              "anonymous_enable=YES\nanon_root=" +
              tree.root +
              "\nlocal_enable=NO\nwrite_enable=YES\nanon_upload_enable=YES\n"
              "anon_mkdir_write_enable=YES\nanon_other_write_enable=YES\nseccomp_sandbox=NO\n"
              "anon_umask=022\n" +
              extra);
      auto p = std::make_unique<Process>(std::vector<std::string>{"/usr/sbin/vsftpd", conf});
      if (wait_bound(port_)) proc_ = std::move(p);
    }
  }
  int port() const { return port_; }
  bool ok() const { return proc_ != nullptr; }
  std::string url(const std::string& path) const {
    return "ftp://127.0.0.1:" + std::to_string(port_) + "/" + path;
  }

 private:
  int port_ = 0;
  std::unique_ptr<Process> proc_;
};

/// pyftpdlib: `python3 -m pyftpdlib` (plain), or ftp_tls_server.py with a certificate.
class Pyftpd {
 public:
  explicit Pyftpd(const FtpTree& tree, const std::string& user = "", const std::string& pass = "",
                  const std::string& cert = "", const std::string& key = "") {
    std::vector<std::string> argv;
    if (cert.empty()) {
      argv = {"/usr/bin/python3", "-m", "pyftpdlib", "-i", "127.0.0.1", "-p", "0", "-d",
              tree.root,          "-w"};
      if (!user.empty()) argv.insert(argv.end(), {"-u", user, "-P", pass});
    } else {
      argv = {"/usr/bin/python3", ftp_script("ftp_tls_server.py"), tree.root, cert, key};
    }
    proc_ = std::make_unique<Process>(argv);
    if (proc_->wait_stderr("starting FTP", std::chrono::milliseconds(10000)) ||
        proc_->wait_stdout("starting FTP", std::chrono::milliseconds(1))) {
      proc_->wait_stderr("pid=", std::chrono::milliseconds(2000));
      port_ = port_after(proc_->err() + proc_->out(), "server on ");
    }
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "ftp://127.0.0.1:" + std::to_string(port_) + "/" + path;
  }

 private:
  int port_ = 0;
  std::unique_ptr<Process> proc_;
};

/// ftp_fake_server.py SCENARIO, one client.
class FakeFtp {
 public:
  explicit FakeFtp(const std::string& scenario)
      : proc_({"/usr/bin/python3", ftp_script("ftp_fake_server.py"), scenario}) {
    if (proc_.wait_stdout("PORT ", std::chrono::milliseconds(10000))) {
      proc_.wait_stdout("\n", std::chrono::milliseconds(1000));
      port_ = std::atoi(proc_.out().c_str() + 5);
    }
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "ftp://127.0.0.1:" + std::to_string(port_) + "/" + path;
  }

 private:
  Process proc_;
  int port_ = 0;
};

}  // namespace sockit::test
