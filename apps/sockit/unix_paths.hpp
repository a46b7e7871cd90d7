// Why a Unix socket path cannot be bound. EADDRINUSE there does not mean what it means for a
// port: the name is a file, and the file may be a socket someone listens on, a socket left
// behind by a program that ended (nothing removes it), or no socket at all.
#pragma once

#include <string>

namespace sockit::cli {

/// The cause to print for EADDRINUSE on `path` ("@name": abstract): "another program listens
/// on it", "a stale socket file: nothing listens on it; remove it and try again", "the path is
/// a file that is not a socket". Looks only (lstat, /proc/net/unix): never connects, which
/// would use up a one-shot listener's only client.
std::string unix_path_in_use(const std::string& path);

}  // namespace sockit::cli
