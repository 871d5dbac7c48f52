// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Watching the CPUs of this host while a study measures something (scale, sweep): snapshots of
// the kernel's CPU accounting before and after, turned into the study's BusySample.

#include <boost/mpi/communicator.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hpar/platform/cpu_load.hpp"
#include "hpar/platform/layout.hpp"
#include "hpar/study/busy.hpp"

namespace hpar {

/// The watched CPUs' accounting, the load average and the clock at one moment.
struct MachineSnapshot {
  std::optional<CpuTimes> cpu;  ///< none when /proc/stat cannot be read
  std::optional<double> load;   ///< 1-minute load average
  double wall = 0.0;            ///< monotonic clock, seconds
};

/// Takes a snapshot of `cpus` (all CPUs when empty).
[[nodiscard]] MachineSnapshot take_snapshot(const std::vector<int>& cpus);

/// What the watched CPUs did between two snapshots: `own_cpu_seconds` is the CPU time the
/// study's own processes used meanwhile (none when unknown: then others are not measured);
/// `cpus` were watched, `cpus_in_use` of them needed by the point.
[[nodiscard]] BusySample busy_between(const MachineSnapshot& before, const MachineSnapshot& after,
                                      std::optional<double> own_cpu_seconds, int cpus,
                                      int cpus_in_use, const std::string& host,
                                      const std::string& what);

/// CPUs that other processes kept busy on `cpus` during `seconds` in which this process only
/// sleeps (and nothing else of the study runs); none when it cannot be measured.
[[nodiscard]] std::optional<double> quiet_window_cpus(const std::vector<int>& cpus, double seconds);

/// Watches every host of an MPI launch around one point of `hpar scale`: each rank notes its own
/// CPU time (the ranks waiting outside the point too), the first rank of each host snapshots
/// the CPUs the launch may use there.
class LaunchWatch {
 public:
  /// Starts watching; `placements` are every rank's (gather_placements). Not collective.
  LaunchWatch(const boost::mpi::communicator& world, const std::vector<RankPlacement>& placements);
  /// Ends watching: on rank 0 one sample per host, with the point's `ranks` (the first ones of
  /// the launch) x `threads` counted as the CPUs it needs there; empty elsewhere. Collective.
  [[nodiscard]] std::vector<BusySample> finish(int ranks, int threads, const std::string& what);

 private:
  const boost::mpi::communicator& world_;
  const std::vector<RankPlacement>& placements_;
  bool leader_ = false;  ///< the first rank of its host
  std::vector<int> host_cpus_;
  MachineSnapshot before_;
  double own_before_ = 0.0;
};

}  // namespace hpar
