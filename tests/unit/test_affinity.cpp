// SPDX-License-Identifier: BSD-3-Clause
// Affinity verdicts on synthetic placements and topologies (no MPI, no real masks).

#include <gtest/gtest.h>

#include <sstream>
#include <utility>

#include "hpar/platform/affinity.hpp"

using namespace hpar;

namespace {

/// A host like Linux numbers it: `cores` cores with `smt` CPUs each (CPU i and i + cores are
/// siblings), split evenly into `numa` NUMA nodes; every CPU allowed.
HostTopology topology(int cores, int smt = 1, int numa = 1) {
  HostTopology t;
  for (int cpu = 0; cpu < cores * smt; ++cpu) {
    const int core = cpu % cores;
    t.core_of[cpu] = core;
    t.numa_of[cpu] = core / (cores / numa);
    t.allowed_cpus.push_back(cpu);
  }
  return t;
}

std::vector<int> cpus(int first, int last) {
  std::vector<int> out;
  for (int c = first; c <= last; ++c) out.push_back(c);
  return out;
}

/// A rank whose threads all have the rank's mask (not bound).
RankAffinity unbound(int rank, const std::string& host, std::vector<int> mask, int threads) {
  RankAffinity r{rank, host, mask, {}};
  for (int t = 0; t < threads; ++t) r.threads.push_back({t, mask.front(), mask});
  return r;
}

/// A rank whose thread t is bound to CPU thread_cpus[t].
RankAffinity bound(int rank, const std::string& host, std::vector<int> mask,
                   std::vector<int> thread_cpus) {
  RankAffinity r{rank, host, std::move(mask), {}};
  for (std::size_t t = 0; t < thread_cpus.size(); ++t) {
    r.threads.push_back({static_cast<int>(t), thread_cpus[t], {thread_cpus[t]}});
  }
  return r;
}

bool has(const std::vector<Verdict>& vs, Severity severity, const std::string& text) {
  for (const auto& v : vs) {
    if (v.severity == severity && v.text.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string all_text(const std::vector<Verdict>& vs) {
  std::string s;
  for (const auto& v : vs) s += (v.severity == Severity::problem ? "P: " : "A: ") + v.text + "\n";
  return s;
}

}  // namespace

TEST(Affinity, BoundRanksAndThreadsAreSound) {
  const std::map<std::string, HostTopology> hosts{{"n", topology(4)}};
  const std::vector<RankAffinity> ranks{bound(0, "n", cpus(0, 1), {0, 1}),
                                        bound(1, "n", cpus(2, 3), {2, 3})};
  const auto v = affinity_verdicts(ranks, hosts);
  EXPECT_TRUE(v.empty()) << all_text(v);
}

TEST(Affinity, OverlappingUnboundRanksGetAdvice) {
  const std::map<std::string, HostTopology> hosts{{"n", topology(4)}};
  const std::vector<RankAffinity> ranks{unbound(0, "n", cpus(0, 3), 2),
                                        unbound(1, "n", cpus(0, 3), 2)};
  const auto v = affinity_verdicts(ranks, hosts);
  ASSERT_EQ(v.size(), 1U) << all_text(v);
  EXPECT_TRUE(has(v, Severity::advice, "ranks 0-1 on n may all run on CPUs 0-3")) << all_text(v);
  EXPECT_TRUE(has(v, Severity::advice, "mpirun --map-by slot:PE=2 --bind-to core"));
  EXPECT_TRUE(has(v, Severity::advice, "srun --cpus-per-task=2 --cpu-bind=cores"));
}

TEST(Affinity, ThreadsBoundToOneCoreAreAProblem) {
  const std::map<std::string, HostTopology> hosts{{"n", topology(4)}};
  const std::vector<RankAffinity> ranks{bound(0, "n", cpus(0, 1), {0, 0})};
  const auto v = affinity_verdicts(ranks, hosts);
  EXPECT_TRUE(has(v, Severity::problem,
                  "rank 0 thread 0 and rank 0 thread 1 on n are bound to the same core (core 0"))
      << all_text(v);
  EXPECT_TRUE(has(v, Severity::problem, "OMP_PLACES=cores OMP_PROC_BIND=close"));
}

TEST(Affinity, HyperthreadSiblingsShareACore) {
  // CPUs 0 and 4 are the two hardware threads of core 0.
  const std::map<std::string, HostTopology> hosts{{"n", topology(4, 2)}};
  const std::vector<RankAffinity> ranks{bound(0, "n", {0, 4}, {0, 4})};
  const auto v = affinity_verdicts(ranks, hosts);
  EXPECT_TRUE(has(v, Severity::problem, "bound to the same core (core 0, CPU(s) 0,4)"))
      << all_text(v);
}

TEST(Affinity, MoreThreadsThanTheMaskIsReportedOnce) {
  // Open MPI's default at np <= 2: each rank bound to one core, two threads each.
  const std::map<std::string, HostTopology> hosts{{"n", topology(2)}};
  const std::vector<RankAffinity> ranks{unbound(0, "n", {0}, 2), unbound(1, "n", {1}, 2)};
  const auto v = affinity_verdicts(ranks, hosts);
  EXPECT_TRUE(has(v, Severity::problem, "rank 0 on n runs 2 threads on 1 CPU(s)")) << all_text(v);
  EXPECT_TRUE(has(v, Severity::problem, "--map-by slot:PE=2"));
  EXPECT_FALSE(has(v, Severity::problem, "bound to the same core")) << all_text(v);
}

TEST(Affinity, OverlappingRanksShortOfCpus) {
  // Ranks 0 and 1 both bound to CPU 0 while rank 2 has CPUs 1-3: the host has room, the two
  // ranks do not.
  const std::map<std::string, HostTopology> hosts{{"n", topology(4)}};
  const std::vector<RankAffinity> ranks{unbound(0, "n", {0}, 1), unbound(1, "n", {0}, 1),
                                        unbound(2, "n", cpus(1, 3), 1)};
  const auto v = affinity_verdicts(ranks, hosts);
  EXPECT_TRUE(has(v, Severity::problem, "ranks 0-1 on n share CPU(s) 0")) << all_text(v);
  EXPECT_TRUE(has(v, Severity::problem, "--bind-to core"));
  // The same check runs at the start of `run` (layout_warnings).
  std::vector<RankPlacement> placements{{0, "n", 1, {0}}, {1, "n", 1, {0}}, {2, "n", 1, {1, 2, 3}}};
  const auto w = layout_warnings(placements);
  ASSERT_EQ(w.size(), 1U);
  EXPECT_NE(w[0].find("ranks 0-1 on n share CPU(s) 0"), std::string::npos) << w[0];
}

TEST(Affinity, IdleCoresOfTheAllocation) {
  const std::map<std::string, HostTopology> hosts{{"n", topology(4)}};
  const auto v = affinity_verdicts({unbound(0, "n", cpus(0, 3), 1)}, hosts);
  EXPECT_TRUE(has(v, Severity::advice, "1 thread(s) keep at most 1 of the 4 cores")) << all_text(v);
  EXPECT_TRUE(has(v, Severity::advice, "3 core(s) left idle"));
  EXPECT_TRUE(has(v, Severity::advice, "--threads 4"));
  // A mask that leaves cores out: they are named.
  const auto w = affinity_verdicts({unbound(0, "n", cpus(0, 1), 2)}, hosts);
  EXPECT_TRUE(has(w, Severity::advice, "2 core(s) left idle (CPU(s) 2-3 in no thread's mask)"))
      << all_text(w);
}

TEST(Affinity, RankSpanningNumaNodes) {
  const std::map<std::string, HostTopology> hosts{{"n", topology(8, 1, 2)}};
  const auto spanning =
      affinity_verdicts({bound(0, "n", cpus(0, 7), {0, 1, 2, 3, 4, 5, 6, 7})}, hosts);
  EXPECT_TRUE(has(spanning, Severity::advice, "rank 0 on n spans NUMA nodes 0-1"))
      << all_text(spanning);
  EXPECT_TRUE(has(spanning, Severity::advice, "--map-by numa --bind-to numa"));
  EXPECT_TRUE(has(spanning, Severity::advice, "--cpu-bind=ldoms"));
  const auto per_node = affinity_verdicts(
      {bound(0, "n", cpus(0, 3), {0, 1, 2, 3}), bound(1, "n", cpus(4, 7), {4, 5, 6, 7})}, hosts);
  EXPECT_TRUE(per_node.empty()) << all_text(per_node);
}

TEST(Affinity, HostWithoutTopologyGetsRankChecksOnly) {
  const auto v = affinity_verdicts({unbound(0, "x", {0}, 3)}, {});
  ASSERT_EQ(v.size(), 2U) << all_text(v);  // the host and the rank, both rank-level
  EXPECT_EQ(v[0].severity, Severity::problem);
}

TEST(Affinity, TableIsInHostRankThreadOrder) {
  const std::map<std::string, HostTopology> hosts{{"a", topology(4)}, {"b", topology(4)}};
  const std::vector<RankAffinity> ranks{bound(1, "b", cpus(0, 3), {2, 3}),
                                        unbound(2, "a", {0, 1, 2, 3, 8}, 1),
                                        bound(0, "b", cpus(0, 1), {0, 1})};
  std::istringstream table(affinity_table(ranks, hosts));
  std::vector<std::string> rows;  // "host rank thread ... mask" per line after the header
  std::string line;
  std::getline(table, line);
  EXPECT_EQ(line.substr(0, 4), "host");
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string host, rank, thread, cpu, core, numa, mask;
    fields >> host >> rank >> thread >> cpu >> core >> numa >> mask;
    rows.push_back(host + " " + rank + " " + thread + " " + mask);
  }
  EXPECT_EQ(rows,
            (std::vector<std::string>{"a 2 0 0-3,8", "b 0 0 0", "b 0 1 1", "b 1 0 2", "b 1 1 3"}));
}

TEST(Affinity, JsonHasSchemaAndVerdicts) {
  const std::map<std::string, HostTopology> hosts{{"n", topology(4)}};
  const std::vector<RankAffinity> ranks{unbound(0, "n", cpus(0, 3), 1)};
  const auto j = affinity_json(ranks, hosts, affinity_verdicts(ranks, hosts));
  EXPECT_EQ(j["schema"], "hpar-affinity/1");
  EXPECT_EQ(j["ranks"][0]["mask"], "0-3");
  EXPECT_EQ(j["ranks"][0]["threads"][0]["numa"], 0);
  EXPECT_EQ(j["hosts"]["n"]["cores"], 4);
  EXPECT_EQ(j["verdicts"][0]["severity"], "advice");
}

TEST(Affinity, RealTopologyAndSampleAreConsistent) {
  const auto t = host_topology();
  ASSERT_FALSE(t.allowed_cpus.empty());
  const auto r = sample_affinity(0, "here", 2);
  ASSERT_EQ(r.threads.size(), 2U);
  for (const auto& th : r.threads) {
    EXPECT_TRUE(t.core_of.count(th.cpu_now) == 1U) << th.cpu_now;
    EXPECT_FALSE(th.cpus.empty());
  }
}
