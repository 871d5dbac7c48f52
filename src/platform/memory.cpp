// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/platform/memory.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/mpi/collectives.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "hpar/core/errors.hpp"
#include "hpar/core/parse.hpp"
#include "hpar/platform/host.hpp"

namespace hpar {
namespace {

constexpr std::uint64_t most = std::numeric_limits<std::uint64_t>::max();
/// cgroup files write "no limit" as a number near 2^63 (v1) or "max" (v2).
constexpr std::uint64_t no_limit = std::uint64_t{1} << 60;

std::uint64_t add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? most : sum;
}

std::uint64_t times(std::uint64_t a, std::uint64_t b) {
  std::uint64_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? most : product;
}

/// The whole of a small file, or none.
std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// A whole number at the start of `text` (after blanks), or none.
std::optional<std::uint64_t> leading_number(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  return value;
}

std::vector<std::string_view> words_of(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while (at < line.size()) {
    const std::size_t end = std::min(line.find(' ', at), line.size());
    if (end > at) words.push_back(line.substr(at, end - at));
    at = end + 1;
  }
  return words;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  for (const auto line : split(text, '\n')) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

bool has_item(std::string_view list, std::string_view item) {
  const auto items = split(list, ',');
  return std::find(items.begin(), items.end(), item) != items.end();
}

/// Where a cgroup hierarchy is mounted: its mount point and the cgroup path it shows as "/".
struct Hierarchy {
  std::string mount;
  std::string root;
  bool v2 = false;
};

/// The cgroup v2 mount and v1's memory controller mount of a mountinfo text.
std::vector<Hierarchy> memory_hierarchies(std::string_view mountinfo) {
  std::vector<Hierarchy> found;
  for (const auto line : lines_of(mountinfo)) {
    const auto words = words_of(line);
    const auto dash = std::find(words.begin(), words.end(), "-");
    if (words.size() < 5 || dash == words.end() || words.end() - dash < 4) continue;
    const std::string_view type = *(dash + 1);
    const std::string_view super_options = *(dash + 3);
    if (type == "cgroup2" || (type == "cgroup" && has_item(super_options, "memory"))) {
      found.push_back({std::string(words[4]), std::string(words[3]), type == "cgroup2"});
    }
  }
  return found;
}

/// The cgroup path of this process in `hierarchy`, from a /proc/self/cgroup text.
std::optional<std::string> cgroup_path(std::string_view proc_cgroup, const Hierarchy& hierarchy) {
  for (const auto line : lines_of(proc_cgroup)) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string_view::npos || second == std::string_view::npos) continue;
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    const bool match = hierarchy.v2 ? controllers.empty() : has_item(controllers, "memory");
    if (match) return std::string(line.substr(second + 1));
  }
  return std::nullopt;
}

/// Walks from the process's cgroup up to the hierarchy's mount point and keeps the tightest
/// limit less its usage in `limits`.
void tightest_limit(const std::string& root, const Hierarchy& h, const std::string& path,
                    MemoryLimits& limits) {
  std::string relative = path;
  if (h.root != "/") {
    if (!relative.starts_with(h.root)) return;  // a cgroup this mount does not show
    relative = relative.substr(h.root.size());
  }
  const std::string limit_file = h.v2 ? "memory.max" : "memory.limit_in_bytes";
  const std::string usage_file = h.v2 ? "memory.current" : "memory.usage_in_bytes";
  for (std::string dir = relative;;) {
    const std::string at = root + h.mount + (dir == "/" ? "" : dir);
    const auto limit_text = read_text(at + "/" + limit_file);
    const auto limit = limit_text ? leading_number(*limit_text) : std::nullopt;
    if (limit && *limit < no_limit) {
      const auto usage_text = read_text(at + "/" + usage_file);
      const std::uint64_t usage = usage_text ? leading_number(*usage_text).value_or(0) : 0;
      const std::uint64_t free = usage < *limit ? *limit - usage : 0;
      if (!limits.cgroup_free || free < *limits.cgroup_free) {
        limits.cgroup_free = free;
        limits.cgroup_limit = *limit;
        limits.cgroup = dir.empty() ? "/" : dir;
      }
    }
    if (dir.empty() || dir == "/") return;
    const auto slash = dir.rfind('/');
    dir = slash == 0 || slash == std::string::npos ? "/" : dir.substr(0, slash);
  }
}

