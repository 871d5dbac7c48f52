// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// What the fuzz targets share: the input as text, a temporary file holding it, and a check
// that fails loudly (abort: libFuzzer reports the input as a crash).

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace hpar::fuzz {

/// The fuzzer's bytes as a string (any bytes, NULs included).
inline std::string text_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Aborts with `what` when `ok` is false: the input is a failure libFuzzer keeps.
inline void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz check failed: %s\n", what);
  std::abort();
}

/// A temporary file with the given contents, removed when it goes out of scope.
class TempFile {
 public:
  explicit TempFile(std::string_view contents) {
    path_ = "/tmp/hpar-fuzz-XXXXXX";
    const int fd = ::mkstemp(path_.data());
    require(fd >= 0, "mkstemp");
    for (std::size_t done = 0; done < contents.size();) {
      const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
      require(n > 0, "write");
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() { ::unlink(path_.c_str()); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace hpar::fuzz
