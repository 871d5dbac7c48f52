#include "hpar/core/files.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "hpar/core/errors.hpp"

namespace hpar {

void write_file_atomically(const std::string& path, std::string_view bytes) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string name = ".";
  name += target.filename().string();
  name += ".hpar-XXXXXX";
  std::string pattern = (dir / name).string();
  const int fd = mkstemp(pattern.data());
  if (fd < 0) {
    throw UsageError("cannot write '" + path + "': " + std::strerror(errno));
  }
  const char* data = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(pattern.c_str());
      throw RuntimeError("cannot write '" + path + "': " + why);
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, 0644) != 0 || ::close(fd) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(pattern.c_str());
    throw RuntimeError("cannot write '" + path + "': " + why);
  }
  if (std::rename(pattern.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(pattern.c_str());
    throw RuntimeError("cannot write '" + path + "': " + why);
  }
}

}  // namespace hpar