/// "the job's data 7.2 GiB, per-block results 1.0 MiB" (the parts that are not zero).
std::string parts(const MemoryNeed& need) {
  std::string out;
  const auto part = [&](std::uint64_t bytes, const char* name) {
    if (bytes == 0) return;
    out += (out.empty() ? "" : ", ") + std::string(name) + " " + format_bytes(bytes);
  };
  part(need.job, "the job's data");
  part(need.partials, "per-block results");
  part(need.output, "ordered output held before writing");
  return out.empty() ? "nothing" : out;
}

/// "the 2 ranks on vm need 14.4 GiB in all (rank 0: 7.2 GiB: the job's data ...)".
std::string group_need(const std::vector<RankMemory>& ranks, const std::vector<std::size_t>& group,
                       const std::string& where) {
  std::uint64_t total = 0;
  std::size_t largest = group.front();
  for (const auto r : group) {
    total = add(total, ranks[r].need.total());
    if (ranks[r].need.total() > ranks[largest].need.total()) largest = r;
  }
  const std::string who = group.size() == 1
                              ? "rank " + std::to_string(group.front()) + " " + where
                              : "the " + std::to_string(group.size()) + " ranks " + where;
  return who + (group.size() == 1 ? " needs " : " need ") + format_bytes(total) +
         (group.size() == 1 ? "" : " in all") + " (" +
         (group.size() == 1 ? "" : "rank " + std::to_string(largest) + ": ") +
         parts(ranks[largest].need) + ")";
}

std::uint64_t group_total(const std::vector<RankMemory>& ranks,
                          const std::vector<std::size_t>& group) {
  std::uint64_t total = 0;
  for (const auto r : group) total = add(total, ranks[r].need.total());
  return total;
}

/// The encoded form of a rank's need and limits for the gather (host and cgroup as text).
std::vector<std::uint64_t> numbers_of(const RankMemory& m) {
  const auto& l = m.limits;
  return {m.need.job,
          m.need.partials,
          m.need.output,
          l.host_available ? 1U : 0U,
          l.host_available.value_or(0),
          l.cgroup_free ? 1U : 0U,
          l.cgroup_free.value_or(0),
          l.cgroup_limit,
          l.address_space_free ? 1U : 0U,
          l.address_space_free.value_or(0),
          l.address_space_limit};
}

RankMemory from_numbers(const std::vector<std::uint64_t>& v, std::string host, std::string cgroup) {
  RankMemory m;
  m.host = std::move(host);
  m.need = {v.at(0), v.at(1), v.at(2)};
  if (v.at(3) != 0) m.limits.host_available = v.at(4);
  if (v.at(5) != 0) m.limits.cgroup_free = v.at(6);
  m.limits.cgroup_limit = v.at(7);
  if (v.at(8) != 0) m.limits.address_space_free = v.at(9);
  m.limits.address_space_limit = v.at(10);
  m.limits.cgroup = std::move(cgroup);
  return m;
}

}  // namespace

std::uint64_t MemoryNeed::total() const noexcept {
  return add(add(job, partials), output);
}

MemoryNeed memory_need(const WorkPlan& plan, int rank, int ranks, std::uint64_t output_buffer) {
  MemoryNeed need;
  const std::uint64_t blocks = plan.blocks();
  const auto n = static_cast<std::uint64_t>(std::max(ranks, 1));
  const std::uint64_t rank_blocks = blocks / n + (blocks % n != 0 ? 1 : 0);  // the largest slice
  const std::uint64_t rank_items = std::min(plan.items, times(rank_blocks, plan.block_items));
  need.job = add(plan.memory_per_rank, times(plan.memory_per_item, rank_items));
  if (rank == 0) need.job = add(need.job, plan.memory_on_root);
  // The engine's per-block results (src/engine/walker.cpp, block_results.cpp): each rank keeps
  // a record (block index and partials) per block in its threads' logs and again in the log it
  // hands to the gather; rank 0 gathers every record and places the partials in block order
  // (Gathered::reals and ::counts, and a bit per block). Keep in step with the engine.
  const std::uint64_t partial_bytes = times(8, plan.real_partials + plan.count_partials);
  const std::uint64_t record = add(8, partial_bytes);
  need.partials = times(2, times(rank_blocks, record));
  if (rank == 0) {
    need.partials = add(need.partials, times(blocks, add(record, partial_bytes)));
    need.partials = add(need.partials, blocks / 8);
  }
  if (plan.ordered_output && !plan.ordered_to_finish) need.output = output_buffer;
  return need;
}

