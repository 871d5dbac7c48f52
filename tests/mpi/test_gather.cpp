// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include <boost/mpi/communicator.hpp>
#include <numeric>

#include "hpar/comm/gather.hpp"

using hpar::gather_bytes;

namespace {

// Rank r contributes r*37 % 11 bytes (some ranks none), each byte encoding (rank, index).
std::string bytes_of(int rank, std::uint64_t count) {
  std::string s(count, '\0');
  for (std::uint64_t i = 0; i < count; ++i)
    s[i] = static_cast<char>((rank * 31 + static_cast<int>(i)) & 0x7f);
  return s;
}

std::string expected_concatenation(int ranks, std::uint64_t (*size)(int)) {
  std::string all;
  for (int r = 0; r < ranks; ++r) all += bytes_of(r, size(r));
  return all;
}

std::uint64_t uneven(int r) {
  return static_cast<std::uint64_t>(r * 37 % 11);
}

}  // namespace

TEST(Gather, BytesInRankOrder) {
  const boost::mpi::communicator world;
  const std::string mine = bytes_of(world.rank(), uneven(world.rank()));
  const std::string all = gather_bytes(world, mine);
  if (world.rank() == 0) {
    EXPECT_EQ(all, expected_concatenation(world.size(), uneven));
  } else {
    EXPECT_TRUE(all.empty());
  }
}

TEST(Gather, ChunkedPathMatchesSingleCall) {
  // A tiny message limit forces the piecewise path used past 2^31 bytes.
  const boost::mpi::communicator world;
  const auto size = [](int r) -> std::uint64_t {
    return 1000 + static_cast<std::uint64_t>(r) * 333;
  };
  const std::string mine = bytes_of(world.rank(), size(world.rank()));
  for (std::uint64_t limit : {1ULL, 7ULL, 1000ULL, 4096ULL}) {
    const std::string all = gather_bytes(world, mine, 0, limit);
    if (world.rank() == 0) {
      EXPECT_EQ(all, expected_concatenation(world.size(), +size)) << "limit " << limit;
    }
  }
}

TEST(Gather, ToAnotherRoot) {
  const boost::mpi::communicator world;
  const int root = world.size() - 1;
  const std::string all = gather_bytes(world, bytes_of(world.rank(), 5), root);
  if (world.rank() == root) {
    EXPECT_EQ(all.size(), 5U * static_cast<unsigned>(world.size()));
  }
}

TEST(Gather, TypedValues) {
  const boost::mpi::communicator world;
  std::vector<double> mine(static_cast<std::size_t>(world.rank() + 1), world.rank() + 0.5);
  const auto all = hpar::gather_values<double>(world, mine);
  if (world.rank() == 0) {
    std::vector<double> expected;
    for (int r = 0; r < world.size(); ++r)
      expected.insert(expected.end(), static_cast<std::size_t>(r) + 1, r + 0.5);
    EXPECT_EQ(all, expected);
  }
}

// More than 2^31 bytes in total through the real MPI count limit: run only by the
// mpi_large_gather test (2 ranks, about 4.5 GB of memory).
TEST(Gather, DISABLED_LargeBeyondTwoToThe31) {
  const boost::mpi::communicator world;
  const std::uint64_t per_rank = (1ULL << 31) / static_cast<std::uint64_t>(world.size()) + 4096;
  std::string mine(per_rank, static_cast<char>('a' + world.rank()));
  mine[0] = 'X';
  mine[per_rank - 1] = 'Y';
  const std::string all = gather_bytes(world, mine);
  if (world.rank() == 0) {
    ASSERT_EQ(all.size(), per_rank * static_cast<std::uint64_t>(world.size()));
    EXPECT_GT(all.size(), 1ULL << 31);
    for (int r = 0; r < world.size(); ++r) {
      const std::uint64_t at = per_rank * static_cast<std::uint64_t>(r);
      EXPECT_EQ(all[at], 'X');
      EXPECT_EQ(all[at + 1], 'a' + r);
      EXPECT_EQ(all[at + per_rank / 2], 'a' + r);
      EXPECT_EQ(all[at + per_rank - 1], 'Y');
    }
  }
}
