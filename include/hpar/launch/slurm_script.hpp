// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The Slurm script writer: the sbatch script `hpar slurm` prints for a job, a sweep or a farm,
/// as a plain function of a described script (no command line in it: src/cli/cmd_slurm.cpp
/// parses the options into a SlurmScript). A script is its #SBATCH lines, a header of comments,
/// the variables and arguments, then the body of slurm/hybrid.sbatch, slurm/sweep.sbatch or
/// slurm/farm.sbatch from its "---- from here on the same" line to the end (read into the
/// library when it is built), so a printed script and the file stop and report the same way.
/// Also the checks of what goes into a script: time limits, names, the layout against the
/// nodes' cores (--cores-per-node, else sinfo).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hpar/launch/binding.hpp"

namespace hpar {

/// Everything a script says.
struct SlurmScript {
  /// job: `hpar run JOB ...` (slurm/hybrid.sbatch); sweep: `hpar sweep ...` on whole nodes
  /// (slurm/sweep.sbatch); farm: `hpar run farm ... -- COMMAND` (slurm/farm.sbatch).
  enum class Kind { job, sweep, farm };
  Kind kind = Kind::job;
  std::uint64_t nodes = 1;
  std::uint64_t ranks_per_node = 1;  ///< not of a sweep
  std::uint64_t threads = 1;         ///< OpenMP threads (a farm's: slots) per rank; not of a sweep
  std::optional<std::uint64_t> cores_per_node = {};  ///< --cores-per-node, else ask sinfo
  std::string time = {};                             ///< --time as given ("": the partition's)
  std::optional<std::uint64_t> time_seconds = {};    ///< the same, in seconds
  std::string partition = {};                        ///< "": the default partition
  std::string job_name = {};
  BatchLauncher launcher = BatchLauncher::srun;  ///< the script's default HPAR_LAUNCHER
  /// The script's arguments (`set --`): a job's JOB and its options for `hpar run`; a sweep's
  /// options, "--" and the program; a farm's "farm", its options, "--" and the command (the
  /// script leaves out "farm": its body runs `hpar run farm "$@"`).
  std::vector<std::string> arguments = {};
  std::string checkpoint = {};                 ///< a farm's --checkpoint DIR ("": none)
  std::string hpar_binary = "hpar";            ///< the script's default HPAR
  std::vector<std::string> command_line = {};  ///< the words after `hpar slurm`, for "Made by"
  // A sweep's layouts, as `hpar sweep` will check them against the nodes:
  std::vector<std::string> sweep_layouts = {};    ///< "RxT" of every layout that fits
  std::vector<std::string> sweep_left_out = {};   ///< why each other layout is left out
  std::optional<std::uint64_t> sweep_cores = {};  ///< the cores of each of its nodes, when known
};

/// The text of the sbatch script `script` describes.
[[nodiscard]] std::string slurm_script_text(const SlurmScript& script);

/// The placement of a job's or a farm's script: nodes x ranks per node ranks of `threads`.
[[nodiscard]] Placement script_placement(const SlurmScript& script);

/// Seconds of a time limit in one of sbatch's formats (MIN, MIN:SEC, H:MIN:SEC, D-H, D-H:MIN,
/// D-H:MIN:SEC); UsageError otherwise.
[[nodiscard]] std::uint64_t parse_time_limit(const std::string& text);

/// Refuses (UsageError) words that cannot go into a batch script: a control character.
void refuse_control_characters(std::span<const std::string> words);

/// Refuses (UsageError) a --partition or --job-name (`option`) with other characters than
/// letters, digits and _ . , + -.
void check_slurm_name(const std::string& option, const std::string& value);

/// The launcher --launcher names: srun or mpirun; UsageError otherwise.
[[nodiscard]] BatchLauncher parse_batch_launcher(const std::string& text);

/// Cores of each node of `partition` (the default one when empty), from sinfo; nothing when
/// Slurm cannot be reached.
[[nodiscard]] std::optional<std::vector<std::uint64_t>> sinfo_node_cores(
    const std::string& partition);

/// Refuses (UsageError) a job's or farm's layout whose ranks x threads do not fit the cores of
/// enough nodes (--cores-per-node, else sinfo); warns on stderr when neither is known.
void check_slurm_fit(const SlurmScript& script);

/// The cores of each of a sweep's nodes: --cores-per-node, else the N-th largest node of the
/// partition (sinfo), so that N nodes have that many; nothing (with a warning) when unknown.
/// UsageError when the partition has fewer nodes.
[[nodiscard]] std::optional<std::uint64_t> sweep_node_cores(const SlurmScript& script);

/// The path of this program, for a script's default HPAR ("hpar" when unknown).
[[nodiscard]] std::string this_program_path();

}  // namespace hpar
