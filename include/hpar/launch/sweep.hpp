// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The pieces of `hpar sweep` (a scaling study of any MPI + OpenMP program, one launch per
/// layout) that are pure functions of the request: which layouts, whether they fit the cores,
/// the launcher's command line and environment for a layout, the placeholders of weak scaling,
/// and what a launch's output says (metric, check, compared value). sweep_run.hpp runs
/// the launches; these are unit-tested without any.

#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

namespace hpar {

/// Ranks x OpenMP threads per rank.
struct SweepLayout {
  int ranks = 1;
  int threads = 1;
  /// ranks x threads.
  [[nodiscard]] int cores() const noexcept { return ranks * threads; }
  friend bool operator==(const SweepLayout&, const SweepLayout&) = default;
};

/// "RxT", e.g. "2x4".
[[nodiscard]] std::string layout_text(const SweepLayout& layout);

/// The layouts asked for by --ranks, --threads and --cores (each empty when not given), by
/// cores, then ranks. With --cores alone: every factorisation ranks x threads of each count.
/// With --ranks and/or --threads: their cross product (a missing list is 1, 2, 4, ... up to
/// `default_cores`), kept to the counts of --cores when that is given too. With none of them:
/// every factorisation of 1, 2, 4, ... up to `default_cores` and `default_cores` itself.
[[nodiscard]] std::vector<SweepLayout> sweep_layouts(const std::vector<int>& ranks,
                                                     const std::vector<int>& threads,
                                                     const std::vector<int>& cores,
                                                     int default_cores);

/// The cores a sweep may use: `nodes` nodes of `per_node` cores each.
struct SweepCapacity {
  int nodes = 1;
  int per_node = 1;
  std::string source;  ///< where the numbers come from, e.g. "the Slurm allocation"
  /// nodes x per_node.
  [[nodiscard]] int total() const noexcept { return nodes * per_node; }
};

/// The capacity of a Slurm allocation from SLURM_JOB_CPUS_PER_NODE ("16(x2),8": CPUs of each
/// node, a repeat count in brackets); the smallest node decides per_node. None when the text
/// is not in that form.
[[nodiscard]] std::optional<SweepCapacity> slurm_capacity(const std::string& cpus_per_node);

/// Why `layout` does not fit `capacity` (a rank's threads need cores on one node; every node
/// holds per_node / threads ranks), or empty when it fits.
[[nodiscard]] std::string fit_problem(const SweepLayout& layout, const SweepCapacity& capacity);

/// How the program is started for each layout.
struct SweepLauncher {
  enum class Kind { mpirun, srun, none, custom };
  Kind kind = Kind::mpirun;
  std::vector<std::string> words;  ///< custom: the template's words ({ranks}, {threads}, {cores})
  std::vector<std::string> extra;  ///< --launcher-args: words put after the launcher's own flags
  bool add_allow_run_as_root = false;  ///< mpirun as root without OMPI_ALLOW_RUN_AS_ROOT set
  std::string srun_mpi = "pmix";       ///< srun's --mpi plugin (HPAR_SRUN_MPI)
  std::string why;                     ///< how it was chosen, for the header line
};

/// The launcher that --launcher TEXT names: auto (srun inside a Slurm allocation, i.e. when
/// `in_slurm`, else mpirun), mpirun, srun, none (the program alone: one rank), or a template
/// with {ranks} (split on blanks, e.g. 'mpiexec -n {ranks} -genv OMP_NUM_THREADS {threads}').
/// Throws UsageError for anything else.
[[nodiscard]] SweepLauncher parse_launcher(const std::string& text, bool in_slurm);

/// The command that runs `program` (already substituted) at `layout`: Open MPI's
/// `mpirun -np R --map-by slot:PE=T --bind-to core -x OMP_NUM_THREADS -x OMP_PLACES
/// -x OMP_PROC_BIND` (`--oversubscribe --map-by slot --bind-to none` when `oversubscribed`),
/// `srun --mpi=pmix --ntasks=R --cpus-per-task=T --cpu-bind=cores` (`--overcommit` and
/// `--cpu-bind=none` when oversubscribed), the program alone, or the template filled in. The
/// binding is binding.hpp's.
[[nodiscard]] std::vector<std::string> launch_command(const SweepLauncher& launcher,
                                                      const SweepLayout& layout,
                                                      bool oversubscribed,
                                                      const std::vector<std::string>& program);

/// The environment a launch gets on top of this process's: OMP_NUM_THREADS=T, and
/// OMP_PLACES=cores, OMP_PROC_BIND=close unless `keep_places` / `keep_bind` (the user set them):
/// binding_environment (binding.hpp).
[[nodiscard]] std::vector<std::pair<std::string, std::string>> launch_environment(
    const SweepLayout& layout, bool keep_places, bool keep_bind);

/// `arguments` with {ranks}, {threads}, {cores} and {run} (also {NAME*K}, K a whole number)
/// replaced by the layout's values and the run's number (from 1); other braces are left
/// alone. Throws UsageError when K is not a whole number or the product overflows.
[[nodiscard]] std::vector<std::string> substitute_layout(const std::vector<std::string>& arguments,
                                                         const SweepLayout& layout, int run = 1);

/// Whether any argument has one of the placeholders of the layout ({ranks}, {threads},
/// {cores}, not {run}): work that can grow with the cores.
[[nodiscard]] bool has_placeholders(const std::vector<std::string>& arguments);

/// Throws UsageError naming the first word in braces of `arguments` that looks like a
/// placeholder ({NAME} or {NAME*K}, NAME a word) but is none of the known ones (a misspelt
/// {thread}; ${NAME}, a shell variable, is left alone); `where` says whose arguments.
void check_placeholders(const std::vector<std::string>& arguments, const std::string& where);

/// A regular expression given on the command line, kept with its text.
struct SweepPattern {
  std::string text;
  std::regex regex;
};

/// Compiles `text` (ECMAScript) for --NAME; with `needs_group`, it must have a capture group.
/// Throws UsageError naming the option when it is not a valid expression.
[[nodiscard]] SweepPattern sweep_pattern(const std::string& text, const std::string& option,
                                         bool needs_group);

/// A figure the program prints, named: --metric NAME=REGEX.
struct NamedPattern {
  std::string name;
  SweepPattern pattern;
};

/// Splits --metric's text into NAME and REGEX when it is NAME=REGEX (NAME a word: letters,
/// digits, _), else {"", text}.
[[nodiscard]] std::pair<std::string, std::string> split_metric(const std::string& text);

/// What to look for in a launch's output.
struct OutputRules {
  std::optional<SweepPattern> metric;  ///< --metric: the first group is the time (or rate)
  std::string metric_pick = "first";   ///< first, last, max or min of the matches
  double metric_scale = 1.0;           ///< seconds per unit of the printed figure
  std::optional<SweepPattern> check;   ///< --check: a line must match
  std::optional<SweepPattern> same;    ///< --same-output: the values that must agree
  std::vector<NamedPattern> figures;   ///< more --metric NAME=REGEX: recorded, not measured
};

/// What a launch's output says under `rules`.
struct OutputFindings {
  std::optional<double> metric_seconds;  ///< none when --metric matched nothing (or not given)
  std::string metric_problem;            ///< when a match was not a number: which text
  bool check_found = false;
  std::string check_line;           ///< the first line --check matched
  std::vector<std::string> values;  ///< the first group (or whole match) of every --same-output
                                    ///< match, in order
  /// Each of rules.figures that matched a number: its name and the value metric_pick chooses.
  std::vector<std::pair<std::string, double>> figures;
};

/// Scans `lines` (the launch's standard output, then its standard error) by `rules`. Pure.
[[nodiscard]] OutputFindings scan_output(const std::vector<std::string>& lines,
                                         const OutputRules& rules);

/// Scans the files `stdout_path` then `stderr_path` line by line (any size) by `rules`.
[[nodiscard]] OutputFindings scan_output_files(const std::string& stdout_path,
                                               const std::string& stderr_path,
                                               const OutputRules& rules);

/// The seconds per unit of --metric-unit s|ms|us|ns. Throws UsageError otherwise.
[[nodiscard]] double metric_unit_seconds(const std::string& unit);

/// The command as a line for a shell, the environment first: `OMP_NUM_THREADS=2 mpirun ...`.
[[nodiscard]] std::string command_line_text(
    const std::vector<std::pair<std::string, std::string>>& environment,
    const std::vector<std::string>& command);

}  // namespace hpar
