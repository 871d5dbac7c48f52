// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <vector>

#include "hpar/core/errors.hpp"
#include "hpar/core/partition.hpp"

using hpar::block_partition;
using hpar::Slice;

namespace {

// The slices must tile [0, n) in order, with sizes differing by at most one.
void expect_tiling(std::uint64_t n, int parts) {
  std::uint64_t next = 0;
  std::uint64_t smallest = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t largest = 0;
  for (int p = 0; p < parts; ++p) {
    const Slice s = block_partition(n, parts, p);
    ASSERT_EQ(s.begin, next) << "n=" << n << " parts=" << parts << " p=" << p;
    ASSERT_LE(s.begin, s.end);
    next = s.end;
    smallest = std::min(smallest, s.size());
    largest = std::max(largest, s.size());
  }
  EXPECT_EQ(next, n);
  EXPECT_LE(largest - smallest, 1U);
}

}  // namespace

TEST(Partition, EmptyInputGivesEmptySlices) {
  for (int p = 0; p < 4; ++p) EXPECT_TRUE(block_partition(0, 4, p).empty());
}

TEST(Partition, FewerItemsThanRanks) {
  EXPECT_EQ(block_partition(2, 3, 0), (Slice{0, 1}));
  EXPECT_EQ(block_partition(2, 3, 1), (Slice{1, 2}));
  EXPECT_EQ(block_partition(2, 3, 2), (Slice{2, 2}));
}

TEST(Partition, RemainderGoesToFirstParts) {
  EXPECT_EQ(block_partition(10, 4, 0), (Slice{0, 3}));
  EXPECT_EQ(block_partition(10, 4, 1), (Slice{3, 6}));
  EXPECT_EQ(block_partition(10, 4, 2), (Slice{6, 8}));
  EXPECT_EQ(block_partition(10, 4, 3), (Slice{8, 10}));
}

TEST(Partition, TilesForManySizes) {
  for (std::uint64_t n : {0ULL, 1ULL, 2ULL, 7ULL, 64ULL, 1000ULL, 1000003ULL}) {
    for (int parts : {1, 2, 3, 4, 5, 11, 64}) expect_tiling(n, parts);
  }
}

TEST(Partition, BeyondTwoToThe31AndNearTheTop) {
  expect_tiling((1ULL << 31) + 5, 3);
  expect_tiling((1ULL << 40) + 12345, 7);
  const auto top = std::numeric_limits<std::uint64_t>::max();
  expect_tiling(top, 3);
  EXPECT_EQ(block_partition(top, 3, 2).end, top);
}

TEST(Partition, RejectsBadParts) {
  EXPECT_THROW((void)block_partition(10, 0, 0), std::invalid_argument);
  EXPECT_THROW((void)block_partition(10, 2, 2), std::invalid_argument);
  EXPECT_THROW((void)block_partition(10, 2, -1), std::invalid_argument);
}

TEST(Distribution, BlockIsTheContiguousPartition) {
  for (int p = 0; p < 3; ++p) {
    const auto set = hpar::owned_blocks(10, 3, p, hpar::Distribution::block);
    const Slice s = block_partition(10, 3, p);
    EXPECT_EQ(set.first, s.begin);
    EXPECT_EQ(set.count, s.size());
    EXPECT_EQ(set.stride, 1U);
  }
}

TEST(Distribution, CyclicDealsEveryBlockOnce) {
  for (std::uint64_t blocks : {0ULL, 1ULL, 2ULL, 7ULL, 12ULL, 1001ULL}) {
    for (int parts : {1, 2, 3, 4, 5}) {
      std::vector<int> owner(blocks, -1);
      for (int p = 0; p < parts; ++p) {
        const auto set = hpar::owned_blocks(blocks, parts, p, hpar::Distribution::cyclic);
        for (std::uint64_t i = 0; i < set.count; ++i) {
          ASSERT_LT(set[i], blocks);
          EXPECT_EQ(owner[set[i]], -1) << "block dealt twice";
          EXPECT_EQ(set[i] % static_cast<std::uint64_t>(parts), static_cast<std::uint64_t>(p));
          owner[set[i]] = p;
        }
      }
      for (const int o : owner) EXPECT_NE(o, -1) << "block not dealt";
    }
  }
}

TEST(Distribution, Parse) {
  EXPECT_EQ(hpar::parse_distribution("block"), hpar::Distribution::block);
  EXPECT_EQ(hpar::parse_distribution("cyclic"), hpar::Distribution::cyclic);
  EXPECT_EQ(hpar::to_string(hpar::Distribution::cyclic), "cyclic");
  EXPECT_THROW((void)hpar::parse_distribution("round-robin"), hpar::UsageError);
}
