// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The binding rules: where the ranks and OpenMP threads of a hybrid launch sit, for every
/// launcher hpar starts them with. The one C++ source of them: the sweep's launcher lines
/// (sweep.hpp) and the Slurm script writer (slurm_script.hpp) take them from here, and
/// tests/cli/slurm_cases.sh holds them against slurm/lib/launch.bash, the batch scripts' copy.
///
/// A rank gets T cores of its own (srun --cpu-bind=cores --cpus-per-task=T, mpirun
/// --map-by ...:PE=T --bind-to core) and its T threads one core each (OMP_PLACES=cores,
/// OMP_PROC_BIND=close); an oversubscribed launch binds nothing (srun --cpu-bind=none
/// --overcommit, mpirun --oversubscribe --map-by slot --bind-to none).

#include <string>
#include <utility>
#include <vector>

namespace hpar {

/// The ranks and threads of one launch.
struct Placement {
  int ranks = 1;                ///< ranks in all
  int ranks_per_node = 0;       ///< ranks on each node; 0: as the launcher's slots come
  int threads = 1;              ///< OpenMP threads per rank, one core each
  bool oversubscribed = false;  ///< more ranks x threads than cores: nothing bound
};

/// What a placement gets from each launcher and from OpenMP.
struct Binding {
  std::string omp_places = {};        ///< OMP_PLACES
  std::string omp_proc_bind = {};     ///< OMP_PROC_BIND
  std::string srun_cpu_bind = {};     ///< srun --cpu-bind=
  bool srun_overcommit = false;       ///< srun --overcommit
  std::string mpirun_map_by = {};     ///< mpirun --map-by
  std::string mpirun_bind_to = {};    ///< mpirun --bind-to
  bool mpirun_oversubscribe = false;  ///< mpirun --oversubscribe
};

/// The binding of `placement`: OMP_PLACES=cores, OMP_PROC_BIND=close; srun --cpu-bind=cores;
/// mpirun --map-by ppr:R:node:PE=T (slot:PE=T without ranks per node) --bind-to core; when
/// oversubscribed srun --cpu-bind=none --overcommit and mpirun --oversubscribe --map-by slot
/// --bind-to none.
[[nodiscard]] Binding binding_for(const Placement& placement);

/// The OpenMP environment of a launch: OMP_NUM_THREADS=T, and the binding's OMP_PLACES and
/// OMP_PROC_BIND unless `keep_places` / `keep_bind` (the user set them).
[[nodiscard]] std::vector<std::pair<std::string, std::string>> binding_environment(
    const Placement& placement, bool keep_places = false, bool keep_bind = false);

/// The launchers of a batch script's `launch` (slurm/lib/launch.bash).
enum class BatchLauncher { srun, mpirun };

/// "srun" or "mpirun".
[[nodiscard]] const char* launcher_name(BatchLauncher launcher);

/// The words a batch script's `launch` starts the ranks of `placement` with, before hpar's:
/// `srun --mpi=SRUN_MPI --cpu-bind=cores --cpus-per-task=T --ntasks=N --ntasks-per-node=R
/// --disable-status`, or `mpirun -np N --map-by ppr:R:node:PE=T --bind-to core
/// -x OMP_NUM_THREADS -x OMP_PLACES -x OMP_PROC_BIND`.
[[nodiscard]] std::vector<std::string> batch_launch_words(BatchLauncher launcher,
                                                          const Placement& placement,
                                                          const std::string& srun_mpi = "pmix");

}  // namespace hpar
