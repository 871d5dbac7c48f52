// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Reads byte ranges of a fixed list of files from any thread, for jobs that stream files.
///
/// Jobs never call MPI, yet a rank should read its own byte range with MPI-IO; this core class
/// is where that happens. It opens every file once when built and then offers `read_at`.
///   - When MPI is initialised (MPI_Initialized and not MPI_Finalized), each file is opened with
///     MPI_File_open on MPI_COMM_SELF (each rank reads independently, no collective I/O) and
///     read with MPI_File_read_at. Worker threads call it, so MPI must provide at least
///     MPI_THREAD_SERIALIZED: below that the constructor throws RuntimeError (no silent fallback,
///     so a run never reports MPI-IO it did not do). Below MPI_THREAD_MULTIPLE the reads are
///     serialised with a mutex.
///   - Otherwise (unit tests without MPI) files are read with POSIX pread, which is thread-safe.
/// Every file is also opened with POSIX open first: a missing, unreadable or non-regular file is
/// a UsageError naming the file (exit 2), and its size comes from fstat.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace hpar {

/// Positional reads of whole files, thread-safe. Not copyable; closes its files when destroyed.
class ByteReader {
 public:
  /// Opens `paths` in order. Throws UsageError naming the first file that is missing,
  /// unreadable or not a regular file; RuntimeError when MPI is initialised with a thread
  /// level below MPI_THREAD_SERIALIZED.
  explicit ByteReader(std::vector<std::string> paths);
  ~ByteReader();
  ByteReader(const ByteReader&) = delete;
  ByteReader& operator=(const ByteReader&) = delete;

  /// Number of files.
  [[nodiscard]] std::size_t files() const noexcept { return paths_.size(); }
  /// Path of file `file`, as given.
  [[nodiscard]] const std::string& path(std::size_t file) const { return paths_.at(file); }
  /// Size of file `file` in bytes, as it was when opened.
  [[nodiscard]] std::uint64_t size(std::size_t file) const { return sizes_.at(file); }
  /// True when reads go through MPI-IO, false for POSIX pread.
  [[nodiscard]] bool uses_mpi_io() const noexcept;
  /// Fills `buffer` with the bytes of file `file` from `offset` on. Thread-safe. Throws
  /// RuntimeError if the range goes past the end of the file or the read fails or comes short.
  void read_at(std::size_t file, std::uint64_t offset, std::span<char> buffer) const;

 private:
  struct Handles;  ///< the open files (POSIX descriptors or MPI-IO handles): no MPI here

  std::vector<std::string> paths_;
  std::vector<std::uint64_t> sizes_;
  std::unique_ptr<Handles> handles_;
};

}  // namespace hpar
