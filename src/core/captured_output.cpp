// SPDX-License-Identifier: BSD-3-Clause
// A command's captured output: memory up to a bound, then an unlinked temporary file.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "hpar/core/errors.hpp"
#include "hpar/core/process.hpp"

namespace hpar {
namespace {

/// Piece size for reading the temporary file back or copying it on.
constexpr std::size_t piece = std::size_t{1} << 20;

std::string temporary_directory() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

/// An unlinked temporary file in `dir` (O_TMPFILE, else a named file unlinked at once).
int unlinked_file(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::string pattern = dir + "/.hpar-output-XXXXXX";
    fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(pattern.c_str());
  }
  if (fd < 0) {
    throw RuntimeError("cannot make a temporary file in " + quote_for_message(dir) +
                       " for a command's output: " + std::strerror(errno));
  }
  return fd;
}

void write_all(int fd, const char* data, std::size_t size, const char* what) {
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      throw RuntimeError(std::string("cannot write ") + what + ": " +
                         std::strerror(n < 0 ? errno : ENOSPC));
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

CapturedOutput::CapturedOutput(std::uint64_t memory_bytes) : limit_(memory_bytes) {}

CapturedOutput::~CapturedOutput() {
  if (fd_ >= 0) ::close(fd_);
}

void CapturedOutput::append(std::string_view bytes) {
  if (fd_ < 0 && memory_.size() + bytes.size() <= limit_) {
    memory_.append(bytes);
    return;
  }
  if (fd_ < 0) fd_ = unlinked_file(temporary_directory());
  if (!memory_.empty()) {  // past the bound: everything goes to the file, in order
    write_all(fd_, memory_.data(), memory_.size(), "a command's output to its temporary file");
    file_size_ += memory_.size();
    std::string().swap(memory_);
  }
  write_all(fd_, bytes.data(), bytes.size(), "a command's output to its temporary file");
  file_size_ += bytes.size();
}

void CapturedOutput::clear() {
  std::string().swap(memory_);
  if (fd_ >= 0) {
    if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  file_size_ = 0;
}

std::string CapturedOutput::take() {
  if (file_size_ == 0) {
    std::string out = std::move(memory_);
    clear();
    return out;
  }
  std::string out(file_size_, '\0');
  for (std::uint64_t done = 0; done < file_size_;) {
    const ssize_t n = ::pread(fd_, out.data() + done, file_size_ - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      throw RuntimeError("cannot read a command's output back from its temporary file: " +
                         std::string(std::strerror(n < 0 ? errno : EIO)));
    }
    done += static_cast<std::uint64_t>(n);
  }
  out += memory_;
  clear();
  return out;
}

int CapturedOutput::last_byte() const {
  if (!memory_.empty()) return static_cast<unsigned char>(memory_.back());
  unsigned char c = 0;
  if (file_size_ == 0 || ::pread(fd_, &c, 1, static_cast<off_t>(file_size_ - 1)) != 1) return -1;
  return c;
}

void CapturedOutput::write_to(int fd) const {
  if (file_size_ > 0) {
    std::vector<char> buffer(std::min<std::uint64_t>(piece, file_size_));
    for (std::uint64_t done = 0; done < file_size_;) {
      const ssize_t n =
          ::pread(fd_, buffer.data(), std::min<std::uint64_t>(buffer.size(), file_size_ - done),
                  static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        throw RuntimeError("cannot read a command's output back from its temporary file: " +
                           std::string(std::strerror(n < 0 ? errno : EIO)));
      }
      write_all(fd, buffer.data(), static_cast<std::size_t>(n), "a command's output");
      done += static_cast<std::uint64_t>(n);
    }
  }
  write_all(fd, memory_.data(), memory_.size(), "a command's output");
}

}  // namespace hpar
