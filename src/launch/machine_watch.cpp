// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/launch/machine_watch.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "hpar/core/errors.hpp"

namespace hpar {

MachineSnapshot take_snapshot(const std::vector<int>& cpus) {
  MachineSnapshot s;
  s.load = read_load_average();
  s.cpu = read_cpu_times(cpus);
  s.wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  return s;
}

BusySample busy_between(const MachineSnapshot& before, const MachineSnapshot& after,
                        std::optional<double> own_cpu_seconds, int cpus, int cpus_in_use,
                        const std::string& host, const std::string& what) {
  BusySample sample;
  sample.host = host;
  sample.what = what;
  sample.seconds = after.wall - before.wall;
  sample.cpus = cpus;
  sample.cpus_in_use = cpus_in_use;
  sample.load_before = before.load;
  sample.load_after = after.load;
  if (before.cpu && after.cpu) {
    sample.stolen_seconds = std::max(0.0, after.cpu->steal - before.cpu->steal);
    if (own_cpu_seconds) {
      const double busy = after.cpu->busy - before.cpu->busy;
      sample.others_cpu_seconds = std::max(0.0, busy - *own_cpu_seconds);
    }
  }
  return sample;
}

std::optional<double> quiet_window_cpus(const std::vector<int>& cpus, double seconds) {
  const MachineSnapshot before = take_snapshot(cpus);
  const double own_before = process_cpu_seconds();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const MachineSnapshot after = take_snapshot(cpus);
  const double own = process_cpu_seconds() - own_before;
  if (!before.cpu || !after.cpu || !(after.wall > before.wall)) return std::nullopt;
  return std::max(0.0, after.cpu->busy - before.cpu->busy - own) / (after.wall - before.wall);
}

LaunchWatch::LaunchWatch(const boost::mpi::communicator& world,
                         const std::vector<RankPlacement>& placements)
    : world_(world), placements_(placements) {
  const auto& mine = placements_.at(static_cast<std::size_t>(world_.rank()));
  std::set<int> cpus;
  for (std::size_t r = 0; r < placements_.size(); ++r) {
    if (placements_[r].host != mine.host) continue;
    if (!leader_ && cpus.empty()) leader_ = static_cast<int>(r) == world_.rank();
    cpus.insert(placements_[r].cpus.begin(), placements_[r].cpus.end());
  }
  host_cpus_.assign(cpus.begin(), cpus.end());
  if (leader_) before_ = take_snapshot(host_cpus_);
  own_before_ = process_cpu_seconds();
}

std::vector<BusySample> LaunchWatch::finish(int ranks, int threads, const std::string& what) {
  // Per rank: own CPU time; a leader adds its host's snapshots (valid, busy, steal, wall and
  // the load averages).
  std::vector<double> mine(8, 0.0);
  mine[0] = process_cpu_seconds() - own_before_;
  if (leader_) {
    const MachineSnapshot after = take_snapshot(host_cpus_);
    const BusySample s = busy_between(before_, after, 0.0, 0, 0, "", "");
    mine[1] = s.others_cpu_seconds ? 1.0 : 0.0;  // with no own time: all busy time
    mine[2] = s.others_cpu_seconds.value_or(0.0);
    mine[3] = s.stolen_seconds.value_or(0.0);
    mine[4] = s.seconds;
    mine[5] = s.load_before.value_or(-1.0);
    mine[6] = s.load_after.value_or(-1.0);
    mine[7] = 1.0;
  }
  const auto size = static_cast<std::size_t>(world_.size());
  std::vector<double> all(world_.rank() == 0 ? size * mine.size() : 0);
  check_mpi(MPI_Gather(mine.data(), static_cast<int>(mine.size()), MPI_DOUBLE, all.data(),
                       static_cast<int>(mine.size()), MPI_DOUBLE, 0, MPI_Comm(world_)),
            "MPI_Gather");
  if (world_.rank() != 0) return {};
  std::map<std::string, double> own;  // host -> the launch's CPU time there
  std::map<std::string, int> in_use;  // host -> CPUs the point needs there
  for (std::size_t r = 0; r < size; ++r) {
    own[placements_[r].host] += all[r * mine.size()];
    if (static_cast<int>(r) < ranks) in_use[placements_[r].host] += threads;
  }
  std::vector<BusySample> samples;
  for (std::size_t r = 0; r < size; ++r) {
    const double* v = &all[r * mine.size()];
    if (v[7] == 0.0) continue;
    const auto& host = placements_[r].host;
    std::set<int> cpus;
    for (const auto& p : placements_) {
      if (p.host == host) cpus.insert(p.cpus.begin(), p.cpus.end());
    }
    BusySample s;
    s.host = host;
    s.what = what;
    s.seconds = v[4];
    s.cpus = static_cast<int>(cpus.size());
    s.cpus_in_use = std::min(s.cpus, in_use[host]);
    if (v[1] != 0.0) s.others_cpu_seconds = std::max(0.0, v[2] - own[host]);
    s.stolen_seconds = v[3];
    if (v[5] >= 0.0) s.load_before = v[5];
    if (v[6] >= 0.0) s.load_after = v[6];
    samples.push_back(s);
  }
  return samples;
}

}  // namespace hpar
