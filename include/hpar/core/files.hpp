#pragma once
/// Files that hpar writes (results, images, reports, traces, plots): never half-written, never
/// replacing what they should write into.
///
/// A regular file (or a new one) is written to a temporary file in the same directory and
/// renamed over the target at the end, keeping an existing file's mode (and owner where
/// possible). A symbolic link is followed: its target is replaced, the link stays. A target
/// that exists and is not a regular file (a device such as /dev/null, a FIFO, a socket,
/// /dev/stdout) is written into directly. "-" means standard output.

#include <string>
#include <string_view>

namespace hpar {

/// An output file written in pieces that appears whole at commit() or not at all.
class AtomicFile {
 public:
  /// Prepares to write `path`. Throws UsageError naming the path when it cannot be written
  /// (missing or read-only directory, a directory given as the file).
  explicit AtomicFile(std::string path);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  /// Removes the temporary file unless committed.
  ~AtomicFile();

  /// Appends `bytes`. Throws RuntimeError naming the path.
  void write(std::string_view bytes);
  /// Makes the file appear under its name (rename), or closes a direct target. Throws
  /// RuntimeError naming the path.
  void commit();
  /// Gives up: the temporary file is removed, the target is untouched.
  void abandon() noexcept;

  /// The path as given.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// Where the bytes go until commit(): the temporary file (or the target when direct()).
  [[nodiscard]] const std::string& staging_path() const noexcept { return staging_; }
  /// True when writes go straight into the target (a device, FIFO, socket, or "-").
  [[nodiscard]] bool direct() const noexcept { return direct_; }
  /// The open descriptor of the staging file (for writers that position their own writes).
  [[nodiscard]] int descriptor() const noexcept { return fd_; }

 private:
  std::string path_;
  std::string target_;   ///< the file renamed over: path_ with symbolic links followed
  std::string staging_;  ///< temporary file (or target_ when direct_)
  int fd_ = -1;
  bool direct_ = false;
  bool done_ = false;
  int mode_ = -1;  ///< the existing target's mode bits, kept at commit (-1: a new file)
  int uid_ = -1;
  int gid_ = -1;
};

/// Writes `bytes` to `path` as AtomicFile does, in one go.
void write_file_atomically(const std::string& path, std::string_view bytes);

}  // namespace hpar
