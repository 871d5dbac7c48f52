// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/platform/affinity.hpp"

#include <hwloc.h>
#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <iomanip>
#include <set>
#include <sstream>

#include "hpar/comm/gather.hpp"
#include "hpar/core/errors.hpp"

namespace hpar {
namespace {

/// The values of `of` for `cpus` (CPUs it does not know are left out).
std::set<int> mapped(const std::vector<int>& cpus, const std::map<int, int>& of) {
  std::set<int> out;
  for (const int c : cpus) {
    const auto it = of.find(c);
    if (it != of.end()) out.insert(it->second);
  }
  return out;
}

std::string ranges(const std::set<int>& values) {
  return cpu_ranges(std::vector<int>(values.begin(), values.end()));
}

/// The CPUs of `topology` that belong to `core`.
std::vector<int> cpus_of_core(const HostTopology& topology, int core) {
  std::vector<int> out;
  for (const auto& [cpu, c] : topology.core_of) {
    if (c == core) out.push_back(cpu);
  }
  return out;
}

std::string thread_name(const RankAffinity& r, const ThreadPlacement& t) {
  return "rank " + std::to_string(r.rank) + " thread " + std::to_string(t.thread);
}

/// Joins names as "a, b and c".
std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
  return out;
}

nlohmann::json topology_json(const HostTopology& t) {
  nlohmann::json core_of = nlohmann::json::array();
  for (const auto& [cpu, core] : t.core_of) core_of.push_back({cpu, core});
  nlohmann::json numa_of = nlohmann::json::array();
  for (const auto& [cpu, node] : t.numa_of) numa_of.push_back({cpu, node});
  return {{"allowed_cpus", t.allowed_cpus}, {"core_of", core_of}, {"numa_of", numa_of}};
}

HostTopology topology_from_json(const nlohmann::json& j) {
  HostTopology t;
  t.allowed_cpus = j.at("allowed_cpus").get<std::vector<int>>();
  for (const auto& p : j.at("core_of")) t.core_of[p[0].get<int>()] = p[1].get<int>();
  for (const auto& p : j.at("numa_of")) t.numa_of[p[0].get<int>()] = p[1].get<int>();
  return t;
}

nlohmann::json rank_json(const RankAffinity& r) {
  nlohmann::json threads = nlohmann::json::array();
  for (const auto& t : r.threads) {
    threads.push_back({{"thread", t.thread}, {"cpu_now", t.cpu_now}, {"cpus", t.cpus}});
  }
  return {{"rank", r.rank}, {"host", r.host}, {"cpus", r.cpus}, {"threads", threads}};
}

RankAffinity rank_from_json(const nlohmann::json& j) {
  RankAffinity r;
  r.rank = j.at("rank").get<int>();
  r.host = j.at("host").get<std::string>();
  r.cpus = j.at("cpus").get<std::vector<int>>();
  for (const auto& t : j.at("threads")) {
    r.threads.push_back({t.at("thread").get<int>(), t.at("cpu_now").get<int>(),
                         t.at("cpus").get<std::vector<int>>()});
  }
  return r;
}

}  // namespace

HostTopology host_topology() {
  hwloc_topology_t topo = nullptr;
  if (hwloc_topology_init(&topo) != 0) throw RuntimeError("hwloc: cannot initialise a topology");
  if (hwloc_topology_load(topo) != 0) {
    hwloc_topology_destroy(topo);
    throw RuntimeError("hwloc: cannot load this host's topology");
  }
  HostTopology t;
  // By default hwloc keeps only the allowed resources (cgroup/cpuset): the allocation.
  const hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(topo);
  const int pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
  for (int i = 0; i < pus; ++i) {
    const hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, static_cast<unsigned>(i));
    const auto cpu = static_cast<int>(pu->os_index);
    const hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu);
    // A PU without a core object (rare virtual machines) counts as a core of its own.
    t.core_of[cpu] = core != nullptr ? static_cast<int>(core->logical_index) + pus
                                     : static_cast<int>(pu->logical_index);
    const int node = pu->nodeset != nullptr ? hwloc_bitmap_first(pu->nodeset) : -1;
    t.numa_of[cpu] = node >= 0 ? node : 0;
    if (allowed == nullptr || hwloc_bitmap_isset(allowed, pu->os_index) != 0) {
      t.allowed_cpus.push_back(cpu);
    }
  }
  // Core numbers from 0 in CPU order (the offset above kept them apart from PU numbers).
  std::map<int, int> renumber;
  for (auto& [cpu, core] : t.core_of) {
    core = renumber.emplace(core, static_cast<int>(renumber.size())).first->second;
  }
  std::sort(t.allowed_cpus.begin(), t.allowed_cpus.end());
  hwloc_topology_destroy(topo);
  return t;
}

