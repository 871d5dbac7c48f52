// SPDX-License-Identifier: BSD-3-Clause
// ByteReader without MPI (POSIX pread path); the MPI-IO path runs in the wordcount CLI tests.

#include "hpar/core/byte_reader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "hpar/core/errors.hpp"

using hpar::ByteReader;

namespace {

std::string temp_file(const std::string& name, const std::string& contents) {
  const auto path = std::filesystem::path(::testing::TempDir()) /
                    ("hpar_reader_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(path, std::ios::binary) << contents;
  return path.string();
}

std::string read(const ByteReader& reader, std::size_t file, std::uint64_t offset, std::size_t n) {
  std::string out(n, '?');
  reader.read_at(file, offset, {out.data(), n});
  return out;
}

}  // namespace

TEST(ByteReader, SizesAndRanges) {
  const std::string a = temp_file("a", "hello world");
  const std::string b = temp_file("b", "");
  {
    const ByteReader reader({a, b, a});
    EXPECT_FALSE(reader.uses_mpi_io());
    ASSERT_EQ(reader.files(), 3U);
    EXPECT_EQ(reader.size(0), 11U);
    EXPECT_EQ(reader.size(1), 0U);
    EXPECT_EQ(reader.path(2), a);
    EXPECT_EQ(read(reader, 0, 0, 11), "hello world");
    EXPECT_EQ(read(reader, 2, 6, 5), "world");
    EXPECT_EQ(read(reader, 0, 11, 0), "");
    EXPECT_EQ(read(reader, 1, 0, 0), "");
    EXPECT_THROW(read(reader, 0, 7, 5), hpar::RuntimeError);
    EXPECT_THROW(read(reader, 1, 0, 1), hpar::RuntimeError);
    EXPECT_THROW(read(reader, 0, 12, 0), hpar::RuntimeError);
  }
  std::filesystem::remove(a);
  std::filesystem::remove(b);
}

TEST(ByteReader, ConcurrentReads) {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += static_cast<char>('a' + i % 26);
  const std::string path = temp_file("c", text);
  const ByteReader reader({path});
  int wrong = 0;
#pragma omp parallel for num_threads(4) reduction(+ : wrong)
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t offset = static_cast<std::uint64_t>(i) * 97;
    if (read(reader, 0, offset, 50) != text.substr(offset, 50)) ++wrong;
  }
  EXPECT_EQ(wrong, 0);
  std::filesystem::remove(path);
}

TEST(ByteReader, MissingOrNotAFileIsAUsageErrorNamingIt) {
  const std::string missing = ::testing::TempDir() + "hpar_reader_does_not_exist";
  try {
    const ByteReader reader({missing});
    ADD_FAILURE() << "opened a missing file";
  } catch (const hpar::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  EXPECT_THROW(ByteReader({::testing::TempDir()}), hpar::UsageError);
  const std::string good = temp_file("d", "x");
  EXPECT_THROW(ByteReader({good, missing}), hpar::UsageError);  // closes `good` again
  std::filesystem::remove(good);
}
