// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include <cstdlib>

#include "hpar/platform/layout.hpp"

using namespace hpar;

TEST(Layout, CpuRanges) {
  EXPECT_EQ(cpu_ranges({}), "");
  EXPECT_EQ(cpu_ranges({3}), "3");
  EXPECT_EQ(cpu_ranges({0, 1, 2, 3, 8}), "0-3,8");
  EXPECT_EQ(cpu_ranges({0, 2, 4, 5}), "0,2,4-5");
}

TEST(Layout, AffinityMaskIsNotEmpty) {
  EXPECT_FALSE(affinity_cpus().empty());
}

TEST(Layout, DefaultThreadsFollowsOmpNumThreads) {
  const char* old = std::getenv("OMP_NUM_THREADS");
  const std::string saved = old != nullptr ? old : "";
  setenv("OMP_NUM_THREADS", "3", 1);
  EXPECT_EQ(default_threads(), 3);
  setenv("OMP_NUM_THREADS", "5,2", 1);  // nested list: the outer level counts
  EXPECT_EQ(default_threads(), 5);
  setenv("OMP_NUM_THREADS", "junk", 1);
  EXPECT_EQ(default_threads(), static_cast<int>(affinity_cpus().size()));
  unsetenv("OMP_NUM_THREADS");
  EXPECT_EQ(default_threads(), static_cast<int>(affinity_cpus().size()));
  if (old != nullptr) setenv("OMP_NUM_THREADS", saved.c_str(), 1);
}

TEST(Layout, SoundLayoutHasNoWarnings) {
  const std::vector<RankPlacement> ranks{
      {0, "a", 2, {0, 1}}, {1, "a", 2, {2, 3}}, {2, "b", 4, {0, 1, 2, 3}}};
  EXPECT_TRUE(layout_warnings(ranks).empty());
}

TEST(Layout, OversubscribedHostIsReported) {
  // Four single-threaded ranks sharing two CPUs: the tutorial's "more processes than cores".
  std::vector<RankPlacement> ranks;
  for (int r = 0; r < 4; ++r) ranks.push_back({r, "node1", 1, {0, 1}});
  const auto w = layout_warnings(ranks);
  ASSERT_EQ(w.size(), 1U);
  EXPECT_NE(w[0].find("host node1 runs 4 rank(s)"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("on 2 CPU(s)"), std::string::npos) << w[0];
}

TEST(Layout, ThreadsBeyondMaskNameTheFix) {
  // Open MPI's default at np <= 2: each rank bound to one core, two threads each.
  const std::vector<RankPlacement> ranks{{0, "n", 2, {0}}, {1, "n", 2, {1}}};
  const auto w = layout_warnings(ranks);
  ASSERT_EQ(w.size(), 3U);  // the host, then each rank
  EXPECT_NE(w[1].find("rank 0 on n runs 2 threads on 1 CPU(s)"), std::string::npos) << w[1];
  EXPECT_NE(w[1].find("--map-by slot:PE=2"), std::string::npos);
  EXPECT_NE(w[1].find("--bind-to none"), std::string::npos);
}

TEST(Layout, HostsAreCheckedSeparately) {
  const std::vector<RankPlacement> ranks{{0, "a", 2, {0, 1}}, {1, "b", 2, {0, 1}}};
  EXPECT_TRUE(layout_warnings(ranks).empty());
}

TEST(Layout, OverlappingMasksJoinTransitively) {
  // 0 overlaps 2, 2 overlaps 3 (so 0, 2, 3 are one group), 1 and 4 overlap nobody.
  const std::vector<std::vector<int>> masks{{0, 1}, {4}, {1, 2}, {2, 3}, {5, 6}};
  const auto groups = overlapping_masks(masks);
  EXPECT_EQ(groups, (std::vector<std::vector<std::size_t>>{{0, 2, 3}, {1}, {4}}));
  // Joined late: 0, 2 and 5 through 5; 1, 3 and 4 through 4; the last mask joins both.
  const auto two = overlapping_masks({{0}, {7}, {8}, {1}, {1, 7}, {0, 8}});
  EXPECT_EQ(two, (std::vector<std::vector<std::size_t>>{{0, 2, 5}, {1, 3, 4}}));
  const auto one = overlapping_masks({{0}, {7}, {8}, {1}, {1, 7}, {0, 8}, {8, 7}});
  EXPECT_EQ(one, (std::vector<std::vector<std::size_t>>{{0, 1, 2, 3, 4, 5, 6}}));
  EXPECT_TRUE(overlapping_masks({}).empty());
}