std::optional<std::uint64_t> meminfo_available(std::string_view meminfo) {
  for (const auto line : lines_of(meminfo)) {
    if (!line.starts_with("MemAvailable:")) continue;
    const auto kib = leading_number(line.substr(13));
    if (kib) return times(*kib, 1024);
  }
  return std::nullopt;
}

void read_cgroup_limit(std::string_view proc_cgroup, std::string_view mountinfo,
                       const std::string& root, MemoryLimits& limits) {
  for (const auto& hierarchy : memory_hierarchies(mountinfo)) {
    if (const auto path = cgroup_path(proc_cgroup, hierarchy)) {
      tightest_limit(root, hierarchy, *path, limits);
    }
  }
}

MemoryLimits read_memory_limits() {
  MemoryLimits limits;
  if (const auto meminfo = read_text("/proc/meminfo")) {
    limits.host_available = meminfo_available(*meminfo);
  }
  const auto proc_cgroup = read_text("/proc/self/cgroup");
  const auto mountinfo = read_text("/proc/self/mountinfo");
  if (proc_cgroup && mountinfo) read_cgroup_limit(*proc_cgroup, *mountinfo, "", limits);
  rlimit as = {};
  if (::getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    const auto statm = read_text("/proc/self/statm");
    const std::uint64_t pages = statm ? leading_number(*statm).value_or(0) : 0;
    const auto in_use = times(pages, static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)));
    const auto limit = static_cast<std::uint64_t>(as.rlim_cur);
    limits.address_space_limit = limit;
    limits.address_space_free = in_use < limit ? limit - in_use : 0;
  }
  return limits;
}

std::string memory_verdict(const std::vector<RankMemory>& ranks) {
  const std::string head = "not enough memory: ";
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    const auto& l = ranks[r].limits;
    if (l.address_space_free && ranks[r].need.total() > *l.address_space_free) {
      return head + group_need(ranks, {r}, "on " + ranks[r].host) +
             ", but its address-space limit (ulimit -v " + format_bytes(l.address_space_limit) +
             ") leaves it " + format_bytes(*l.address_space_free);
    }
  }
  std::map<std::pair<std::string, std::string>, std::vector<std::size_t>> by_cgroup;
  std::map<std::string, std::vector<std::size_t>> by_host;
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    if (ranks[r].limits.cgroup_free)
      by_cgroup[{ranks[r].host, ranks[r].limits.cgroup}].push_back(r);
    if (ranks[r].limits.host_available) by_host[ranks[r].host].push_back(r);
  }
  for (const auto& [key, group] : by_cgroup) {
    std::size_t tightest = group.front();
    for (const auto r : group) {
      if (*ranks[r].limits.cgroup_free < *ranks[tightest].limits.cgroup_free) tightest = r;
    }
    const auto& l = ranks[tightest].limits;
    if (group_total(ranks, group) > *l.cgroup_free) {
      return head + group_need(ranks, group, "on " + key.first) + ", but their cgroup " +
             quote_for_message(key.second) + " allows " + format_bytes(*l.cgroup_free) +
             " more (limit " + format_bytes(l.cgroup_limit) + ")";
    }
  }
  for (const auto& [host, group] : by_host) {
    std::uint64_t available = most;
    for (const auto r : group) available = std::min(available, *ranks[r].limits.host_available);
    if (group_total(ranks, group) > available) {
      return head + group_need(ranks, group, "on " + host) + ", but " + host + " has " +
             format_bytes(available) + " available";
    }
  }
  return {};
}

void check_memory(const boost::mpi::communicator& comm, const WorkPlan& plan,
                  std::uint64_t output_buffer) {
  RankMemory mine;
  mine.host = host_name();
  mine.need = memory_need(plan, comm.rank(), comm.size(), output_buffer);
  mine.limits = read_memory_limits();
  std::vector<std::vector<std::uint64_t>> numbers;
  std::vector<std::string> hosts;
  std::vector<std::string> cgroups;
  boost::mpi::all_gather(comm, numbers_of(mine), numbers);
  boost::mpi::all_gather(comm, mine.host, hosts);
  boost::mpi::all_gather(comm, mine.limits.cgroup, cgroups);
  std::vector<RankMemory> ranks;
  for (std::size_t r = 0; r < numbers.size(); ++r) {
    ranks.push_back(from_numbers(numbers[r], hosts[r], cgroups[r]));
  }
  const std::string verdict = memory_verdict(ranks);
  if (!verdict.empty()) throw UsageError(verdict);
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(units)) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.3g %s", value, units[unit]);
  return text;
}

}  // namespace hpar
