// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/platform/layout.hpp"

#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "hpar/core/errors.hpp"

namespace hpar {

Schedule Schedule::parse(std::string_view text) {
  Schedule s;
  const auto comma = text.find(',');
  const std::string_view kind = text.substr(0, comma);
  if (kind == "static") {
    s.kind = Kind::static_;
  } else if (kind == "dynamic") {
    s.kind = Kind::dynamic;
  } else if (kind == "guided") {
    s.kind = Kind::guided;
  } else {
    throw UsageError("bad --schedule " + quote_for_message(text) +
                     ": expected static, dynamic or guided, optionally followed by ,CHUNK");
  }
  if (comma != std::string_view::npos) {
    const std::string_view chunk = text.substr(comma + 1);
    const auto [ptr, ec] = std::from_chars(chunk.data(), chunk.data() + chunk.size(), s.chunk);
    if (ec != std::errc() || ptr != chunk.data() + chunk.size() || s.chunk < 1) {
      throw UsageError("bad --schedule " + quote_for_message(text) +
                       ": the chunk must be a whole number >= 1");
    }
  }
  return s;
}

std::string Schedule::to_string() const {
  std::string s = kind == Kind::static_ ? "static" : kind == Kind::dynamic ? "dynamic" : "guided";
  if (chunk > 0) {
    s += ',';
    s += std::to_string(chunk);
  }
  return s;
}

void Schedule::apply() const {
  const omp_sched_t k = kind == Kind::static_   ? omp_sched_static
                        : kind == Kind::dynamic ? omp_sched_dynamic
                                                : omp_sched_guided;
  omp_set_schedule(k, chunk);
}

std::vector<int> rank_cpus() {
  const int places = omp_get_num_places();
  if (places <= 0) return affinity_cpus();
  std::set<int> cpus;
  for (int p = 0; p < places; ++p) {
    std::vector<int> ids(static_cast<std::size_t>(omp_get_place_num_procs(p)));
    omp_get_place_proc_ids(p, ids.data());
    cpus.insert(ids.begin(), ids.end());
  }
  return {cpus.begin(), cpus.end()};
}

int default_threads() {
  if (const char* env = std::getenv("OMP_NUM_THREADS"); env != nullptr && *env != '\0') {
    const std::string_view text(env);
    int n = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && n >= 1 && (ptr == text.data() + text.size() || *ptr == ',')) return n;
  }
  const auto cpus = rank_cpus().size();
  return cpus > 0 ? static_cast<int>(cpus) : 1;
}

std::string cpu_ranges(const std::vector<int>& cpus) {
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(cpus[i]);
    if (j > i) {
      out += '-';
      out += std::to_string(cpus[j]);
    }
    i = j + 1;
  }
  return out;
}

std::vector<std::vector<std::size_t>> overlapping_masks(
    const std::vector<std::vector<int>>& masks) {
  std::vector<std::size_t> parent(masks.size());
  for (std::size_t a = 0; a < parent.size(); ++a) parent[a] = a;
  const auto root = [&](std::size_t a) {
    while (parent[a] != a) a = parent[a];
    return a;
  };
  for (std::size_t a = 0; a < masks.size(); ++a) {
    const std::set<int> mine(masks[a].begin(), masks[a].end());
    for (std::size_t b = a + 1; b < masks.size(); ++b) {
      const auto& other = masks[b];
      if (std::any_of(other.begin(), other.end(), [&](int c) { return mine.count(c) != 0; })) {
        parent[root(b)] = root(a);
      }
    }
  }
  std::map<std::size_t, std::vector<std::size_t>> by_root;
  for (std::size_t a = 0; a < masks.size(); ++a) by_root[root(a)].push_back(a);
  std::vector<std::vector<std::size_t>> groups;
  for (auto& [r, members] : by_root) groups.push_back(std::move(members));
  std::sort(groups.begin(), groups.end());  // by first member: members ascend in each group
  return groups;
}

namespace {

/// What the ranks of one host use together.
struct HostUse {
  std::vector<std::size_t> members;  // indices into the ranks
  int threads = 0;
  std::set<int> cpus;
};

std::map<std::string, HostUse> host_use(const std::vector<RankPlacement>& ranks) {
  std::map<std::string, HostUse> hosts;
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    const auto& r = ranks[i];
    auto& h = hosts[r.host];
    h.members.push_back(i);
    h.threads += r.threads;
    h.cpus.insert(r.cpus.begin(), r.cpus.end());
  }
  return hosts;
}

