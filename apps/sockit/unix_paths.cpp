#include "unix_paths.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace sockit::cli {
namespace {

// Whether /proc/net/unix lists a listening socket bound to `name` (abstract names appear there
// with '@' in place of the leading NUL, as we write them). Flags 00010000 is __SO_ACCEPTCON:
// listen() was called.
bool someone_listens(const std::string& name) {
  std::ifstream table("/proc/net/unix");
  std::string line;
  std::getline(table, line);  // the header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, refs, protocol, flags, type, state, inode, path;
    fields >> slot >> refs >> protocol >> flags >> type >> state >> inode >> path;
    if (path != name) continue;
    if ((std::stoul(flags, nullptr, 16) & 0x10000UL) != 0) return true;
  }
  return false;
}

}  // namespace

std::string unix_path_in_use(const std::string& path) {
  if (path.starts_with('@')) return "another program holds that abstract name";
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "another program holds that path";
  if (!S_ISSOCK(st.st_mode)) return "the path is a file that is not a socket: pick another path";
  if (someone_listens(path)) return "another program listens on that socket";
  return "a stale socket file is left there and nothing listens on it: remove it and retry";
}

}  // namespace sockit::cli
