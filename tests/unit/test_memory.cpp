// SPDX-License-Identifier: BSD-3-Clause
// Memory checked before it is spent: needs from plans, limits from /proc and cgroup files (a
// fake tree), and the verdict.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "hpar/platform/memory.hpp"
#include "job_harness.hpp"

using namespace hpar;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t gib = std::uint64_t{1} << 30;

/// Writes `text` to `path`, making its directories.
void put(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

RankMemory rank_on(const std::string& host, std::uint64_t job_bytes) {
  RankMemory r;
  r.host = host;
  r.need.job = job_bytes;
  return r;
}

}  // namespace

TEST(Memory, NeedCountsTheJobsDataPerRankAndItem) {
  WorkPlan plan;
  plan.items = 1000;
  plan.block_items = 10;  // 100 blocks
  plan.memory_per_rank = 7;
  plan.memory_per_item = 24;
  plan.memory_on_root = 1000;
  // 3 ranks: the largest slice has 34 blocks = 340 items.
  EXPECT_EQ(memory_need(plan, 1, 3, 0).job, 7U + 24U * 340U);
  EXPECT_EQ(memory_need(plan, 0, 3, 0).job, 7U + 24U * 340U + 1000U);
  EXPECT_EQ(memory_need(plan, 0, 1, 0).job, 7U + 24U * 1000U + 1000U);
}

TEST(Memory, NeedCountsTheEnginesPerBlockResults) {
  WorkPlan plan;
  plan.items = std::uint64_t{1} << 62;  // pi at 2^62 samples
  plan.block_items = std::uint64_t{1} << 20;
  plan.count_partials = 1;
  const std::uint64_t blocks = plan.blocks();
  // Rank 0 gathers a 16-byte record per block and places an 8-byte partial per block.
  EXPECT_GE(memory_need(plan, 0, 2, 0).partials, blocks * 24);
  EXPECT_GE(memory_need(plan, 1, 2, 0).partials, blocks / 2 * 16);
  EXPECT_LT(memory_need(plan, 1, 2, 0).partials, memory_need(plan, 0, 2, 0).partials);
  // Saturates instead of wrapping.
  plan.items = ~std::uint64_t{0};
  plan.block_items = 1;
  plan.real_partials = 3;
  EXPECT_EQ(memory_need(plan, 0, 1, 0).total(), ~std::uint64_t{0});
}

TEST(Memory, NeedCountsTheOutputBufferOfStreamedOutputOnly) {
  WorkPlan plan;
  plan.items = 10;
  plan.ordered_output = true;
  EXPECT_EQ(memory_need(plan, 1, 2, 64 << 20).output, 64U << 20);
  plan.ordered_to_finish = true;  // held for finish(): the job declares it
  EXPECT_EQ(memory_need(plan, 1, 2, 64 << 20).output, 0U);
}

TEST(Memory, JobsDeclareWhatTheirOptionsAllocate) {
  using hpar::testing::make_job;
  EXPECT_EQ(make_job("triad", {"--size", "1e9"})->plan().memory_per_item, 24U);
  // An image keeps about 7 bytes a pixel on rank 0.
  const auto image = make_job("mandelbrot", {"--width", "1e4", "--height", "1e4", "--image",
                                             ::testing::TempDir() + "/x.png"});
  EXPECT_GE(image->plan().memory_on_root, 7U * 100'000'000U);
  // Listed inputs live on every rank; each thread formats a block of lines.
  const auto listed = make_job("numbers", {"--inputs", "1,2,3"}, JobContext{2, 4});
  EXPECT_GE(listed->plan().memory_per_rank, 3U * 8U + 4U * 4096U * 6U * 2U);
  const auto quiet_range = make_job("numbers", {"--range", "1:1e12", "--quiet"});
  EXPECT_EQ(quiet_range->plan().memory_per_rank, 0U);
  const auto wide = make_job("numbers", {"--range", "1:10", "--steps", "1e6"});
  EXPECT_GE(wide->plan().memory_per_rank, 4096U * 1'000'000U * 3U);
  // The primes job's Lucy_Hedgehog check on rank 0 takes 2 sqrt(N) words.
  EXPECT_GE(make_job("primes", {"--limit", "99999999999999"})->plan().memory_on_root,
            16U * 9'999'999U);
}

TEST(Memory, MeminfoAvailable) {
  EXPECT_EQ(meminfo_available("MemTotal: 100 kB\nMemAvailable:   2048 kB\n"), 2048U * 1024U);
  EXPECT_FALSE(meminfo_available("MemTotal: 100 kB\n"));
}