RankAffinity sample_affinity(int rank, const std::string& host, int threads) {
  RankAffinity r;
  r.rank = rank;
  r.host = host;
  r.cpus = rank_cpus();
  std::vector<ThreadPlacement> sampled(static_cast<std::size_t>(threads));
  int team = 0;
  std::vector<std::exception_ptr> failures(static_cast<std::size_t>(threads));
#pragma omp parallel num_threads(threads)
  {
    // Keep every thread busy for a moment so the OS has placed them all, then sample together.
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(30);
    while (std::chrono::steady_clock::now() < until) {
    }
#pragma omp barrier
    const int t = omp_get_thread_num();
    try {  // no exception leaves an OpenMP region
      sampled[static_cast<std::size_t>(t)] = {t, sched_getcpu(), affinity_cpus()};
    } catch (...) {
      failures[static_cast<std::size_t>(t)] = std::current_exception();
    }
#pragma omp single
    team = omp_get_num_threads();
  }
  for (const auto& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
  sampled.resize(static_cast<std::size_t>(team));
  r.threads = std::move(sampled);
  return r;
}

void gather_affinity(const boost::mpi::communicator& comm, const RankAffinity& mine,
                     const HostTopology& topology, std::vector<RankAffinity>& ranks,
                     std::map<std::string, HostTopology>& hosts) {
  const nlohmann::json line = {{"rank", rank_json(mine)}, {"topology", topology_json(topology)}};
  const std::string all = gather_bytes(comm, line.dump() + "\n");
  ranks.clear();
  hosts.clear();
  if (comm.rank() != 0) return;
  std::istringstream in(all);
  for (std::string text; std::getline(in, text);) {
    const auto j = nlohmann::json::parse(text);
    ranks.push_back(rank_from_json(j["rank"]));
    hosts.emplace(ranks.back().host, topology_from_json(j["topology"]));
  }
}

namespace {

/// The ranks of one host, and what their threads may reach together.
struct HostRanks {
  std::string host;
  std::vector<const RankAffinity*> members;
  int threads = 0;          // threads of all its ranks
  std::size_t widest = 1;   // most threads of one rank
  std::set<int> reachable;  // CPUs some thread may run on
};

std::vector<HostRanks> ranks_by_host(const std::vector<RankAffinity>& ranks) {
  std::map<std::string, HostRanks> by_host;
  for (const auto& r : ranks) {
    auto& h = by_host[r.host];
    h.host = r.host;
    h.members.push_back(&r);
    h.threads += static_cast<int>(r.threads.size());
    h.widest = std::max(h.widest, r.threads.size());
    for (const auto& t : r.threads) h.reachable.insert(t.cpus.begin(), t.cpus.end());
  }
  std::vector<HostRanks> out;
  for (auto& [name, h] : by_host) out.push_back(std::move(h));
  return out;
}

/// The rank-level problems: the same check as at the start of `run` (layout_findings). Returns
/// the ranks they name, which the finer checks leave alone.
std::set<int> rank_level_problems(const std::vector<RankAffinity>& ranks,
                                  std::vector<Verdict>& verdicts) {
  std::vector<RankPlacement> placements;
  for (const auto& r : ranks) {
    placements.push_back({r.rank, r.host, static_cast<int>(r.threads.size()), r.cpus});
  }
  std::set<int> flagged;
  for (auto& f : layout_findings(placements)) {
    flagged.insert(f.ranks.begin(), f.ranks.end());
    verdicts.push_back({Severity::problem, std::move(f.text)});
  }
  return flagged;
}

/// Ranks whose masks overlap (not bound apart) but have room: advice, for steady timings.
void unbound_ranks(const HostRanks& h, const std::set<int>& flagged,
                   std::vector<Verdict>& verdicts) {
  std::vector<const RankAffinity*> free_ranks;
  std::vector<std::vector<int>> masks;
  for (const auto* r : h.members) {
    if (flagged.count(r->rank) != 0U) continue;
    free_ranks.push_back(r);
    masks.push_back(r->cpus);
  }
  for (const auto& group : overlapping_masks(masks)) {
    if (group.size() < 2) continue;
    std::vector<int> list;
    std::set<int> shared;
    for (const auto g : group) {
      list.push_back(free_ranks[g]->rank);
      shared.insert(free_ranks[g]->cpus.begin(), free_ranks[g]->cpus.end());
    }
    std::sort(list.begin(), list.end());
    std::ostringstream w;
    w << "ranks " << cpu_ranges(list) << " on " << h.host << " may all run on CPUs "
      << ranges(shared)
      << " (their masks overlap: the ranks are not bound), so the OS may move them between "
         "cores and timings vary: bind each rank to its own cores with 'mpirun --map-by "
         "slot:PE="
      << h.widest << " --bind-to core' (Slurm: srun --cpus-per-task=" << h.widest
      << " --cpu-bind=cores)";
    verdicts.push_back({Severity::advice, w.str()});
  }
}

/// Threads bound to one core by their masks, two or more to the same core: a problem.
void shared_cores(const HostRanks& h, const HostTopology& topo, const std::set<int>& flagged,
                  std::vector<Verdict>& verdicts) {
  std::map<int, std::vector<std::string>> bound_to;
  for (const auto* r : h.members) {
    if (flagged.count(r->rank) != 0U) continue;
    for (const auto& t : r->threads) {
      const auto cores = mapped(t.cpus, topo.core_of);
      if (cores.size() == 1) bound_to[*cores.begin()].push_back(thread_name(*r, t));
    }
  }
  for (const auto& [core, names] : bound_to) {
    if (names.size() < 2) continue;
    std::ostringstream w;
    w << join_names(names) << " on " << h.host << " are bound to the same core (core " << core
      << ", CPU(s) " << cpu_ranges(cpus_of_core(topo, core))
      << ") and take turns on it: give each thread its own core with OMP_PLACES=cores "
         "OMP_PROC_BIND=close and 'mpirun --map-by slot:PE="
      << h.widest << " --bind-to core' (Slurm: srun --cpus-per-task=" << h.widest
      << " --cpu-bind=cores)";
    verdicts.push_back({Severity::problem, w.str()});
  }
}

/// Cores of the allocation left idle (no thread may run there, or too few threads): advice.
void idle_cores(const HostRanks& h, const HostTopology& topo, std::vector<Verdict>& verdicts) {
  const auto cores_allowed = mapped(topo.allowed_cpus, topo.core_of);
  const auto cores_reachable =
      mapped(std::vector<int>(h.reachable.begin(), h.reachable.end()), topo.core_of);
  std::set<int> unreachable;
  for (const int c : cores_allowed) {
    if (cores_reachable.count(c) == 0U) unreachable.insert(c);
  }
  const int busy = std::min(h.threads, static_cast<int>(cores_reachable.size()));
  const int idle = static_cast<int>(cores_allowed.size()) - busy;
  if (idle <= 0) return;
  const auto per_rank =
      std::max<std::size_t>(1, cores_allowed.size() / std::max<std::size_t>(1, h.members.size()));
  std::ostringstream w;
  w << h.host << ": " << h.threads << " thread(s) keep at most " << busy << " of the "
    << cores_allowed.size() << " cores of the allocation busy; " << idle << " core(s) left idle";
  if (!unreachable.empty()) {
    std::set<int> cpus;
    for (const int c : unreachable) {
      const auto list = cpus_of_core(topo, c);
      cpus.insert(list.begin(), list.end());
    }
    w << " (CPU(s) " << ranges(cpus) << " in no thread's mask)";
  }
  w << ": run " << h.members.size() << " rank(s) x " << per_rank << " threads here (--threads "
    << per_rank << " with 'mpirun --map-by slot:PE=" << per_rank
    << "'; Slurm: srun --cpus-per-task=" << per_rank
    << ") or more ranks (mpirun -np / srun --ntasks-per-node)";
  verdicts.push_back({Severity::advice, w.str()});
}

/// A rank whose threads may run on more than one NUMA node: advice.
void numa_spans(const HostRanks& h, const HostTopology& topo, std::vector<Verdict>& verdicts) {
  for (const auto* r : h.members) {
    const auto nodes = mapped(r->cpus, topo.numa_of);
    if (nodes.size() < 2) continue;
    std::ostringstream w;
    w << "rank " << r->rank << " on " << h.host << " spans NUMA nodes " << ranges(nodes)
      << " (CPUs " << cpu_ranges(r->cpus)
      << "): some of its threads reach its memory across the interconnect; keep each rank "
         "in one NUMA domain with 'mpirun --map-by numa --bind-to numa' (Slurm: srun "
         "--cpu-bind=ldoms)";
    verdicts.push_back({Severity::advice, w.str()});
  }
}

}  // namespace

std::vector<Verdict> affinity_verdicts(const std::vector<RankAffinity>& ranks,
                                       const std::map<std::string, HostTopology>& hosts) {
  std::vector<Verdict> verdicts;
  const std::set<int> flagged = rank_level_problems(ranks, verdicts);
  for (const auto& h : ranks_by_host(ranks)) {
    unbound_ranks(h, flagged, verdicts);
    const auto topology = hosts.find(h.host);
    if (topology == hosts.end()) continue;  // the rank-level checks only
    shared_cores(h, topology->second, flagged, verdicts);
    idle_cores(h, topology->second, verdicts);
    numa_spans(h, topology->second, verdicts);
  }
  return verdicts;
}

std::string affinity_table(const std::vector<RankAffinity>& ranks,
                           const std::map<std::string, HostTopology>& hosts) {
  std::vector<const RankAffinity*> order;
  for (const auto& r : ranks) order.push_back(&r);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return a->host != b->host ? a->host < b->host : a->rank < b->rank;
  });
  std::size_t host_width = 4;
  for (const auto* r : order) host_width = std::max(host_width, r->host.size());
  std::ostringstream o;
  o << std::left << std::setw(static_cast<int>(host_width)) << "host" << std::right
    << "  rank  thread   cpu  core  numa  mask\n";
  for (const auto* r : order) {
    const auto it = hosts.find(r->host);
    for (const auto& t : r->threads) {
      std::string core = "-";
      std::string numa = "-";
      if (it != hosts.end()) {
        if (const auto c = it->second.core_of.find(t.cpu_now); c != it->second.core_of.end()) {
          core = std::to_string(c->second);
        }
        if (const auto n = it->second.numa_of.find(t.cpu_now); n != it->second.numa_of.end()) {
          numa = std::to_string(n->second);
        }
      }
      o << std::left << std::setw(static_cast<int>(host_width)) << r->host << std::right
        << std::setw(6) << r->rank << std::setw(8) << t.thread << std::setw(6) << t.cpu_now
        << std::setw(6) << core << std::setw(6) << numa << "  " << cpu_ranges(t.cpus) << "\n";
    }
  }
  return o.str();
}

