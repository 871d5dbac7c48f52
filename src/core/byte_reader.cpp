// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/core/byte_reader.hpp"

#include <fcntl.h>
#include <mpi.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>

#include "hpar/core/errors.hpp"

namespace hpar {
namespace {

/// True while MPI may be called: initialised and not yet finalised.
bool mpi_active() {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized != 0 && finalized == 0;
}

/// Largest piece one read call moves (MPI counts are int; pread may return less anyway).
constexpr std::uint64_t max_piece = std::uint64_t{1} << 30;

}  // namespace

struct ByteReader::Handles {
  std::vector<int> descriptors;   ///< POSIX file descriptors (pread mode)
  std::vector<MPI_File> handles;  ///< MPI-IO file handles (MPI-IO mode)
  bool mpi_io = false;
  bool lock = false;  ///< serialise MPI calls (thread level below MPI_THREAD_MULTIPLE)
  std::mutex mutex;

  ~Handles() { close_all(); }
  void close_all() noexcept {
    for (int& fd : descriptors) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
    descriptors.clear();
    if (!handles.empty() && mpi_active()) {
      for (MPI_File& handle : handles) MPI_File_close(&handle);
    }
    handles.clear();
  }
};

ByteReader::ByteReader(std::vector<std::string> paths)
    : paths_(std::move(paths)), handles_(std::make_unique<Handles>()) {
  Handles& h = *handles_;  // closes what it opened if the constructor throws
  h.mpi_io = mpi_active();
  if (h.mpi_io) {
    int level = MPI_THREAD_SINGLE;
    MPI_Query_thread(&level);
    if (level < MPI_THREAD_SERIALIZED) {
      throw RuntimeError(
          "reading files with MPI-IO from worker threads needs MPI_THREAD_SERIALIZED, but MPI "
          "provides a lower thread level");
    }
    h.lock = level < MPI_THREAD_MULTIPLE;
  }
  for (const auto& path : paths_) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      throw UsageError("cannot read input file " + quote_for_message(path) + ": " +
                       std::strerror(errno));
    }
    h.descriptors.push_back(fd);
    struct stat info = {};
    if (::fstat(fd, &info) != 0) {
      throw UsageError("cannot read input file " + quote_for_message(path) + ": " +
                       std::strerror(errno));
    }
    if (!S_ISREG(info.st_mode)) {
      throw UsageError("cannot read input file " + quote_for_message(path) +
                       ": not a regular file");
    }
    sizes_.push_back(static_cast<std::uint64_t>(info.st_size));
    if (h.mpi_io) {
      MPI_File handle = MPI_FILE_NULL;
      const int rc =
          MPI_File_open(MPI_COMM_SELF, path.c_str(), MPI_MODE_RDONLY, MPI_INFO_NULL, &handle);
      if (rc != MPI_SUCCESS) {
        throw UsageError("cannot read input file " + quote_for_message(path) +
                         " with MPI-IO: " + mpi_error_text(rc));
      }
      h.handles.push_back(handle);
      ::close(h.descriptors.back());
      h.descriptors.back() = -1;
    }
  }
}

ByteReader::~ByteReader() = default;

bool ByteReader::uses_mpi_io() const noexcept {
  return handles_->mpi_io;
}

void ByteReader::read_at(std::size_t file, std::uint64_t offset, std::span<char> buffer) const {
  const std::uint64_t size = sizes_.at(file);
  if (offset > size || buffer.size() > size - offset) {
    throw RuntimeError("read of " + std::to_string(buffer.size()) + " bytes at offset " +
                       std::to_string(offset) + " is past the end of " +
                       quote_for_message(paths_[file]) + " (" + std::to_string(size) + " bytes)");
  }
  std::uint64_t done = 0;
  while (done < buffer.size()) {
    const std::uint64_t piece = std::min<std::uint64_t>(buffer.size() - done, max_piece);
    char* target = buffer.data() + done;
    std::uint64_t got = 0;
    Handles& h = *handles_;
    if (h.mpi_io) {
      MPI_Status status;
      int count = 0;
      {
        std::unique_lock<std::mutex> guard(h.mutex, std::defer_lock);
        if (h.lock) guard.lock();
        check_mpi(MPI_File_read_at(h.handles[file],
                                   static_cast<MPI_Offset>(offset) + static_cast<MPI_Offset>(done),
                                   target, static_cast<int>(piece), MPI_BYTE, &status),
                  "MPI_File_read_at");
        check_mpi(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
      }
      got = count > 0 ? static_cast<std::uint64_t>(count) : 0;
    } else {
      const ssize_t n = ::pread(h.descriptors[file], target, static_cast<std::size_t>(piece),
                                static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw RuntimeError("cannot read " + quote_for_message(paths_[file]) + ": " +
                           std::strerror(errno));
      }
      got = static_cast<std::uint64_t>(n);
    }
    if (got == 0) {
      throw RuntimeError(quote_for_message(paths_[file]) +
                         " ended early (shrank while being read?) at offset " +
                         std::to_string(offset + done));
    }
    done += got;
  }
}

}  // namespace hpar
