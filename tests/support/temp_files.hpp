// SPDX-License-Identifier: BSD-3-Clause
// Shared by the unit and MPI tests: a file read whole, and a fresh folder for one test's files.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace hpar_test {

/// The bytes of the file at `path` ("" when it cannot be read).
inline std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// A fresh, empty folder in the test's temporary directory (hpar_NAME_PID_SERIAL), removed with
/// everything in it at the end. Not shared between ranks: each process makes its own.
class TempFolder {
 public:
  explicit TempFolder(const std::string& name)
      : path_(std::filesystem::path(::testing::TempDir()) /
              ("hpar_" + name + "_" + std::to_string(::getpid()) + "_" +
               std::to_string(serial()++))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  /// The path of `name` in the folder.
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }
  /// The names in the folder, sorted.
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path_)) {
      out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  static int& serial() {
    static int next = 0;
    return next;
  }
  std::filesystem::path path_;
};

}  // namespace hpar_test
