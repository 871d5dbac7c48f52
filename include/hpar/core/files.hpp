// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Files that hpar writes (results, images, reports, traces, plots): never half-written, never
/// replacing what they should write into, never a temporary file left behind.
///
/// A regular file (or a new one) is written to a temporary file in the same directory and
/// renamed over the target at the end, keeping an existing file's mode (and owner where
/// possible). The temporary file has no name while it is written (Linux O_TMPFILE) wherever the
/// file system allows it, so nothing is left behind however the process ends (SIGKILL, the
/// out-of-memory killer, an abort); it gets a hidden name only for the moment of the rename, or
/// when a writer asks for one (staging_path()). A hidden name says whose it is,
/// ".NAME.hpar-PID@HOST-XXXXXX" (the writing process and its host): preparing to write NAME
/// removes the hidden files of earlier writers on this host that are no longer alive (a killed
/// run's), so none outlives the next run with the same output. A symbolic link is
/// followed: its target is replaced, the link stays (a link that leads nowhere is refused). A
/// target that exists and is not a regular file (a device such as /dev/null, a FIFO, a socket,
/// /dev/stdout) is written into directly.
/// "-" means standard output.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hpar {

/// An output file written in pieces that appears whole at commit() or not at all.
class AtomicFile {
 public:
  /// Prepares to write `path`. Throws UsageError naming the path when it cannot be written
  /// (missing or read-only directory, a directory given as the file). For "-", flushes what
  /// std::cout and stdout hold first, so the bytes follow what was printed before.
  explicit AtomicFile(std::string path);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  /// Removes the temporary file unless committed.
  ~AtomicFile();

  /// Appends `bytes`. Throws RuntimeError naming the path, also when a signal interrupts a
  /// write that has not begun (a stop request: the caller decides what it means).
  void write(std::string_view bytes);
  /// Makes the file appear under its name (rename), or closes a direct target. Throws
  /// RuntimeError naming the path.
  void commit();
  /// Gives up: the temporary file is removed, the target is untouched.
  void abandon() noexcept;

  /// The path as given.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// A name of the file the bytes go to until commit(), for writers that open it themselves
  /// (MPI-IO on other ranks): the temporary file, given a hidden name beside the target by
  /// this call if it had none (the target itself when direct()). Throws RuntimeError when no
  /// name can be given. Ask only when another process must open the file: an unnamed
  /// temporary file cannot outlive the run.
  [[nodiscard]] const std::string& staging_path();
  /// True when writes go straight into the target (a device, FIFO, socket, or "-").
  [[nodiscard]] bool direct() const noexcept { return direct_; }
  /// The open descriptor of the staging file (for writers that position their own writes).
  [[nodiscard]] int descriptor() const noexcept { return fd_; }
  /// Bytes the file holds now (its size), for a writer to check against what it wrote before
  /// commit(). Throws RuntimeError naming the path.
  [[nodiscard]] std::uint64_t size() const;

 private:
  void open_staging();
  void name_staging();

  std::string path_;
  std::string target_;   ///< the file renamed over: path_ with symbolic links followed
  std::string staging_;  ///< temporary file's name (empty while unnamed), or target_ when direct_
  int fd_ = -1;
  bool direct_ = false;
  bool done_ = false;
  int mode_ = -1;  ///< the existing target's mode bits, kept at commit (-1: a new file)
  int uid_ = -1;
  int gid_ = -1;
};

/// Writes `bytes` to `path` as AtomicFile does, in one go.
void write_file_atomically(const std::string& path, std::string_view bytes);

/// Throws UsageError unless `path` names a regular file this process can open for reading:
/// "cannot read WHAT 'PATH': it is a directory" (or not a regular file, or the system's
/// reason), the path quoted with quote_for_message. `what` names the argument ("--config",
/// "input file").
void require_readable_file(const std::string& path, std::string_view what);

/// Throws UsageError when `path` is a symbolic link that leads nowhere (a dangling link, a loop
/// of links): "cannot write 'PATH': a symbolic link to nothing (...)". Writing would put a new
/// file where the link pointed, or fail late.
void refuse_broken_link(const std::string& path);

/// Bytes an unprivileged writer may still add to the file system that `path` (a file that may
/// not exist yet; symbolic links followed) would be written to; nullopt when that cannot be told,
/// or when `path` is "-" or an existing file that is not a regular file (a device, a FIFO).
[[nodiscard]] std::optional<std::uint64_t> free_space_for(const std::string& path);

/// The hidden files beside `path` that writers of `path` on this host left behind and whose
/// process is no longer alive (".NAME.hpar-PID@HOST-..."): removed. Returns how many. Files of
/// other hosts and of live processes are left alone.
std::size_t remove_stale_staging(const std::string& path);

/// What an output path leads to, to tell whether two outputs would write one file: the device
/// and inode of an existing file (symbolic links followed), else the absolute path with the
/// links of its directories followed. Empty for "-" and for an existing character device
/// (/dev/null, a terminal): stream targets that several outputs may share.
[[nodiscard]] std::string output_identity(const std::string& path);

}  // namespace hpar