/// The rank numbers of `members` (indices into `ranks`), ascending.
std::vector<int> rank_list(const std::vector<RankPlacement>& ranks,
                           const std::vector<std::size_t>& members) {
  std::vector<int> list;
  for (const auto i : members) list.push_back(ranks[i].rank);
  std::sort(list.begin(), list.end());
  return list;
}

/// Hosts that run more threads than the CPUs the job may use there.
void oversubscribed_hosts(const std::vector<RankPlacement>& ranks,
                          const std::map<std::string, HostUse>& hosts,
                          std::vector<LayoutFinding>& findings) {
  for (const auto& [name, h] : hosts) {
    if (h.threads <= static_cast<int>(h.cpus.size())) continue;
    std::ostringstream w;
    w << "host " << name << " runs " << h.members.size() << " rank(s) x threads = " << h.threads
      << " threads on " << h.cpus.size()
      << " CPU(s) the job may use: more threads than cores only slows it down"
         " (use fewer ranks or --threads)";
    findings.push_back({rank_list(ranks, h.members), w.str()});
  }
}

/// Ranks that run more threads than the CPUs of their affinity mask.
void threads_beyond_masks(const std::vector<RankPlacement>& ranks,
                          std::vector<LayoutFinding>& findings) {
  for (const auto& r : ranks) {
    if (r.threads <= static_cast<int>(r.cpus.size())) continue;
    std::ostringstream w;
    w << "rank " << r.rank << " on " << r.host << " runs " << r.threads << " threads on "
      << r.cpus.size() << " CPU(s) of its affinity mask (" << cpu_ranges(r.cpus)
      << "): launch with 'mpirun --map-by slot:PE=" << r.threads
      << "' or '--bind-to none' (Slurm: srun --cpus-per-task=" << r.threads << ")";
    findings.push_back({{r.rank}, w.str()});
  }
}

/// Ranks of one host whose masks overlap and that run more threads than the CPUs they share,
/// while the host as a whole has room (else the host's finding says it).
void crowded_overlaps(const std::vector<RankPlacement>& ranks,
                      const std::map<std::string, HostUse>& hosts,
                      std::vector<LayoutFinding>& findings) {
  for (const auto& [name, h] : hosts) {
    std::vector<std::vector<int>> masks;
    for (const auto i : h.members) masks.push_back(ranks[i].cpus);
    for (const auto& group : overlapping_masks(masks)) {
      if (group.size() < 2 || group.size() == h.members.size()) continue;
      std::set<int> shared;
      int threads = 0;
      int widest = 1;
      std::vector<std::size_t> members;
      for (const auto g : group) {
        const auto& r = ranks[h.members[g]];
        members.push_back(h.members[g]);
        shared.insert(r.cpus.begin(), r.cpus.end());
        threads += r.threads;
        widest = std::max(widest, r.threads);
      }
      if (threads <= static_cast<int>(shared.size())) continue;
      const auto list = rank_list(ranks, members);
      std::ostringstream w;
      w << "ranks " << cpu_ranges(list) << " on " << name << " share CPU(s) "
        << cpu_ranges(std::vector<int>(shared.begin(), shared.end()))
        << " (their affinity masks overlap) and run " << threads << " threads there"
        << ": give each rank its own cores with 'mpirun --map-by slot:PE=" << widest
        << " --bind-to core' (Slurm: srun --cpus-per-task=" << widest << " --cpu-bind=cores)";
      findings.push_back({list, w.str()});
    }
  }
}

}  // namespace

std::vector<LayoutFinding> layout_findings(const std::vector<RankPlacement>& ranks) {
  std::vector<LayoutFinding> findings;
  const auto hosts = host_use(ranks);
  oversubscribed_hosts(ranks, hosts, findings);
  threads_beyond_masks(ranks, findings);
  crowded_overlaps(ranks, hosts, findings);
  return findings;
}

std::vector<std::string> layout_warnings(const std::vector<RankPlacement>& ranks) {
  std::vector<std::string> warnings;
  for (auto& f : layout_findings(ranks)) warnings.push_back(std::move(f.text));
  return warnings;
}

}  // namespace hpar
