// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// What the CPUs of this host are doing, from the kernel's accounting (/proc/stat, /proc/loadavg):
/// for telling whether other work competed with a measurement. Linux only; where the files
/// cannot be read the readers return nothing.

#include <optional>
#include <string_view>
#include <vector>

namespace hpar {

/// CPU time of a set of CPUs since boot, in seconds, summed over the set.
struct CpuTimes {
  double busy = 0.0;   ///< user, nice, system, irq and softirq (guest time is inside user)
  double idle = 0.0;   ///< idle and iowait
  double steal = 0.0;  ///< time the hypervisor ran something else while a CPU wanted to run
  int cpus = 0;        ///< CPUs of the set found in the accounting
};

/// Parses the text of /proc/stat: the "cpuN ..." lines of the CPUs in `cpus` (all CPUs when
/// empty), with `ticks_per_second` clock ticks (USER_HZ) per second. Pure: for tests.
[[nodiscard]] CpuTimes parse_cpu_times(std::string_view proc_stat, const std::vector<int>& cpus,
                                       double ticks_per_second);

/// This host's CPU times of `cpus` (all when empty); none when /proc/stat cannot be read.
[[nodiscard]] std::optional<CpuTimes> read_cpu_times(const std::vector<int>& cpus);

/// The 1-minute load average in the text of /proc/loadavg; none when it is not one. Pure.
[[nodiscard]] std::optional<double> parse_load_average(std::string_view proc_loadavg);

/// This host's 1-minute load average; none when it cannot be read.
[[nodiscard]] std::optional<double> read_load_average();

/// CPU time (user + system) this process has used so far, all its threads, in seconds.
[[nodiscard]] double process_cpu_seconds();

}  // namespace hpar
