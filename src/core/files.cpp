// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/core/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>

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

/// The directory of `target` ("." for a bare file name).
fs::path directory_of(const std::string& target) {
  const fs::path p(target);
  return p.has_parent_path() ? p.parent_path() : fs::path(".");
}

/// A hidden name beside `target` that is free now: DIR/.NAME.hpar-XXXXXX.
std::string hidden_name(const std::string& target, std::mt19937_64& random) {
  static constexpr char letters[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string suffix(6, 'x');
  for (char& c : suffix) c = letters[random() % (sizeof letters - 1)];
  return (directory_of(target) / ("." + fs::path(target).filename().string() + ".hpar-" + suffix))
      .string();
}

std::string message(const std::string& path, const std::string& reason) {
  return "cannot write " + quote_for_message(path) + ": " + reason;
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (path_ == "-") {
    std::cout.flush();
    std::fflush(stdout);
    direct_ = true;
    fd_ = STDOUT_FILENO;
    staging_ = target_ = "/dev/stdout";
    return;
  }
  if (path_.empty()) throw UsageError("an empty file name");
  target_ = follow_links(path_);
  struct stat st = {};
  if (::stat(target_.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw UsageError(message(path_, "it is a directory"));
    if (!S_ISREG(st.st_mode)) {  // a device, FIFO or socket: write into it, never replace it
      direct_ = true;
      staging_ = target_;
      fd_ = ::open(target_.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd_ < 0) throw UsageError(message(path_, why()));
      return;
    }
    mode_ = static_cast<int>(st.st_mode & 07777);
    uid_ = static_cast<int>(st.st_uid);
    gid_ = static_cast<int>(st.st_gid);
  }
  open_staging();
}

/// The temporary file: unnamed (O_TMPFILE) where the file system and /proc allow giving it a
/// name later, else a hidden name from mkostemp.
void AtomicFile::open_staging() {
  const std::string dir = directory_of(target_).string();
  if (::access("/proc/self/fd", X_OK) == 0) {
    fd_ = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd_ >= 0) return;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
      throw UsageError(message(path_, why()));
    }
  }
  std::string pattern =
      (fs::path(dir) / ("." + fs::path(target_).filename().string() + ".hpar-XXXXXX")).string();
  fd_ = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd_ < 0) throw UsageError(message(path_, why()));
  staging_ = pattern;
}

/// Links the unnamed temporary file to a free hidden name beside the target.
void AtomicFile::name_staging() {
  const std::string self = "/proc/self/fd/" + std::to_string(fd_);
  std::mt19937_64 random(std::random_device{}());
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = hidden_name(target_, random);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
      staging_ = std::move(name);
      return;
    }
    if (errno != EEXIST) break;
  }
  throw RuntimeError(message(path_, why()));
}

AtomicFile::~AtomicFile() {
  if (!done_) abandon();
}

const std::string& AtomicFile::staging_path() {
  if (!direct_ && staging_.empty() && !done_) name_staging();
  return staging_;
}

void AtomicFile::write(std::string_view bytes) {
  const char* data = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, data, left);
    if (n < 0) {  // EINTR too: hpar's handlers interrupt system calls only to stop the run
      throw RuntimeError(message(path_, why()));
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

void AtomicFile::commit() {
  if (done_) return;
  if (direct_) {
    done_ = true;
    if (fd_ != STDOUT_FILENO && ::close(fd_) != 0) throw RuntimeError(message(path_, why()));
    return;
  }
  const auto mode = static_cast<mode_t>(mode_ >= 0 ? mode_ : static_cast<int>(new_file_mode()));
  if (uid_ >= 0) {  // keep the owner where we may (root may; others keep their own)
    [[maybe_unused]] const int ignored =
        ::fchown(fd_, static_cast<uid_t>(uid_), static_cast<gid_t>(gid_));
  }
  try {
    if (::fchmod(fd_, mode) != 0) throw RuntimeError(message(path_, why()));
    if (staging_.empty()) name_staging();  // a name for the moment of the rename
    if (std::rename(staging_.c_str(), target_.c_str()) != 0) {
      throw RuntimeError(message(path_, why()));
    }
  } catch (...) {
    abandon();
    throw;
  }
  done_ = true;
  if (::close(fd_) != 0) throw RuntimeError(message(path_, why()));
}

void AtomicFile::abandon() noexcept {
  if (done_) return;
  done_ = true;
  if (direct_) {
    if (fd_ != STDOUT_FILENO) ::close(fd_);
    return;
  }
  ::close(fd_);
  if (!staging_.empty()) ::unlink(staging_.c_str());
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

void require_readable_file(const std::string& path, std::string_view what) {
  const auto refuse = [&](const std::string& reason) {
    throw UsageError("cannot read " + std::string(what) + " " + quote_for_message(path) + ": " +
                     reason);
  };
  if (path.empty()) refuse("an empty file name");
  struct stat st = {};
  if (::stat(path.c_str(), &st) != 0) refuse(why());
  if (S_ISDIR(st.st_mode)) refuse("it is a directory");
  if (!S_ISREG(st.st_mode)) refuse("not a regular file");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) refuse(why());
  ::close(fd);
}

std::string output_identity(const std::string& path) {
  if (path == "-") return {};
  struct stat st = {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISCHR(st.st_mode)) return {};
    return "inode " + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  }
  std::error_code ec;
  const fs::path absolute = fs::absolute(path, ec);
  const fs::path resolved = fs::weakly_canonical(ec ? fs::path(path) : absolute, ec);
  return "path " + (ec ? absolute.lexically_normal().string() : resolved.string());
}

}  // namespace hpar
