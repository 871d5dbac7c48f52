// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// The subcommands of the hpar program, one function each (src/cli/cmd_*.cpp). Each runs on every
// rank, throws hpar::Error on failure and returns the exit code; cli_main lists them in one
// table and handles errors.

#include <boost/mpi/communicator.hpp>
#include <boost/program_options/variables_map.hpp>
#include <span>
#include <string>
#include <vector>

#include "hpar/core/job.hpp"

namespace hpar {

/// `hpar run JOB [options]`: one run of a job, results and report on rank 0.
int run_command(const boost::mpi::communicator& world, std::span<const std::string> args);
/// Refuses (UsageError) an empty --checkpoint DIR, or an --output, --report-json or --trace
/// file of `vm` inside DIR: the directory is the checkpoint's alone (`hpar run`, `hpar slurm`).
void refuse_outputs_in_checkpoint(const boost::program_options::variables_map& vm,
                                  const std::string& dir);
/// `hpar farm ARGS`: `hpar run farm ARGS`.
int farm_command(const boost::mpi::communicator& world, std::span<const std::string> args);

/// `hpar farm-status DIR`: the tasks done, failed and left in a farm's checkpoint, as
/// `key: value` lines; reads files only (no MPI). `jobs`: the program's jobs (empty: the
/// registry in scope). Throws UsageError when DIR is not a farm's checkpoint.
[[nodiscard]] std::string farm_status(std::span<const std::string> args,
                                      std::span<const JobInfo> jobs);
int farm_status_command(const boost::mpi::communicator& world, std::span<const std::string> args);

/// `hpar scale JOB --mode strong|weak [...]`: a scaling study in one launch
/// (src/cli/cmd_scale.cpp).
int scale_command(const boost::mpi::communicator& world, std::span<const std::string> args);

/// `hpar affinity [--threads T] [--json FILE]`: thread placement table and verdicts.
int affinity_command(const boost::mpi::communicator& world, std::span<const std::string> args);

/// `hpar plot STUDY.json [...] -o FILE.png`: draws saved scaling studies with gnuplot.
int plot_command(const boost::mpi::communicator& world, std::span<const std::string> args);

/// `hpar slurm JOB --nodes N --ranks-per-node R --threads T [...]`: prints a ready sbatch
/// script for that layout, refusing bad job options and layouts that do not fit a node.
int slurm_command(const boost::mpi::communicator& world, std::span<const std::string> args);

/// `hpar collect PATH... [--mode M] [--json F] [--csv F] [--plot F]`: merges the JSON reports
/// of separate runs (e.g. a Slurm array, one layout per task) into a scaling study.
int collect_command(const boost::mpi::communicator& world, std::span<const std::string> args);

/// `hpar sweep [options] -- PROGRAM [ARG...]`: a scaling study of any program, one launch per
/// layout and run (src/cli/cmd_sweep.cpp). Not an MPI process: main() runs it before MPI starts.
int sweep_main(std::span<const std::string> args);

/// What `hpar sweep ARGS` would run on `nodes` nodes of `cores_per_node` cores.
struct SweepCheck {
  std::vector<std::string> layouts;   ///< "RxT" of every layout that fits
  std::vector<std::string> left_out;  ///< why each other layout is left out
};

/// For `hpar slurm sweep`: checks ARGS (hpar sweep's options, "--", the program) as `hpar sweep`
/// will, against `nodes` x `cores_per_node` cores; the options a batch script sets itself
/// (--launcher, --json, --csv, --plot, --logs) are refused. Throws UsageError.
[[nodiscard]] SweepCheck check_sweep(std::span<const std::string> args, int nodes,
                                     int cores_per_node);

/// The table's entry for `sweep` when hpar runs as an MPI process: refuses (usage error).
int sweep_command(const boost::mpi::communicator& world, std::span<const std::string> args);

}  // namespace hpar
