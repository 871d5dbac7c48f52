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
    throw UsageError("bad --schedule '" + std::string(text) +
                     "': expected static, dynamic or guided, optionally followed by ,CHUNK");
  }
  if (comma != std::string_view::npos) {
    const std::string_view chunk = text.substr(comma + 1);
    const auto [ptr, ec] = std::from_chars(chunk.data(), chunk.data() + chunk.size(), s.chunk);
    if (ec != std::errc() || ptr != chunk.data() + chunk.size() || s.chunk < 1) {
      throw UsageError("bad --schedule '" + std::string(text) +
                       "': the chunk must be a whole number >= 1");
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

std::vector<int> affinity_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
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

std::vector<LayoutFinding> layout_findings(const std::vector<RankPlacement>& ranks) {
  std::vector<LayoutFinding> findings;
  struct HostUse {
    std::vector<std::size_t> members;  // indices into ranks
    int threads = 0;
    std::set<int> cpus;
  };
  std::map<std::string, HostUse> hosts;
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    const auto& r = ranks[i];
    auto& h = hosts[r.host];
    h.members.push_back(i);
    h.threads += r.threads;
    h.cpus.insert(r.cpus.begin(), r.cpus.end());
  }
  const auto rank_list = [&](const std::vector<std::size_t>& members) {
    std::vector<int> list;
    for (const auto i : members) list.push_back(ranks[i].rank);
    std::sort(list.begin(), list.end());
    return list;
  };
  for (const auto& [name, h] : hosts) {
    if (h.threads > static_cast<int>(h.cpus.size())) {
      std::ostringstream w;
      w << "host " << name << " runs " << h.members.size() << " rank(s) x threads = " << h.threads
        << " threads on " << h.cpus.size()
        << " CPU(s) the job may use: more threads than cores only slows it down"
           " (use fewer ranks or --threads)";
      findings.push_back({rank_list(h.members), w.str()});
    }
  }
  for (const auto& r : ranks) {
    if (r.threads > static_cast<int>(r.cpus.size())) {
      std::ostringstream w;
      w << "rank " << r.rank << " on " << r.host << " runs " << r.threads << " threads on "
        << r.cpus.size() << " CPU(s) of its affinity mask (" << cpu_ranges(r.cpus)
        << "): launch with 'mpirun --map-by slot:PE=" << r.threads
        << "' or '--bind-to none' (Slurm: srun --cpus-per-task=" << r.threads << ")";
      findings.push_back({{r.rank}, w.str()});
    }
  }
  // Ranks of one host whose masks overlap (joined transitively) and that run more threads
  // than the CPUs they share, while the host as a whole has room (else the host warning says it).
  for (const auto& [name, h] : hosts) {
    std::vector<std::size_t> group_of(h.members.size());
    for (std::size_t a = 0; a < group_of.size(); ++a) group_of[a] = a;
    const auto root = [&](std::size_t a) {
      while (group_of[a] != a) a = group_of[a];
      return a;
    };
    for (std::size_t a = 0; a < h.members.size(); ++a) {
      const std::set<int> mine(ranks[h.members[a]].cpus.begin(), ranks[h.members[a]].cpus.end());
      for (std::size_t b = a + 1; b < h.members.size(); ++b) {
        const auto& other = ranks[h.members[b]].cpus;
        if (std::any_of(other.begin(), other.end(), [&](int c) { return mine.count(c) != 0; })) {
          group_of[root(b)] = root(a);
        }
      }
    }
    std::map<std::size_t, std::vector<std::size_t>> groups;
    for (std::size_t a = 0; a < h.members.size(); ++a) groups[root(a)].push_back(h.members[a]);
    for (const auto& [first, members] : groups) {
      if (members.size() < 2 || members.size() == h.members.size()) continue;
      std::set<int> shared;
      int threads = 0;
      int widest = 1;
      for (const auto i : members) {
        shared.insert(ranks[i].cpus.begin(), ranks[i].cpus.end());
        threads += ranks[i].threads;
        widest = std::max(widest, ranks[i].threads);
      }
      if (threads <= static_cast<int>(shared.size())) continue;
      const auto list = rank_list(members);
      std::ostringstream w;
      w << "ranks " << cpu_ranges(list) << " on " << name << " share CPU(s) "
        << cpu_ranges(std::vector<int>(shared.begin(), shared.end()))
        << " (their affinity masks overlap) and run " << threads << " threads there"
        << ": give each rank its own cores with 'mpirun --map-by slot:PE=" << widest
        << " --bind-to core' (Slurm: srun --cpus-per-task=" << widest << " --cpu-bind=cores)";
      findings.push_back({list, w.str()});
    }
  }
  return findings;
}

std::vector<std::string> layout_warnings(const std::vector<RankPlacement>& ranks) {
  std::vector<std::string> warnings;
  for (auto& f : layout_findings(ranks)) warnings.push_back(std::move(f.text));
  return warnings;
}

}  // namespace hpar
