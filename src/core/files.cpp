#include "hpar/core/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "hpar/core/errors.hpp"

namespace hpar {
namespace {

namespace fs = std::filesystem;

std::string why() {
  return std::strerror(errno);
}

/// `path` with symbolic links followed (to a file that may not exist yet).
std::string follow_links(const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  if (!fs::is_symlink(fs::symlink_status(p, ec))) return path;
  const fs::path target = fs::weakly_canonical(p, ec);
  return ec ? path : target.string();
}

/// The process's default mode of a new file (0666 less the umask).
mode_t new_file_mode() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return static_cast<mode_t>(0666 & ~mask);
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (path_ == "-") {
    direct_ = true;
    fd_ = STDOUT_FILENO;
    staging_ = target_ = "/dev/stdout";
    return;
  }
  if (path_.empty()) throw UsageError("an empty file name");
  target_ = follow_links(path_);
  struct stat st = {};
  if (::stat(target_.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw UsageError("cannot write '" + path_ + "': it is a directory");
    if (!S_ISREG(st.st_mode)) {  // a device, FIFO or socket: write into it, never replace it
      direct_ = true;
      staging_ = target_;
      fd_ = ::open(target_.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd_ < 0) throw UsageError("cannot write '" + path_ + "': " + why());
      return;
    }
    mode_ = static_cast<int>(st.st_mode & 07777);
    uid_ = static_cast<int>(st.st_uid);
    gid_ = static_cast<int>(st.st_gid);
  }
  const fs::path target(target_);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string pattern = (dir / ("." + target.filename().string() + ".hpar-XXXXXX")).string();
  fd_ = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd_ < 0) throw UsageError("cannot write '" + path_ + "': " + why());
  staging_ = pattern;
}

AtomicFile::~AtomicFile() {
  if (!done_) abandon();
}

void AtomicFile::write(std::string_view bytes) {
  const char* data = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw RuntimeError("cannot write '" + path_ + "': " + why());
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

void AtomicFile::commit() {
  if (done_) return;
  done_ = true;
  if (direct_) {
    if (fd_ != STDOUT_FILENO && ::close(fd_) != 0) {
      throw RuntimeError("cannot write '" + path_ + "': " + why());
    }
    return;
  }
  const auto mode = static_cast<mode_t>(mode_ >= 0 ? mode_ : static_cast<int>(new_file_mode()));
  if (uid_ >= 0) {  // keep the owner where we may (root may; others keep their own)
    [[maybe_unused]] const int ignored =
        ::fchown(fd_, static_cast<uid_t>(uid_), static_cast<gid_t>(gid_));
  }
  if (::fchmod(fd_, mode) != 0 || ::close(fd_) != 0) {
    const std::string reason = why();
    ::unlink(staging_.c_str());
    throw RuntimeError("cannot write '" + path_ + "': " + reason);
  }
  if (std::rename(staging_.c_str(), target_.c_str()) != 0) {
    const std::string reason = why();
    ::unlink(staging_.c_str());
    throw RuntimeError("cannot write '" + path_ + "': " + reason);
  }
}

void AtomicFile::abandon() noexcept {
  if (done_) return;
  done_ = true;
  if (direct_) {
    if (fd_ != STDOUT_FILENO) ::close(fd_);
    return;
  }
  ::close(fd_);
  ::unlink(staging_.c_str());
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

}  // namespace hpar
