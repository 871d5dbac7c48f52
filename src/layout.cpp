#include "hpar/layout.hpp"

#include <omp.h>
#include <sched.h>

#include <charconv>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "hpar/errors.hpp"

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

int default_threads() {
  if (const char* env = std::getenv("OMP_NUM_THREADS"); env != nullptr && *env != '\0') {
    const std::string_view text(env);
    int n = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && n >= 1 && (ptr == text.data() + text.size() || *ptr == ',')) return n;
  }
  const auto cpus = affinity_cpus().size();
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

std::vector<std::string> layout_warnings(const std::vector<RankPlacement>& ranks) {
  std::vector<std::string> warnings;
  struct HostUse {
    int ranks = 0;
    int threads = 0;
    std::set<int> cpus;
  };
  std::map<std::string, HostUse> hosts;
  for (const auto& r : ranks) {
    auto& h = hosts[r.host];
    ++h.ranks;
    h.threads += r.threads;
    h.cpus.insert(r.cpus.begin(), r.cpus.end());
  }
  for (const auto& [name, h] : hosts) {
    if (h.threads > static_cast<int>(h.cpus.size())) {
      std::ostringstream w;
      w << "host " << name << " runs " << h.ranks << " rank(s) x threads = " << h.threads
        << " threads on " << h.cpus.size()
        << " CPU(s) the job may use: more threads than cores only slows it down"
           " (use fewer ranks or --threads)";
      warnings.push_back(w.str());
    }
  }
  for (const auto& r : ranks) {
    if (r.threads > static_cast<int>(r.cpus.size())) {
      std::ostringstream w;
      w << "rank " << r.rank << " on " << r.host << " runs " << r.threads << " threads on "
        << r.cpus.size() << " CPU(s) of its affinity mask (" << cpu_ranges(r.cpus)
        << "): launch with 'mpirun --map-by slot:PE=" << r.threads
        << "' or '--bind-to none' (Slurm: srun --cpus-per-task=" << r.threads << ")";
      warnings.push_back(w.str());
    }
  }
  return warnings;
}

}  // namespace hpar