TEST(Memory, CgroupV2LimitIsTheTightestOnTheWayUp) {
  const fs::path root = fs::path(::testing::TempDir()) / ("hpar_cg2_" + std::to_string(getpid()));
  fs::remove_all(root);
  const fs::path mount = root / "sys/fs/cgroup";
  put(mount / "job/memory.max", std::to_string(8 * gib) + "\n");
  put(mount / "job/memory.current", std::to_string(1 * gib) + "\n");
  put(mount / "job/step/memory.max", "max\n");
  put(mount / "job/step/memory.current", "12345\n");
  MemoryLimits limits;
  read_cgroup_limit("0::/job/step\n", "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
                    root.string(), limits);
  ASSERT_TRUE(limits.cgroup_free);
  EXPECT_EQ(*limits.cgroup_free, 7 * gib);
  EXPECT_EQ(limits.cgroup_limit, 8 * gib);
  EXPECT_EQ(limits.cgroup, "/job");
  fs::remove_all(root);
}

TEST(Memory, CgroupV1MemoryControllerUnderAMountRoot) {
  const fs::path root = fs::path(::testing::TempDir()) / ("hpar_cg1_" + std::to_string(getpid()));
  fs::remove_all(root);
  const fs::path mount = root / "sys/fs/cgroup/memory";
  // The mount shows the cgroup /outer as its root (a container): /outer/inner is at mount/inner.
  put(mount / "inner/memory.limit_in_bytes", std::to_string(4 * gib) + "\n");
  put(mount / "inner/memory.usage_in_bytes", std::to_string(3 * gib) + "\n");
  put(mount / "memory.limit_in_bytes", "9223372036854771712\n");  // no limit
  MemoryLimits limits;
  read_cgroup_limit("4:memory:/outer/inner\n1:cpu,cpuacct:/outer\n0::/\n",
                    "35 31 0:32 /outer /sys/fs/cgroup/memory rw,relatime - cgroup cgroup "
                    "rw,memory\n41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n",
                    root.string(), limits);
  ASSERT_TRUE(limits.cgroup_free);
  EXPECT_EQ(*limits.cgroup_free, 1 * gib);
  EXPECT_EQ(limits.cgroup, "/inner");
  MemoryLimits none;
  read_cgroup_limit("4:memory:/elsewhere\n", "35 31 0:32 /outer /x rw - cgroup cgroup rw,memory\n",
                    root.string(), none);
  EXPECT_FALSE(none.cgroup_free);
  fs::remove_all(root);
}

TEST(Memory, VerdictSharesAHostsMemoryAmongItsRanks) {
  std::vector<RankMemory> ranks = {rank_on("a", 6 * gib), rank_on("a", 6 * gib),
                                   rank_on("b", 6 * gib)};
  for (auto& r : ranks) r.limits.host_available = 10 * gib;
  const std::string verdict = memory_verdict(ranks);
  EXPECT_NE(verdict.find("the 2 ranks on a need 12 GiB in all"), std::string::npos) << verdict;
  EXPECT_NE(verdict.find("a has 10 GiB available"), std::string::npos) << verdict;
  ranks.pop_back();
  ranks[1].host = "c";
  EXPECT_EQ(memory_verdict(ranks), "");
}

TEST(Memory, VerdictChecksTheCgroupAndUlimit) {
  std::vector<RankMemory> ranks = {rank_on("a", 3 * gib), rank_on("a", 3 * gib)};
  for (auto& r : ranks) {
    r.limits.cgroup_free = 5 * gib;
    r.limits.cgroup_limit = 6 * gib;
    r.limits.cgroup = "/job";
  }
  EXPECT_NE(memory_verdict(ranks).find("their cgroup '/job' allows 5 GiB more (limit 6 GiB)"),
            std::string::npos)
      << memory_verdict(ranks);
  ranks[1].limits.cgroup = "/other";  // separate cgroups: each fits
  EXPECT_EQ(memory_verdict(ranks), "");
  ranks[1].limits.address_space_free = 2 * gib;
  ranks[1].limits.address_space_limit = 4 * gib;
  EXPECT_NE(memory_verdict(ranks).find("rank 1 on a needs 3 GiB (the job's data 3 GiB), but its "
                                       "address-space limit (ulimit -v 4 GiB) leaves it 2 GiB"),
            std::string::npos)
      << memory_verdict(ranks);
}

TEST(Memory, ReadsThisProcessesLimits) {
  const MemoryLimits limits = read_memory_limits();
  ASSERT_TRUE(limits.host_available);
  EXPECT_GT(*limits.host_available, 0U);
}

TEST(Memory, FormatBytes) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(3 * gib + gib / 4), "3.25 GiB");
  EXPECT_EQ(format_bytes(~std::uint64_t{0}), "16 EiB");
}