nlohmann::json affinity_json(const std::vector<RankAffinity>& ranks,
                             const std::map<std::string, HostTopology>& hosts,
                             const std::vector<Verdict>& verdicts) {
  nlohmann::json rank_list = nlohmann::json::array();
  for (const auto& r : ranks) {
    nlohmann::json j = rank_json(r);
    j["mask"] = cpu_ranges(r.cpus);
    const auto it = hosts.find(r.host);
    for (auto& t : j["threads"]) {
      t["mask"] = cpu_ranges(t["cpus"].get<std::vector<int>>());
      if (it != hosts.end()) {
        const auto cpu = t["cpu_now"].get<int>();
        const auto c = it->second.core_of.find(cpu);
        const auto n = it->second.numa_of.find(cpu);
        t["core"] = c != it->second.core_of.end() ? nlohmann::json(c->second) : nullptr;
        t["numa"] = n != it->second.numa_of.end() ? nlohmann::json(n->second) : nullptr;
      }
    }
    rank_list.push_back(j);
  }
  nlohmann::json host_list = nlohmann::json::object();
  for (const auto& [name, t] : hosts) {
    auto j = topology_json(t);
    j["cores"] = mapped(t.allowed_cpus, t.core_of).size();
    j["numa_nodes"] = mapped(t.allowed_cpus, t.numa_of).size();
    host_list[name] = j;
  }
  nlohmann::json verdict_list = nlohmann::json::array();
  for (const auto& v : verdicts) {
    verdict_list.push_back(
        {{"severity", v.severity == Severity::problem ? "problem" : "advice"}, {"text", v.text}});
  }
  return {{"schema", "hpar-affinity/1"},
          {"ranks", rank_list},
          {"hosts", host_list},
          {"verdicts", verdict_list}};
}

}  // namespace hpar
