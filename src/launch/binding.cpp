// SPDX-License-Identifier: BSD-3-Clause
// The binding rules (include/hpar/launch/binding.hpp); slurm/lib/launch.bash holds the batch
// scripts' copy, which tests/cli/slurm_cases.sh compares with these.

#include "hpar/launch/binding.hpp"

namespace hpar {

Binding binding_for(const Placement& placement) {
  const std::string pe = "PE=" + std::to_string(placement.threads);
  Binding b{.omp_places = "cores", .omp_proc_bind = "close"};
  if (placement.oversubscribed) {
    b.srun_cpu_bind = "none";
    b.srun_overcommit = true;
    b.mpirun_map_by = "slot";
    b.mpirun_bind_to = "none";
    b.mpirun_oversubscribe = true;
    return b;
  }
  b.srun_cpu_bind = "cores";
  b.mpirun_map_by = placement.ranks_per_node > 0
                        ? "ppr:" + std::to_string(placement.ranks_per_node) + ":node:" + pe
                        : "slot:" + pe;
  b.mpirun_bind_to = "core";
  return b;
}

std::vector<std::pair<std::string, std::string>> binding_environment(const Placement& placement,
                                                                     bool keep_places,
                                                                     bool keep_bind) {
  const Binding b = binding_for(placement);
  std::vector<std::pair<std::string, std::string>> env{
      {"OMP_NUM_THREADS", std::to_string(placement.threads)}};
  if (!keep_places) env.emplace_back("OMP_PLACES", b.omp_places);
  if (!keep_bind) env.emplace_back("OMP_PROC_BIND", b.omp_proc_bind);
  return env;
}

const char* launcher_name(BatchLauncher launcher) {
  return launcher == BatchLauncher::srun ? "srun" : "mpirun";
}

std::vector<std::string> batch_launch_words(BatchLauncher launcher, const Placement& placement,
                                            const std::string& srun_mpi) {
  const Binding b = binding_for(placement);
  const std::string n = std::to_string(placement.ranks);
  if (launcher == BatchLauncher::srun) {
    std::vector<std::string> words{"srun", "--mpi=" + srun_mpi, "--cpu-bind=" + b.srun_cpu_bind,
                                   "--cpus-per-task=" + std::to_string(placement.threads),
                                   "--ntasks=" + n};
    if (placement.ranks_per_node > 0) {
      words.push_back("--ntasks-per-node=" + std::to_string(placement.ranks_per_node));
    }
    if (b.srun_overcommit) words.emplace_back("--overcommit");
    words.emplace_back("--disable-status");
    return words;
  }
  std::vector<std::string> words{"mpirun", "-np", n};
  if (b.mpirun_oversubscribe) words.emplace_back("--oversubscribe");
  words.insert(words.end(), {"--map-by", b.mpirun_map_by, "--bind-to", b.mpirun_bind_to, "-x",
                             "OMP_NUM_THREADS", "-x", "OMP_PLACES", "-x", "OMP_PROC_BIND"});
  return words;
}

}  // namespace hpar
