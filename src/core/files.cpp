// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/core/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <utility>

#include "hpar/core/errors.hpp"
#include "hpar/core/machine.hpp"
#include "hpar/core/stop.hpp"

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

/// This host's name, as hidden names carry it.
std::string safe_host_name() {
  std::string h = hpar::host_name();
  for (char& c : h) {
    if (c == '/' || c == '@') c = '_';
  }
  return h;
}

/// The start of every hidden name beside `target`: ".NAME.hpar-".
std::string hidden_prefix(const std::string& target) {
  return "." + fs::path(target).filename().string() + ".hpar-";
}

/// DIR/.NAME.hpar-PID@HOST-: a hidden name of this process beside `target`, less its suffix.
std::string hidden_stem(const std::string& target) {
  return (directory_of(target) /
          (hidden_prefix(target) + std::to_string(::getpid()) + "@" + safe_host_name() + "-"))
      .string();
}

/// A hidden name beside `target` that is free now: DIR/.NAME.hpar-PID@HOST-XXXXXX.
std::string hidden_name(const std::string& target, std::mt19937_64& random) {
  static constexpr char letters[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string suffix(6, 'x');
  for (char& c : suffix) c = letters[random() % (sizeof letters - 1)];
  return hidden_stem(target) + suffix;
}

/// True when no process `pid` runs here: none has the number, or it is a zombie that its parent
/// has not reaped (a rank killed under a launcher that exited first, on a host whose init does not
/// reap: it holds no file any more).
bool process_is_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const std::size_t close = line.rfind(')');  // the command name may itself hold ')'
  if (close == std::string::npos || close + 2 >= line.size()) return false;
  const char state = line[close + 2];
  return state == 'Z' || state == 'X';
}

/// True when the hidden name's rest ("PID@HOST-XXXXXX") names a process of this host that is
/// no longer alive.
bool owner_is_gone(const std::string& rest, const std::string& host) {
  const std::size_t at = rest.find('@');
  const std::size_t dash = rest.rfind('-');
  if (at == 0 || at == std::string::npos || at > 9 || dash == std::string::npos || dash < at) {
    return false;
  }
  for (std::size_t i = 0; i < at; ++i) {
    if (rest[i] < '0' || rest[i] > '9') return false;
  }
  if (rest.compare(at + 1, dash - at - 1, host) != 0 || dash - at - 1 != host.size()) return false;
  const auto pid = static_cast<pid_t>(std::stol(rest.substr(0, at)));
  return pid > 0 && process_is_gone(pid);
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
  refuse_broken_link(path_);
  target_ = follow_links(path_);
  struct stat st = {};
  if (::stat(target_.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw UsageError(message(path_, "it is a directory"));
    if (!S_ISREG(st.st_mode)) {  // a device, FIFO or socket: write into it, never replace it
      direct_ = true;
      staging_ = target_;
      // A FIFO's open waits for a reader: a signal that is not a stop request is no failure.
      while ((fd_ = ::open(target_.c_str(), O_WRONLY | O_CLOEXEC)) < 0 && errno == EINTR) {
        if (stop_requested()) {
          throw Error(
              ExitCode::interrupted,
              "stopped by a signal while " + quote_for_message(path_) + " was opened: not written");
        }
      }
      if (fd_ < 0) throw UsageError(message(path_, why()));
      return;
    }
    mode_ = static_cast<int>(st.st_mode & 07777);
    uid_ = static_cast<int>(st.st_uid);
    gid_ = static_cast<int>(st.st_gid);
  }
  remove_stale_staging(target_);
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
  std::string pattern = hidden_stem(target_) + "XXXXXX";
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
    // Closed before the rename: a write error that shows only at close (a network file
    // system) keeps the target as it was.
    if (::close(std::exchange(fd_, -1)) != 0) throw RuntimeError(message(path_, why()));
    if (std::rename(staging_.c_str(), target_.c_str()) != 0) {
      throw RuntimeError(message(path_, why()));
    }
  } catch (...) {
    abandon();
    throw;
  }
  done_ = true;
}

std::uint64_t AtomicFile::size() const {
  struct stat st = {};
  if (::fstat(fd_, &st) != 0) throw RuntimeError(message(path_, why()));
  return static_cast<std::uint64_t>(st.st_size);
}

void AtomicFile::abandon() noexcept {
  if (done_) return;
  done_ = true;
  if (direct_) {
    if (fd_ != STDOUT_FILENO) ::close(fd_);
    return;
  }
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
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

void refuse_broken_link(const std::string& path) {
  struct stat st = {};
  if (path == "-" || ::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return;
  if (::stat(path.c_str(), &st) == 0) return;
  throw UsageError(message(path, errno == ELOOP ? "a loop of symbolic links"
                                                : "a symbolic link to nothing (" + why() + ")"));
}

std::optional<std::uint64_t> free_space_for(const std::string& path) {
  if (path == "-" || path.empty()) return std::nullopt;
  const std::string target = follow_links(path);
  struct stat st = {};
  if (::stat(target.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return std::nullopt;
  struct statvfs vfs = {};
  if (::statvfs(directory_of(target).c_str(), &vfs) != 0) return std::nullopt;
  const std::uint64_t unit = vfs.f_frsize;
  const std::uint64_t blocks = vfs.f_bavail;
  if (unit != 0 && blocks > UINT64_MAX / unit) return UINT64_MAX;
  return blocks * unit;
}

std::size_t remove_stale_staging(const std::string& path) {
  if (path == "-" || path.empty()) return 0;
  const std::string target = follow_links(path);
  const std::string prefix = hidden_prefix(target);
  const std::string host = safe_host_name();
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(directory_of(target), ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    std::error_code kind;
    if (!fs::is_regular_file(it->symlink_status(kind)) || kind) continue;
    if (!owner_is_gone(name.substr(prefix.size()), host)) continue;
    if (::unlink(it->path().c_str()) == 0) ++removed;
  }
  return removed;
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
