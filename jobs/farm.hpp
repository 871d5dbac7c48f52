// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// The farm job's command lines: GNU parallel's placeholders and the splitting of an argument
// line (jobs/farm.cpp). Declared here for the unit tests.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hpar::jobs::farm {

/// What the placeholders of one task stand for.
struct TaskFields {
  std::string input;         ///< {} (with --args-file: the whole line)
  std::uint64_t number = 1;  ///< {#}: the task's number, 1-based, in input order
  std::uint64_t slot = 1;    ///< {%}: the slot that runs it, 1-based (rank x threads + thread)
  /// {1} {2} ...: the task's columns (input sources after :::, --colsep, -N); none: {1} is the
  /// input. A column past the last is empty.
  const std::vector<std::string>* columns = nullptr;
};

/// True when `word` holds a placeholder: {} {#} {%} {.} {/} {//} {/.} {N}. Throws UsageError
/// on an unknown one: braces around nothing but the characters # % . / (e.g. {..}), or a {N}
/// past `columns` (the input sources' count; 1: {1} is the input). Any other text in braces
/// is the command's own (awk '{print $1}').
[[nodiscard]] bool has_placeholder(std::string_view word, std::size_t columns = 1);

/// GNU parallel's input sources after the command: `::: A B ...` (the values given) and
/// `:::: FILE ...` (each file's lines); `command` keeps the words before the first of them.
/// Each source is a list of values. Throws UsageError on a source with no values.
[[nodiscard]] std::vector<std::vector<std::string>> take_sources(std::vector<std::string>& command);

/// The tasks' columns from `sources`: every combination, the first source varying slowest (as
/// GNU parallel), or with `link` the n-th values of each together (a shorter source wraps).
[[nodiscard]] std::vector<std::vector<std::string>> combine_sources(
    const std::vector<std::vector<std::string>>& sources, bool link);

/// `word` with its placeholders replaced; each replacement shell-quoted when `quote` (--shell).
[[nodiscard]] std::string expand(std::string_view word, const TaskFields& fields, bool quote);

/// The argument vector of one task. `command` is the words after "--"; `arguments` the task's
/// own words (its input, or its --args-file line split), appended when no word of `command`
/// holds a placeholder. With `shell`, one /bin/sh -c line of the words (the command's words as
/// they are, the inputs quoted).
[[nodiscard]] std::vector<std::string> task_argv(const std::vector<std::string>& command,
                                                 const std::vector<std::string>& arguments,
                                                 const TaskFields& fields, bool shell);

/// `text` quoted for a POSIX shell as GNU parallel quotes a value (its --dry-run lines): as
/// it is when made of letters, digits and - _ . + / only, else in '...' ('' for empty).
[[nodiscard]] std::string parallel_quote(const std::string& text);

/// One word of a task's command as `hpar farm --dry-run` prints it: the placeholders' values
/// quoted as GNU parallel quotes them; the word's own text as it is with `shell`, else quoted
/// where a shell would change it.
[[nodiscard]] std::string dry_run_word(std::string_view word, const TaskFields& fields, bool shell);

/// A line split into words as a POSIX shell splits it, without running one: blanks separate,
/// '...' keeps everything, "..." keeps everything but \" \\ \$ \`, a backslash quotes the next
/// character. Throws UsageError on an unterminated quote.
[[nodiscard]] std::vector<std::string> split_arguments(std::string_view line);

/// The MPI launcher that starts a task of --task-ranks R on one node, and how to spell it.
struct TaskLauncher {
  enum class Kind { open_mpi, mpich };
  std::string path;            ///< mpirun / mpiexec
  Kind kind = Kind::open_mpi;  ///< Open MPI's mpirun, or MPICH's Hydra mpiexec
  bool allow_root = false;     ///< Open MPI as root without OMPI_ALLOW_RUN_AS_ROOT set
  /// Inside a Slurm job (SLURM_JOB_ID set): the launcher is kept off Slurm (its allocation,
  /// srun), so that it starts the ranks on this node, on the task's CPUs.
  bool in_slurm = false;
};

/// The launcher of --task-ranks: HPAR_TASK_MPIEXEC from the environment, else the mpiexec
/// hpar was built with (CMake's MPIEXEC_EXECUTABLE); the kind is the build's MPI.
[[nodiscard]] TaskLauncher task_launcher();

/// Open MPI's rankfile for `ranks` ranks of `threads` CPUs each, rank i on cpus[i*threads ..]
/// (physical ids, `localhost`): `rank 0=localhost slot=0,1`, one line each.
[[nodiscard]] std::string rankfile_text(std::uint64_t ranks, std::uint64_t threads,
                                        const std::vector<int>& cpus);

/// The words that start a task's command as `ranks` MPI ranks of `threads` CPUs each, rank i
/// on cpus[i*threads ..] (cpus holds ranks x threads, repeats allowed): Open MPI `mpirun -np R
/// --rankfile FILE --mca rmaps_rank_file_physical 1` (FILE holds rankfile_text; in Slurm
/// also `--mca ras ^slurm --mca plm ^slurm`), MPICH `mpiexec -n R -bind-to user:a+b,c+d` (in
/// Slurm also `-launcher fork -hosts localhost`).
[[nodiscard]] std::vector<std::string> task_launcher_words(const TaskLauncher& launcher,
                                                           std::uint64_t ranks,
                                                           std::uint64_t threads,
                                                           const std::vector<int>& cpus,
                                                           const std::string& rankfile);

/// Whether a task's record (its count partials) says it failed: its last attempt did not exit
/// 0, or it never ran (--halt). The farm's JobInfo::block_failed.
[[nodiscard]] bool task_failed(std::span<const std::uint64_t> counts);

}  // namespace hpar::jobs::farm
