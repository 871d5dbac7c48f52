#include "machine_watch.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

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

}  // namespace hpar
