// SPDX-License-Identifier: BSD-3-Clause
// `hpar sweep [options] -- PROGRAM [ARG...]`: a scaling study of any MPI + OpenMP program. For
// every layout ranks x threads it launches the program (mpirun or srun with the binding that
// layout needs, or a launcher the user names) K times, measures each launch (its wall time, a
// figure it prints, or its own hpar report), checks its output, and hands the runs to the study
// module: the table, fits, fastest layout per core count, JSON, CSV and plot of `hpar scale`.
//
// hpar sweep is not an MPI process: it is the launcher (main() calls it before MPI starts).
// Reads like a table of contents: parse -> check the program and the launcher -> plan the
// layouts against the cores -> launch every point, K times -> report.

#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <limits>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "commands.hpp"
#include "hpar/cli/options.hpp"
#include "hpar/launch/sweep.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/files.hpp"
#include "hpar/core/format.hpp"
#include "hpar/core/parse.hpp"
#include "hpar/core/process.hpp"
#include "hpar/core/program.hpp"
#include "hpar/engine/signals.hpp"
#include "hpar/platform/affinity.hpp"
#include "hpar/report/report.hpp"
#include "hpar/study/study.hpp"
#include "hpar/launch/machine_watch.hpp"
#include "study_output.hpp"
#include "sweep_rerun.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace hpar {
namespace {

/// The longest --timeout taken: 30 days (a longer one is a typo, and would overflow a clock).
constexpr double max_timeout = 30.0 * 24 * 3600;

po::options_description sweep_options() {
  po::options_description d("Sweep options");
  d.add_options()("ranks", po::value<std::string>()->value_name("R1,R2,..."),
                  "MPI ranks per layout")(
      "threads", po::value<std::string>()->value_name("T1,T2,..."), "OpenMP threads per rank")(
      "cores", po::value<std::string>()->value_name("N"),
      "every ranks x threads of 1, 2, 4, ... up to N cores, and N (the default, with N the cores "
      "the sweep may use)")("core-counts", po::value<std::string>()->value_name("C1,C2,..."),
                            "every ranks x threads of exactly these core counts")(
      "mode", po::value<std::string>()->default_value("strong")->value_name("strong|weak"),
      "strong: the same work at every layout; weak: arguments with {cores}, {ranks} or "
      "{threads} (also {cores*K}) that make the work grow with the cores. Both modes fill in "
      "{ranks}, {threads}, {cores} and {run} (the launch's number at its layout, from 1) "
      "wherever they stand in the arguments; an unknown {name} is an error")(
      "repeat", po::value<std::string>()->default_value("3")->value_name("K"),
      "launches per layout; the table shows the median and the spread")(
      "launcher", po::value<std::string>()->default_value("auto")->value_name("L"),
      "auto (srun inside a Slurm allocation, else mpirun), mpirun (Open MPI), srun, none (the "
      "program alone, one rank), or a template such as 'mpiexec -n {ranks}'")(
      "launcher-args", po::value<std::string>()->value_name("'ARGS'"),
      "more launcher flags, put before the program (e.g. '--hostfile hosts')")(
      "nodes", po::value<std::string>()->value_name("N"),
      "nodes the layouts may span (default: the Slurm allocation's, else 1)")(
      "cores-per-node", po::value<std::string>()->value_name("C"),
      "cores of a node (default: the allocation's, else this host's, from hwloc)")(
      "oversubscribe", po::bool_switch(),
      "also run layouts that need more cores than there are (for correctness only: their times "
      "mean nothing); otherwise they are reported and left out")(
      "timeout", po::value<std::string>()->value_name("SECONDS"),
      "stop a launch that runs longer (TERM to its process group, KILL 5 s later): a failed run")(
      "measure", po::value<std::string>()->default_value("auto")->value_name("auto|wall|report"),
      "wall: each launch's wall time; report: the time in the hpar report of an 'hpar run' "
      "program; auto: report for 'hpar run', else wall")(
      "metric", po::value<std::vector<std::string>>()->composing()->value_name("[NAME=]REGEX"),
      "measure a figure the program prints instead: the first group of REGEX, e.g. "
      "'solve time: ([0-9.eE+-]+)'; given again as NAME=REGEX, more figures each run records "
      "(a column each under 'figures'; the first --metric is the one measured)")(
      "metric-kind", po::value<std::string>()->default_value("time")->value_name("time|rate"),
      "time: the figure is a time (lower is better); rate: a rate such as steps/s (higher is "
      "better): the speedup is rate / the baseline's rate")(
      "metric-pick",
      po::value<std::string>()->default_value("first")->value_name("first|last|max|min"),
      "which match counts when there are several (e.g. max: the slowest of ranks that all print)")(
      "metric-unit", po::value<std::string>()->default_value("s")->value_name("s|ms|us|ns"),
      "the unit of the figure")("check", po::value<std::string>()->value_name("REGEX"),
                                "a line of the output must match, or the run FAILs verification "
                                "(e.g. 'verification successful')")(
      "same-output", po::value<std::string>()->value_name("REGEX"),
      "the matched values (first group, or the whole match) must be the same in every run of "
      "every layout (weak mode: of each layout), e.g. 'checksum: (\\S+)'; the values that differ "
      "are printed")("same-output-tolerance", po::value<std::string>()->value_name("REL"),
                     "numbers in the --same-output values agree when they differ by at most REL, "
                     "relative (e.g. 1e-9 for floating-point sums that change with the layout)")(
      "logs", po::value<std::string>()->value_name("DIR"),
      "keep every launch's output in DIR (RxT-runK.out, .err; .json for hpar reports); "
      "without it a failed launch's output is kept in logs/ beside the --json file (else in "
      "hpar-sweep-logs/)")("stdin", po::value<std::string>()->value_name("FILE"),
                           "feed FILE to each launch's standard input (rank 0's under mpirun "
                           "and srun); without it the launches read nothing (/dev/null)")(
      "workdir-per-run", po::bool_switch(),
      "start each launch in a directory of its own, RxT-runK/ in --logs DIR (else in "
      "hpar-sweep-runs/ beside the --json file, or here), kept: for programs that write a "
      "fixed file name; relative paths in the arguments then start there")(
      "rerun", po::value<std::string>()->value_name("STUDY.json"),
      "launch again only the points of the sweep's study STUDY.json whose launches failed, "
      "that a stop left out, or whose times are not trusted, with the study's own command line "
      "(run it where the sweep ran; --repeat K may change the runs per point), and merge them "
      "into the study: each replaces its old point, the analysis is made anew, and STUDY.json "
      "(and the CSV and plot the sweep wrote) are written again");
  add_study_file_options(d);
  d.add_options()("help", "show this help");
  return d;
}

std::string sweep_help() {
  std::ostringstream o;
  o << "hpar sweep [options] -- PROGRAM [ARG...]: a scaling study of any MPI + OpenMP program\n\n"
       "Launches PROGRAM at every layout ranks x threads, K times each, with the launcher and\n"
       "binding that layout needs (Open MPI: mpirun -np R --map-by slot:PE=T --bind-to core;\n"
       "inside Slurm: srun --mpi=pmix --ntasks=R --cpus-per-task=T --cpu-bind=cores; OpenMP:\n"
       "OMP_NUM_THREADS=T OMP_PLACES=cores OMP_PROC_BIND=close), and prints the table of 'hpar\n"
       "scale': time, speedup, efficiency, Karp-Flatt, the fitted law, the fastest layout per\n"
       "core count, and which points to distrust because the machine was busy. Layouts that\n"
       "need more cores than there are are reported and left out. A launch that fails is\n"
       "reported with its exit code and the end of its output, and the sweep goes on. Run it\n"
       "directly (not under mpirun), on a workstation or inside one Slurm allocation.\n\n"
       "Exit codes: 0 ok; 1 a launch failed; 2 bad usage; 3 a --check or the hpar report\n"
       "failed verification, or the --same-output values differ; 4 stopped by SIGTERM/SIGINT\n"
       "(the points done are written, \"complete\": false).\n\n"
       "hpar sweep --rerun STUDY.json launches again only the points of that study whose\n"
       "launches failed or whose times are not trusted (the table's \"rerun\" line says which),\n"
       "and merges them into it.\n\n"
    << sweep_options();
  return o.str();
}

/// This host's name (no MPI here).
std::string host_name_here() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

/// How a run's time is taken.
enum class Measure { wall, metric, report };

/// What the command line asks for.
struct SweepRequest {
  po::variables_map vm;
  std::vector<std::string> program;  ///< PROGRAM [ARG...], placeholders not yet filled in
  std::string name;                  ///< what the study calls the program
  ScalingMode mode = ScalingMode::strong;
  std::vector<SweepLayout> layouts;  ///< as asked, before the cores check
  int repeat = 3;
  SweepLauncher launcher;
  double timeout = 0.0;
  Measure measure = Measure::wall;
  OutputRules rules;
  double same_tolerance = 0.0;   ///< --same-output-tolerance
  std::string stdin_path;        ///< --stdin FILE, absolute; empty: /dev/null
  bool workdir_per_run = false;  ///< --workdir-per-run
  bool metric_is_rate = false;   ///< --metric-kind rate: the figure is a rate (1 / it is timed)
  std::string metric_name;       ///< the NAME= of the first --metric, if any
};

/// An option's value as text ("" when not given).
std::string text_of(const po::variables_map& vm, const std::string& name) {
  return vm.count(name) != 0U ? vm[name].as<std::string>() : std::string();
}

/// Whether `program` is `hpar run ...` (this binary or one named hpar).
bool is_hpar_run(const std::vector<std::string>& program) {
  if (program.size() < 2 || program[1] != "run") return false;
  if (fs::path(program[0]).filename() == "hpar") return true;
  std::error_code e1, e2;
  const auto self = fs::canonical("/proc/self/exe", e1);
  const auto found = fs::canonical(find_program(program[0]), e2);
  return !e1 && !e2 && self == found;
}

/// The program and its arguments: the words after "--". Throws UsageError.
std::vector<std::string> program_of(std::span<const std::string> args, std::size_t dashes) {
  if (dashes == args.size()) {
    throw UsageError("no program: hpar sweep [options] -- PROGRAM [ARG...]");
  }
  std::vector<std::string> program(args.begin() + static_cast<std::ptrdiff_t>(dashes) + 1,
                                   args.end());
  if (program.empty()) throw UsageError("no program after '--': hpar sweep [options] -- PROGRAM");
  if (find_program(program[0]).empty()) {
    throw UsageError(
        "no such program '" + program[0] + "'" +
        (program[0].find('/') == std::string::npos ? " in PATH" : " (or not an executable file)"));
  }
  return program;
}

/// The --metric options: the first is the measured figure ([NAME=]REGEX), the others
/// NAME=REGEX figures each run records; --metric-kind, --metric-pick, --metric-unit.
void parse_metrics(SweepRequest& req) {
  const auto& vm = req.vm;
  const auto texts = vm["metric"].as<std::vector<std::string>>();
  const std::string kind = vm["metric-kind"].as<std::string>();
  if (kind != "time" && kind != "rate") {
    throw UsageError("bad --metric-kind '" + kind + "': expected time or rate");
  }
  req.metric_is_rate = kind == "rate";
  if (req.metric_is_rate && !vm["metric-unit"].defaulted()) {
    throw UsageError("--metric-unit is the unit of a time: a rate is taken as printed");
  }
  std::set<std::string> names;
  for (std::size_t k = 0; k < texts.size(); ++k) {
    const auto [name, regex] = split_metric(texts[k]);
    if (k > 0 && name.empty()) {
      throw UsageError("bad --metric '" + texts[k] +
                       "': a second --metric needs a name, --metric NAME=REGEX");
    }
    if (!name.empty() && !names.insert(name).second) {
      throw UsageError("two --metric named '" + name + "'");
    }
    SweepPattern pattern = sweep_pattern(regex, "--metric", true);
    if (k == 0) {
      req.metric_name = name;
      req.rules.metric = std::move(pattern);
    } else {
      req.rules.figures.push_back({name, std::move(pattern)});
    }
  }
  req.rules.metric_pick = vm["metric-pick"].as<std::string>();
  req.rules.metric_scale =
      req.metric_is_rate ? 1.0 : metric_unit_seconds(vm["metric-unit"].as<std::string>());
  const auto& pick = req.rules.metric_pick;
  if (pick != "first" && pick != "last" && pick != "max" && pick != "min") {
    throw UsageError("bad --metric-pick '" + pick + "': expected first, last, max or min");
  }
}

/// How the runs are measured and checked: --measure, --metric, --check, --same-output.
void parse_measure(SweepRequest& req) {
  const auto& vm = req.vm;
  const std::string measure = vm["measure"].as<std::string>();
  if (measure != "auto" && measure != "wall" && measure != "report") {
    throw UsageError("bad --measure '" + measure + "': expected auto, wall or report");
  }
  const bool hpar = is_hpar_run(req.program);
  if (vm.count("metric") != 0U) {
    if (measure != "auto") throw UsageError("give --metric or --measure " + measure + ", not both");
    req.measure = Measure::metric;
    parse_metrics(req);
  } else if (!vm["metric-kind"].defaulted()) {
    throw UsageError("--metric-kind needs --metric REGEX");
  } else if (measure == "report" || (measure == "auto" && hpar)) {
    if (!hpar) throw UsageError("--measure report needs an 'hpar run JOB ...' program");
    req.measure = Measure::report;
    for (const auto& arg : req.program) {
      if (arg == "--report-json" || arg.starts_with("--report-json=")) {
        throw UsageError("leave out --report-json: the sweep writes each run's report itself");
      }
    }
  }
  if (vm.count("check") != 0U)
    req.rules.check = sweep_pattern(text_of(vm, "check"), "--check", false);
  if (vm.count("same-output") != 0U) {
    req.rules.same = sweep_pattern(text_of(vm, "same-output"), "--same-output", false);
  }
  if (vm.count("same-output-tolerance") != 0U) {
    if (!req.rules.same) throw UsageError("--same-output-tolerance needs --same-output REGEX");
    req.same_tolerance =
        parse_real(text_of(vm, "same-output-tolerance"), "--same-output-tolerance");
    if (!(req.same_tolerance >= 0.0) || !(req.same_tolerance < 1.0)) {
      throw UsageError("--same-output-tolerance must be at least 0 and less than 1 (relative)");
    }
  }
}

/// The launcher: --launcher, --launcher-args, and what this process knows (Slurm, root).
SweepLauncher parse_launcher_options(const po::variables_map& vm) {
  SweepLauncher launcher =
      parse_launcher(vm["launcher"].as<std::string>(), std::getenv("SLURM_JOB_ID") != nullptr);
  std::istringstream extra(text_of(vm, "launcher-args"));
  for (std::string word; extra >> word;) launcher.extra.push_back(word);
  const auto set = [](const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0';
  };
  launcher.add_allow_run_as_root =
      geteuid() == 0 && !(set("OMPI_ALLOW_RUN_AS_ROOT") && set("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"));
  if (set("HPAR_SRUN_MPI")) launcher.srun_mpi = std::getenv("HPAR_SRUN_MPI");
  return launcher;
}

/// The layouts asked for; `default_cores` stands for an unsized --cores.
std::vector<SweepLayout> asked_layouts(const po::variables_map& vm, int default_cores) {
  const auto list = [&](const char* name) {
    return vm.count(name) != 0U
               ? count_list({vm[name].as<std::string>()}, std::string("--") + name, 1 << 20)
               : std::vector<int>{};
  };
  if (vm.count("cores") != 0U && vm.count("core-counts") != 0U) {
    throw UsageError("give --cores N or --core-counts C1,C2,..., not both");
  }
  std::vector<int> counts = list("core-counts");
  if (vm.count("cores") != 0U) {
    const int n = static_cast<int>(count_option(vm, "cores", 1, 1 << 20));
    counts.clear();
    for (int c = 1; c <= n && c > 0; c *= 2) counts.push_back(c);
    if (counts.back() != n) counts.push_back(n);
  }
  return sweep_layouts(list("ranks"), list("threads"), counts, default_cores);
}

SweepRequest parse_sweep(std::span<const std::string> args) {
  const auto dashes =
      static_cast<std::size_t>(std::find(args.begin(), args.end(), "--") - args.begin());
  SweepRequest req;
  req.vm = parse_options(args.first(dashes), sweep_options()).vm;
  if (req.vm.count("help") != 0U || req.vm.count("rerun") != 0U) return req;
  req.program = program_of(args, dashes);
  req.name = fs::path(req.program[0]).filename().string();
  req.mode = parse_scaling_mode(req.vm["mode"].as<std::string>());
  req.repeat = static_cast<int>(count_option(req.vm, "repeat", 1, 1000));
  req.launcher = parse_launcher_options(req.vm);
  if (req.vm.count("timeout") != 0U) {
    req.timeout = parse_real(req.vm["timeout"].as<std::string>(), "--timeout");
    if (!(req.timeout > 0.0) || req.timeout > max_timeout) {
      throw UsageError("--timeout must be more than 0 and at most " +
                       std::to_string(static_cast<long>(max_timeout)) + " seconds (30 days)");
    }
  }
  parse_measure(req);
  if (req.measure == Measure::report && req.program.size() >= 3) req.name = req.program[2];
  const std::vector<std::string> arguments(req.program.begin() + 1, req.program.end());
  check_placeholders(arguments, "the program's arguments");
  check_placeholders(req.launcher.words, "--launcher");
  (void)substitute_layout(arguments, {});  // a bad {cores*K} is refused here
  if (req.vm.count("stdin") != 0U) {
    const std::string path = text_of(req.vm, "stdin");
    require_readable_file(path, "--stdin file");
    req.stdin_path = fs::absolute(path).string();
    // srun gives its stdin to every task unless told otherwise; mpirun to rank 0.
    if (req.launcher.kind == SweepLauncher::Kind::srun) {
      req.launcher.extra.insert(req.launcher.extra.begin(), "--input=0");
    }
  }
  req.workdir_per_run = req.vm["workdir-per-run"].as<bool>();
  if (req.mode == ScalingMode::weak && !has_placeholders(arguments)) {
    throw UsageError(
        "a weak sweep needs work that grows with the cores: put {cores} (or {ranks}, {threads}, "
        "{cores*K}) in the program's arguments");
  }
  return req;
}

/// The first line `command` prints (its version), or "" when it cannot run.
std::string first_line_of(const std::vector<std::string>& command, const fs::path& dir) {
  ProcessSpec spec;
  spec.argv = command;
  spec.stdout_path = (dir / "version.out").string();
  spec.stderr_path = (dir / "version.err").string();
  spec.timeout_seconds = 20.0;
  try {
    if (!run_process(spec, {}).ok()) return "";
  } catch (const Error&) {
    return "";
  }
  std::ifstream in(spec.stdout_path);
  std::string line;
  std::getline(in, line);
  return line;
}

/// Checks that the launcher can start the program here; returns its version line.
std::string check_launcher(const SweepLauncher& launcher, const fs::path& dir) {
  using Kind = SweepLauncher::Kind;
  if (launcher.kind == Kind::none) return "";
  const std::string tool = launcher.kind == Kind::mpirun ? "mpirun"
                           : launcher.kind == Kind::srun ? "srun"
                                                         : launcher.words.front();
  if (find_program(tool).empty()) {
    throw UsageError(
        "the launcher '" + tool + "' is not installed here (" +
        (launcher.kind == Kind::srun ? "Slurm: slurm-client" : "Open MPI: openmpi-bin") +
        "), or choose another with --launcher");
  }
  if (launcher.kind == Kind::srun && std::getenv("SLURM_JOB_ID") == nullptr) {
    throw UsageError(
        "--launcher srun works inside a Slurm allocation (sbatch, salloc): "
        "SLURM_JOB_ID is not set");
  }
  if (launcher.kind == Kind::custom) return "";
  std::string version = first_line_of({tool, "--version"}, dir);
  if (launcher.kind == Kind::mpirun && version.find("Open MPI") == std::string::npos &&
      version.find("OpenRTE") == std::string::npos) {
    throw UsageError("this mpirun is not Open MPI's ('" + version +
                     "'): name the launcher with a template, e.g. --launcher 'mpiexec -n {ranks}'");
  }
  return version;
}

/// The cores the layouts may use: --nodes and --cores-per-node, else the Slurm allocation's,
/// else this host's (cores of the CPUs this process may use, from hwloc).
SweepCapacity sweep_capacity(const po::variables_map& vm) {
  SweepCapacity capacity;
  const char* slurm = std::getenv("SLURM_JOB_CPUS_PER_NODE");
  if (std::getenv("SLURM_JOB_ID") != nullptr && slurm != nullptr) {
    if (auto c = slurm_capacity(slurm)) capacity = *c;
  }
  if (capacity.source.empty()) {
    const auto mine = affinity_cpus();
    std::set<int> cores;
    try {
      const HostTopology topology = host_topology();
      for (const int cpu : mine) {
        const auto it = topology.core_of.find(cpu);
        cores.insert(it != topology.core_of.end() ? it->second : -1 - cpu);
      }
    } catch (const Error&) {
      cores.insert(mine.begin(), mine.end());
    }
    capacity.per_node = std::max(1, static_cast<int>(cores.size()));
    capacity.source = "this host (the cores of the CPUs hpar may use)";
  }
  if (vm.count("nodes") != 0U || vm.count("cores-per-node") != 0U) {
    if (vm.count("nodes") != 0U)
      capacity.nodes = static_cast<int>(count_option(vm, "nodes", 1, 100000));
    if (vm.count("cores-per-node") != 0U) {
      capacity.per_node = static_cast<int>(count_option(vm, "cores-per-node", 1, 1 << 20));
    }
    capacity.source = "--nodes/--cores-per-node";
  }
  return capacity;
}

/// A layout to launch, and how.
struct PlannedPoint {
  SweepLayout layout;
  bool oversubscribed = false;  ///< needs more cores than there are (--oversubscribe)
  std::string schedule;         ///< the table's "schedule" column: the launcher, or "oversub"
};

/// The layouts to launch and those left out.
struct SweepPlan {
  SweepCapacity capacity;
  std::vector<PlannedPoint> points;
  std::vector<std::string> skipped;  ///< why each layout left out was left out
};

std::string launcher_name(const SweepLauncher& launcher) {
  switch (launcher.kind) {
    case SweepLauncher::Kind::mpirun:
      return "mpirun";
    case SweepLauncher::Kind::srun:
      return "srun";
    case SweepLauncher::Kind::none:
      return "none";
    case SweepLauncher::Kind::custom:
      break;
  }
  return "custom";
}

/// The layouts asked for, checked against the cores: those that fit, those run anyway
/// (--oversubscribe), those left out. Throws UsageError when none can run.
SweepPlan plan_sweep(const SweepRequest& req, const SweepCapacity& capacity) {
  SweepPlan plan;
  plan.capacity = capacity;
  const bool oversubscribe = req.vm["oversubscribe"].as<bool>();
  for (const auto& layout : asked_layouts(req.vm, plan.capacity.total())) {
    if (req.launcher.kind == SweepLauncher::Kind::none && layout.ranks > 1) {
      plan.skipped.push_back(layout_text(layout) + ": --launcher none starts one rank");
      continue;
    }
    const std::string problem = fit_problem(layout, plan.capacity);
    if (problem.empty() || oversubscribe) {
      plan.points.push_back(
          {layout, !problem.empty(), problem.empty() ? launcher_name(req.launcher) : "oversub"});
    } else {
      plan.skipped.push_back(problem);
    }
  }
  if (plan.points.empty()) {
    throw UsageError("no layout can run: " + plan.skipped.front() +
                     (oversubscribe ? ""
                                    : " (--oversubscribe runs such layouts anyway, for "
                                      "correctness only)"));
  }
  return plan;
}

/// Where the launches write: --logs DIR (kept) or a temporary directory (removed at the end).
class Workspace {
 public:
  explicit Workspace(const std::string& logs) : kept_(!logs.empty()) {
    if (kept_) {
      dir_ = logs;
      std::error_code error;
      fs::create_directories(dir_, error);
      if (error || !fs::is_directory(dir_)) {
        throw UsageError("cannot use --logs '" + logs + "': " + error.message());
      }
      return;
    }
    std::string pattern = (fs::temp_directory_path() / "hpar-sweep-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw RuntimeError("cannot create a temporary directory in " +
                         fs::temp_directory_path().string());
    }
    dir_ = pattern;
  }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  ~Workspace() {
    std::error_code ignored;
    if (!kept_) fs::remove_all(dir_, ignored);
  }
  /// DIR/RxT-runK.EXT
  [[nodiscard]] std::string file(const SweepLayout& layout, int run, const char* ext) const {
    return (dir_ / (layout_text(layout) + "-run" + std::to_string(run) + ext)).string();
  }
  [[nodiscard]] const fs::path& dir() const { return dir_; }
  [[nodiscard]] bool kept() const { return kept_; }

 private:
  fs::path dir_;
  bool kept_;
};

/// What a failed launch's output says, shown on stderr and kept in the JSON.
struct FailureOutput {
  std::vector<std::string> errors;       ///< its error-looking lines, first
  std::vector<std::string> stdout_tail;  ///< the last lines of its stdout
  std::vector<std::string> stderr_tail;  ///< the last lines of its stderr (launcher notices out)
  std::string stdout_path, stderr_path;  ///< where its whole output is kept
  [[nodiscard]] bool empty() const {
    return errors.empty() && stdout_tail.empty() && stderr_tail.empty();
  }
};

/// One launch, as the study and the JSON keep it.
struct Launch {
  int number = 1;  ///< run k of its point, from 1
  std::vector<std::string> command;
  std::vector<std::pair<std::string, std::string>> environment;
  ProcessOutcome outcome;
  std::optional<StudyRun> run;  ///< none when it failed
  std::string failure;          ///< why it failed
  FailureOutput shown;          ///< what its output says, when it failed
  std::string workdir;          ///< where it started (--workdir-per-run); empty: here
  double rate = 0.0;            ///< --metric-kind rate: the rate it printed
  std::vector<std::pair<std::string, double>> figures;  ///< --metric NAME=REGEX's values
  BusySample busy;
};

/// Whether `line` is a line of 40 or more dashes (how Open MPI frames its notices).
bool dash_line(const std::string& line) {
  return line.size() >= 40 && line.find_first_not_of('-') == std::string::npos;
}

/// The last `n` lines of `path`. With `drop_notices`, without the notices a launcher frames
/// between two lines of dashes (Open MPI's "mpirun detected that one or more processes exited
/// ..." on stderr), which would hide the program's own last words: only a block closed by a
/// second line of dashes is a notice, so a program's own line of dashes cuts nothing.
std::vector<std::string> program_lines(const std::string& path, std::size_t n, bool drop_notices) {
  const auto lines = last_lines(path, 80);
  std::vector<std::string> kept;
  constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
  std::size_t open = none;  // where an unclosed block of dashes began in `kept`
  for (const auto& line : lines) {
    if (drop_notices && dash_line(line)) {
      if (open != none) {
        kept.resize(open);
        open = none;
        continue;
      }
      open = kept.size();
    }
    kept.push_back(line);
  }
  const auto& chosen = kept.empty() ? lines : kept;
  return {chosen.end() - static_cast<std::ptrdiff_t>(std::min(n, chosen.size())), chosen.end()};
}

/// The program's error-looking lines (ERROR, Error, error:, Traceback, Abort) of `out` then
/// `err`, the first `n` different ones: the first error is usually the cause.
std::vector<std::string> error_lines(const std::string& out, const std::string& err,
                                     std::size_t n) {
  static const std::regex looks_wrong("ERROR|Error|error:|Traceback|Abort");
  std::vector<std::string> found;
  for (const auto& path : {out, err}) {
    std::ifstream in(path, std::ios::binary);
    for (std::string line; found.size() < n && std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.size() > 300) line = line.substr(0, 300) + "...";
      if (std::regex_search(line, looks_wrong) &&
          std::find(found.begin(), found.end(), line) == found.end()) {
        found.push_back(line);
      }
    }
  }
  return found;
}

/// What a failed launch said: its error-looking lines, the end of its stdout and of its stderr.
FailureOutput failure_output(const std::string& out, const std::string& err) {
  FailureOutput f;
  f.errors = error_lines(out, err, 5);
  f.stdout_tail = program_lines(out, 5, false);
  f.stderr_tail = program_lines(err, 5, true);
  return f;
}

/// All of a failure's lines, the error lines first (the JSON's "output_tail").
std::vector<std::string> all_lines(const FailureOutput& f) {
  std::vector<std::string> lines = f.errors;
  lines.insert(lines.end(), f.stdout_tail.begin(), f.stdout_tail.end());
  lines.insert(lines.end(), f.stderr_tail.begin(), f.stderr_tail.end());
  return lines;
}

/// A --metric that matches nothing where it should: bad input, printed by sweep_main as one
/// error line and then the output's last lines (real lines, not one escaped line).
struct MetricRefusal {
  std::string message;
  std::vector<std::string> lines;
};

/// The folder that keeps failed launches' output when --logs does not keep every launch's:
/// logs/ beside the --json file, else hpar-sweep-logs/ here.
fs::path failed_logs_dir(const SweepRequest& req) {
  const std::string json = text_of(req.vm, "json");
  if (json.empty()) return "hpar-sweep-logs";
  return fs::path(json).parent_path() / "logs";
}

/// Keeps the output of the failed launch `l` (copied out of the temporary workspace unless
/// --logs keeps it already) and records where in `l.shown`.
void keep_failed_output(const SweepRequest& req, const Workspace& ws, const SweepLayout& layout,
                        Launch& l) {
  l.shown.stdout_path = ws.file(layout, l.number, ".out");
  l.shown.stderr_path = ws.file(layout, l.number, ".err");
  if (ws.kept()) return;
  const fs::path dir = failed_logs_dir(req);
  std::error_code error;
  fs::create_directories(dir, error);
  for (auto* path : {&l.shown.stdout_path, &l.shown.stderr_path}) {
    const fs::path to = dir / fs::path(*path).filename();
    if (!error) fs::copy_file(*path, to, fs::copy_options::overwrite_existing, error);
    if (error) {
      std::cerr << program_name() + ": warning: cannot keep the failed launch's output in "
                << dir.string() << ": " << error.message() << "\n";
      *path = "";
    } else {
      *path = to.string();
    }
  }
}

/// The run of a launch that measured itself with an hpar report (--measure report).
std::optional<StudyRun> run_from_report(const std::string& path, std::string& failure) {
  try {
    const nlohmann::json report = read_json_file(path, "report ");
    if (report.value("schema", std::string()) != report_schema) {
      failure = "its report " + path + " is not an hpar report";
    } else if (!report.value("complete", false)) {
      failure = "its report says it did not complete";
    } else {
      return study_run_of_report(report);
    }
  } catch (const std::exception& e) {
    failure = std::string("no usable hpar report: ") + e.what();
  }
  return std::nullopt;
}

/// Takes the run's time and verdict from its output (or report); sets `l.run`, or
/// `l.failure`. A --metric that has matched in no launch yet and matches nothing in one that
/// succeeded is bad input: throws UsageError naming the point and showing the output's end.
void evaluate(const SweepRequest& req, const Workspace& ws, const PlannedPoint& point, Launch& l,
              bool& metric_seen) {
  const std::string out = ws.file(point.layout, l.number, ".out");
  const std::string err = ws.file(point.layout, l.number, ".err");
  // An hpar run that fails its verification exits 3 with a complete report: a FAIL, not a
  // failed launch.
  const bool verification_failed = req.measure == Measure::report &&
                                   l.outcome.end == ProcessOutcome::End::exited &&
                                   l.outcome.exit_code == static_cast<int>(ExitCode::verification);
  if (!l.outcome.ok() && !verification_failed) {
    l.failure = l.outcome.describe(req.timeout);
    l.shown = failure_output(out, err);
    return;
  }
  const OutputFindings found = scan_output_files(out, err, req.rules);
  l.figures = found.figures;
  StudyRun run;
  run.seconds = l.outcome.seconds;
  if (req.measure == Measure::metric) {
    if (!found.metric_seconds) {
      const std::string why = found.metric_problem.empty()
                                  ? "--metric '" + req.rules.metric->text + "' matches nothing"
                                  : found.metric_problem;
      if (!metric_seen) {
        const FailureOutput shown = failure_output(out, err);
        throw MetricRefusal{why + " in the output of point " + layout_text(point.layout) +
                                " (run " + std::to_string(l.number) + ": " +
                                command_line_text(l.environment, l.command) + "); its last lines:",
                            all_lines(shown)};
      }
      l.failure = why;
      l.shown = failure_output(out, err);
      return;
    }
    metric_seen = true;
    run.seconds = *found.metric_seconds;
    if (req.metric_is_rate) {
      l.rate = run.seconds;
      if (!(l.rate > 0.0)) {
        l.failure = "the rate --metric took is " + format_fixed(l.rate, 6) +
                    " (rates must be "
                    "positive)";
        return;
      }
      run.seconds = 1.0 / l.rate;  // the study compares times: the time of one unit
    }
  } else if (req.measure == Measure::report) {
    auto from_report = run_from_report(ws.file(point.layout, l.number, ".json"), l.failure);
    if (!from_report) return;
    run = std::move(*from_report);
  }
  if (!(run.seconds > 0.0) || !std::isfinite(run.seconds)) {
    l.failure =
        "the measured time is " + format_fixed(run.seconds, 6) + " s (times must be positive)";
    return;
  }
  if (req.rules.check) {
    if (!found.check_found) {
      run.verification = "FAIL";
      run.verification_detail =
          "no line of the output matches --check '" + req.rules.check->text + "'";
    } else if (run.verification != "FAIL") {
      run.verification = "PASS";
      run.verification_detail = "--check matched: " + found.check_line;
    }
  }
  if (req.rules.same) {
    for (const auto& v : found.values) run.result.push_back("same-output: " + v);
    if (found.values.empty()) run.result.emplace_back("same-output: (no match)");
  }
  l.run = std::move(run);
}

/// The directory launch `run` of `layout` starts in (--workdir-per-run), created: RxT-runK/ in
/// --logs DIR, else in hpar-sweep-runs/ beside the --json file, else here. Throws
/// RuntimeError when it cannot be made.
std::string run_directory(const SweepRequest& req, const SweepLayout& layout, int run) {
  const std::string logs = text_of(req.vm, "logs");
  const std::string json = text_of(req.vm, "json");
  const fs::path base = !logs.empty()   ? fs::path(logs)
                        : !json.empty() ? fs::path(json).parent_path() / "hpar-sweep-runs"
                                        : fs::path("hpar-sweep-runs");
  const fs::path dir = base / (layout_text(layout) + "-run" + std::to_string(run));
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    throw RuntimeError("cannot make the run directory " + dir.string() + ": " + error.message());
  }
  return dir.string();
}

/// The program for a layout: placeholders filled in, and --report-json FILE when measured by
/// its report.
std::vector<std::string> program_for(const SweepRequest& req, const Workspace& ws,
                                     const SweepLayout& layout, int run) {
  std::vector<std::string> program = substitute_layout(req.program, layout, run);
  program.front() = req.program.front();  // the program's own name is never substituted
  if (req.workdir_per_run && program.front().find('/') != std::string::npos) {
    program.front() = fs::absolute(program.front()).string();  // it starts elsewhere
  }
  if (req.measure == Measure::report) {
    program.insert(program.end(),
                   {"--report-json", fs::absolute(ws.file(layout, run, ".json")).string()});
  }
  return program;
}

/// The environment of a launch at `layout`; OMP_PLACES and OMP_PROC_BIND the user set are kept.
std::vector<std::pair<std::string, std::string>> environment_for(const SweepLayout& layout) {
  return launch_environment(layout, std::getenv("OMP_PLACES") != nullptr,
                            std::getenv("OMP_PROC_BIND") != nullptr);
}

/// Launches the point's program once (run `number`) and measures it, watching the CPUs.
Launch launch_once(const SweepRequest& req, const Workspace& ws, const PlannedPoint& point,
                   int number, const std::vector<int>& cpus, bool& metric_seen) {
  Launch l;
  l.number = number;
  l.command = launch_command(req.launcher, point.layout, point.oversubscribed,
                             program_for(req, ws, point.layout, number));
  l.environment = environment_for(point.layout);
  ProcessSpec spec;
  spec.argv = l.command;
  spec.environment = l.environment;
  spec.stdout_path = ws.file(point.layout, number, ".out");
  spec.stderr_path = ws.file(point.layout, number, ".err");
  spec.timeout_seconds = req.timeout;
  spec.stdin_path = req.stdin_path;
  if (req.workdir_per_run) {
    l.workdir = run_directory(req, point.layout, number);
    spec.working_directory = l.workdir;
  }
  // srun's ranks are not this process's descendants: their CPU time cannot be told from other
  // processes', so others are measured in a quiet moment just before instead.
  const bool own_known = req.launcher.kind != SweepLauncher::Kind::srun;
  std::optional<double> others_before;
  if (!own_known) others_before = quiet_window_cpus(cpus, 0.25);
  const MachineSnapshot before = take_snapshot(cpus);
  const double own_before = process_cpu_seconds();
  l.outcome = run_process(spec, [] { return stop_requested(); });
  const MachineSnapshot after = take_snapshot(cpus);
  const double own = l.outcome.cpu_seconds + process_cpu_seconds() - own_before;
  const int watched = static_cast<int>(cpus.size());
  l.busy = busy_between(before, after, own_known ? std::optional<double>(own) : std::nullopt,
                        watched, std::min(watched, point.layout.cores()), host_name_here(),
                        "run " + std::to_string(number));
  l.busy.others_before_cpus = others_before;
  if (own_known) l.busy.program_cpu_seconds = l.outcome.cpu_seconds;
  l.busy.threads = point.layout.threads;
  if (l.outcome.end != ProcessOutcome::End::stopped) evaluate(req, ws, point, l, metric_seen);
  if (!l.failure.empty()) keep_failed_output(req, ws, point.layout, l);
  return l;
}

/// A launch in the point's JSON.
nlohmann::json launch_json(const Launch& l, const SweepRequest& req, const Workspace& ws,
                           const SweepLayout& layout) {
  nlohmann::json j = {
      {"run", l.number},
      {"command_line", command_line_text(l.environment, l.command)},
      {"wall_seconds", l.outcome.seconds},
      {"cpu_seconds", l.outcome.cpu_seconds},
      {"ended", l.outcome.describe(req.timeout)},
      {"seconds", l.run ? nlohmann::json(l.run->seconds) : nlohmann::json(nullptr)},
      {"failure", l.failure.empty() ? nlohmann::json(nullptr) : nlohmann::json(l.failure)}};
  if (!l.workdir.empty()) j["workdir"] = l.workdir;
  if (l.run) {  // what a rerun reads back of the runs it keeps
    j["result"] = l.run->result;
    j["verification"] = l.run->verification;
    j["verification_detail"] = l.run->verification_detail;
  }
  if (req.metric_is_rate && l.run) j["rate"] = l.rate;
  for (const auto& [name, value] : l.figures) j["figures"][name] = value;
  if (!l.shown.empty()) j["output_tail"] = all_lines(l.shown);
  if (!l.failure.empty()) {
    j["stdout"] = l.shown.stdout_path;
    j["stderr"] = l.shown.stderr_path;
  } else if (ws.kept()) {
    j["stdout"] = ws.file(layout, l.number, ".out");
    j["stderr"] = ws.file(layout, l.number, ".err");
  }
  return j;
}

/// Everything the sweep has done so far.
struct SweepState {
  StudyRecord study;
  nlohmann::json failed = nlohmann::json::array();  ///< every failed launch
  std::vector<std::string> failure_notes;           ///< the table's "failed" lines
  bool interrupted = false;
  bool metric_seen = false;   ///< --metric has matched in some launch
  bool same_matched = false;  ///< --same-output has matched in some run
  nlohmann::json reruns;      ///< --rerun: the study's reruns so far, this one last; else null
};

/// Prints `lines` under `title`, each as "  | LINE".
void print_lines(const std::string& title, const std::vector<std::string>& lines) {
  if (lines.empty()) return;
  std::cerr << "  " << title << ":\n";
  for (const auto& line : lines) std::cerr << "  | " << line << "\n";
}

/// Says on stderr that run `l` of `point` failed: the program's error lines first, then the end
/// of its stdout and of its stderr, and where its whole output is kept; keeps it in the state.
void note_failure(const PlannedPoint& point, const Launch& l, int repeat, SweepState& state) {
  const std::string name = layout_text(point.layout) + " " + point.schedule;
  const FailureOutput& f = l.shown;
  std::cerr << program_name() + ": warning: point " << name << ", run " << l.number << " of "
            << repeat << " failed: " << l.failure << "; the sweep goes on\n";
  print_lines("its error lines", f.errors);
  print_lines("end of its stdout", f.stdout_tail);
  print_lines("end of its stderr", f.stderr_tail);
  if (!f.stdout_path.empty()) {
    std::cerr << "  its whole output: " << f.stdout_path << ", " << f.stderr_path << "\n";
  }
  state.failed.push_back({{"layout", name},
                          {"run", l.number},
                          {"failure", l.failure},
                          {"command_line", command_line_text(l.environment, l.command)},
                          {"error_lines", f.errors},
                          {"stdout_tail", f.stdout_tail},
                          {"stderr_tail", f.stderr_tail},
                          {"stdout", f.stdout_path},
                          {"stderr", f.stderr_path},
                          {"output_tail", all_lines(f)}});
  const std::string& said = !f.errors.empty()        ? f.errors.front()
                            : !f.stderr_tail.empty() ? f.stderr_tail.back()
                            : !f.stdout_tail.empty() ? f.stdout_tail.back()
                                                     : std::string();
  state.failure_notes.push_back(name + " run " + std::to_string(l.number) + ": " + l.failure +
                                (said.empty() ? "" : ": " + said));
}

/// Runs the `repeat` launches of one point (fewer when one fails: the rest would too) and keeps
/// the point in the study when a run succeeded. Returns the point (also when it failed).
StudyPoint run_point(const SweepRequest& req, const Workspace& ws, const PlannedPoint& planned,
                     const std::vector<int>& cpus, SweepState& state) {
  StudyPoint point;
  point.ranks = planned.layout.ranks;
  point.threads = planned.layout.threads;
  point.schedule = planned.schedule;
  nlohmann::json launches = nlohmann::json::array();
  std::vector<double> cpu_seconds, wall_seconds;
  for (int k = 1; k <= req.repeat; ++k) {
    const Launch l = launch_once(req, ws, planned, k, cpus, state.metric_seen);
    if (l.outcome.end == ProcessOutcome::End::stopped) {
      state.interrupted = true;
      break;
    }
    if (k == 1) {
      point.extra["command"] = l.command;
      point.extra["command_line"] = command_line_text(l.environment, l.command);
      nlohmann::json env = nlohmann::json::object();
      for (const auto& [name, value] : l.environment) env[name] = value;
      point.extra["environment"] = env;
      point.extra["oversubscribed"] = planned.oversubscribed;
    }
    launches.push_back(launch_json(l, req, ws, planned.layout));
    cpu_seconds.push_back(l.outcome.cpu_seconds);
    if (req.metric_is_rate && l.run) point.extra["rate"].push_back(l.rate);
    for (const auto& [name, value] : l.figures) point.extra["figures"][name].push_back(value);
    wall_seconds.push_back(l.outcome.seconds);
    point.busy.push_back(l.busy);
    if (!l.run) {
      note_failure(planned, l, req.repeat, state);
      break;
    }
    point.runs.push_back(*l.run);
  }
  point.extra["launches"] = launches;
  // The CPU time of each launch (its processes, as waited for: not srun's ranks) and its wall
  // time: cpu / (wall x cores) is how much of its cores the program used.
  point.extra["cpu_seconds"] = cpu_seconds;
  point.extra["wall_seconds"] = wall_seconds;
  return point;
}

/// Launches every planned point in order, with a progress line per point; keeps those done in
/// the state's study (a point cut short by a stop signal is left out).
SweepState run_sweep(const SweepRequest& req, const SweepPlan& plan, const Workspace& ws) {
  SweepState state;
  const auto cpus = affinity_cpus();
  double cost_total = 0.0, cost_done = 0.0;
  for (const auto& p : plan.points) cost_total += point_cost(req.mode, p.layout.cores());
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < plan.points.size() && !state.interrupted; ++i) {
    StudyPoint point = run_point(req, ws, plan.points[i], cpus, state);
    if (state.interrupted) break;
    cost_done += point_cost(req.mode, point.cores());
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (point.runs.empty()) {
      std::cerr << program_name() + ": point " << i + 1 << "/" << plan.points.size()
                << " FAILED: " << layout_name(point) << "\n";
      continue;
    }
    print_point_progress(i, plan.points.size(), point, elapsed, cost_done / cost_total,
                         req.metric_is_rate);
    state.study.points.push_back(std::move(point));
  }
  return state;
}

/// What the study calls the way its runs were measured.
std::string measure_text(const SweepRequest& req) {
  switch (req.measure) {
    case Measure::metric:
      if (req.metric_is_rate) {
        return "the rate --metric '" + req.rules.metric->text + "' takes from the output (" +
               req.rules.metric_pick +
               " match; higher is better: the speedup is the rate over the baseline's, the "
               "CSV and JSON times are 1 / rate)";
      }
      return "the figure --metric '" + req.rules.metric->text + "' takes from the output (" +
             req.rules.metric_pick + " match, unit " + req.vm["metric-unit"].as<std::string>() +
             ")";
    case Measure::report:
      return "the time in each run's own hpar report (the engine's total phase, slowest rank; "
             "not the launch)";
    case Measure::wall:
      break;
  }
  return "the wall time of each launch, start-up included (--metric takes a figure the program "
         "prints instead)";
}

/// The --metric NAME=REGEX figures: name -> regular expression.
nlohmann::json figure_names(const SweepRequest& req) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& f : req.rules.figures) out[f.name] = f.pattern.text;
  return out;
}

/// The fields of the study document that are the sweep's.
nlohmann::json document_fields(const SweepRequest& req, const SweepPlan& plan,
                               const SweepState& state, const std::string& launcher_version,
                               std::span<const std::string> args, const Workspace& ws) {
  std::vector<std::string> command_line{"hpar", "sweep"};
  command_line.insert(command_line.end(), args.begin(), args.end());
  std::vector<std::string> oversubscribed;
  for (const auto& p : plan.points) {
    if (p.oversubscribed) oversubscribed.push_back(layout_text(p.layout));
  }
  const auto optional_text = [](const std::optional<SweepPattern>& p) {
    return p ? nlohmann::json(p->text) : nlohmann::json(nullptr);
  };
  const auto& build = build_info();
  return {{"command_line", command_line},
          {"program", req.program},
          {"launcher",
           {{"kind", launcher_name(req.launcher)},
            {"chosen", req.launcher.why},
            {"version", launcher_version}}},
          {"measure", measure_text(req)},
          {"metric", optional_text(req.rules.metric)},
          {"metric_kind", req.measure == Measure::metric
                              ? nlohmann::json(req.metric_is_rate ? "rate" : "time")
                              : nlohmann::json(nullptr)},
          {"figures", figure_names(req)},
          {"check", optional_text(req.rules.check)},
          {"same_output", optional_text(req.rules.same)},
          {"repeat", req.repeat},
          {"timeout_seconds",
           req.timeout > 0.0 ? nlohmann::json(req.timeout) : nlohmann::json(nullptr)},
          {"capacity",
           {{"nodes", plan.capacity.nodes},
            {"cores_per_node", plan.capacity.per_node},
            {"source", plan.capacity.source}}},
          {"skipped", plan.skipped},
          {"oversubscribed", oversubscribed},
          {"failed", state.failed},
          {"logs", ws.kept() ? nlohmann::json(ws.dir().string()) : nlohmann::json(nullptr)},
          {"environment", environment_with({"OMP_", "SLURM_"})},
          {"build", {{"version", build.version}, {"git_revision", build.git_revision}}}};
}

/// A number with 6 significant digits.
std::string figure_text(double value) {
  std::ostringstream o;
  o << std::setprecision(6) << value;
  return o.str();
}

/// The "figures" lines: a column per --metric NAME=REGEX, the median of each point's runs.
std::vector<std::string> figure_lines(const SweepRequest& req, const StudyRecord& study) {
  std::vector<std::string> lines;
  if (req.rules.figures.empty()) return lines;
  std::ostringstream head;
  head << "figures      " << std::left << std::setw(16) << "point" << std::right;
  for (const auto& f : req.rules.figures) head << " " << std::setw(14) << f.name;
  lines.push_back(head.str() + "   (median of the runs)");
  for (const auto& p : study.points) {
    std::ostringstream row;
    row << "             " << std::left << std::setw(16) << layout_name(p) << std::right;
    for (const auto& f : req.rules.figures) {
      const auto& values = p.extra.contains("figures") && p.extra["figures"].contains(f.name)
                               ? p.extra["figures"][f.name].get<std::vector<double>>()
                               : std::vector<double>{};
      row << " " << std::setw(14) << (values.empty() ? "-" : figure_text(median(values)));
    }
    lines.push_back(row.str());
  }
  return lines;
}

/// The table's wording.
TableWords table_words(const SweepRequest& req, const SweepPlan& plan, const SweepState& state,
                       const std::string& launcher_version) {
  TableWords words;
  words.title = "== hpar sweep: " + req.name + ", " + to_string(req.mode) + " scaling, " +
                std::to_string(req.repeat) + " run(s) per point ==";
  std::string program;
  for (const auto& w : req.program) program += (program.empty() ? "" : " ") + shell_quote(w);
  words.work = req.mode == ScalingMode::strong ? "the same command at every point: " + program
                                               : program + " ({...} filled in for each point)";
  words.not_compared = "not compared (--same-output REGEX compares a value between runs)";
  words.schedule_header = "launcher";
  words.rate = req.metric_is_rate;
  if (req.rules.same && !state.same_matched) {
    words.not_compared =
        "not compared: --same-output '" + req.rules.same->text + "' matched nothing in any run";
  }
  words.notes.push_back("launcher     " + launcher_name(req.launcher) + ", " + req.launcher.why +
                        (launcher_version.empty() ? "" : " [" + launcher_version + "]") +
                        "; every point's command line is in the JSON");
  words.notes.push_back("measured     " + measure_text(req));
  for (const auto& s : plan.skipped) words.notes.push_back("left out     " + s);
  for (const auto& p : plan.points) {
    if (p.oversubscribed) {
      words.notes.push_back(
          "oversub      " + layout_text(p.layout) +
          ": more cores than there are (--oversubscribe): its times mean nothing");
    }
  }
  for (const auto& f : state.failure_notes) words.notes.push_back("failed       " + f);
  for (auto& line : figure_lines(req, state.study)) words.notes.push_back(std::move(line));
  return words;
}

/// With --same-output that matched in no run, the runs' "(no match)" lines would agree and
/// claim identical results: they are dropped (nothing was compared) and the state says so.
void forget_unmatched_same_output(const SweepRequest& req, SweepState& state) {
  if (!req.rules.same) return;
  for (const auto& p : state.study.points) {
    for (const auto& run : p.runs) {
      for (const auto& line : run.result) {
        if (line != "same-output: (no match)") state.same_matched = true;
      }
    }
  }
  if (state.same_matched) return;
  for (auto& p : state.study.points) {
    for (auto& run : p.runs) run.result.clear();
  }
  std::cerr << program_name() + ": warning: --same-output '" << req.rules.same->text
            << "' matched nothing in any run: the results were not compared\n";
}

/// When every launch failed, the --json file still says what was tried and how each failed
/// (no points, no analysis).
void write_failed_study(const SweepRequest& req, const SweepPlan& plan, const SweepState& state,
                        const std::string& launcher_version, std::span<const std::string> args,
                        const Workspace& ws) {
  write_if_asked(req.vm, "json", [&] {
    nlohmann::json doc = document_fields(req, plan, state, launcher_version, args, ws);
    doc["schema"] = study_schema;
    doc["job"] = req.name;
    doc["mode"] = to_string(req.mode);
    doc["complete"] = true;
    doc["host"] = host_name_here();
    doc["results_identical"] = nullptr;
    doc["points"] = nlohmann::json::array();
    doc["analysis"] = nullptr;
    return doc.dump(2) + "\n";
  });
}

/// The names of the planned points ("RxT SCHEDULE"), in order.
std::vector<std::string> planned_names(const SweepPlan& plan) {
  std::vector<std::string> names;
  for (const auto& p : plan.points) {
    names.push_back(layout_name(p.layout.ranks, p.layout.threads, p.schedule));
  }
  return names;
}

/// The points a rerun would launch again (failed, left out by a stop, not trusted) and the
/// command that does it: the table's "rerun" line and the JSON's "rerun" (null when none).
void add_rerun_advice(const SweepRequest& req, const SweepPlan& plan, StudyRecord& study,
                      const ScalingAnalysis& analysis, TableWords& words) {
  study.extra["rerun"] = nullptr;
  const auto choices = rerun_choices(study_json(study, analysis), planned_names(plan));
  if (choices.empty()) return;
  std::string names;
  nlohmann::json points = nlohmann::json::array();
  for (const auto& c : choices) {
    names += (names.empty() ? "" : "; ") + c.layout + " (" + c.why + ")";
    points.push_back({{"layout", c.layout}, {"why", c.why}});
  }
  const std::string json = text_of(req.vm, "json");
  const std::string command = "hpar sweep --rerun " + shell_quote(json);
  study.extra["rerun"] = {
      {"command", json.empty() ? nlohmann::json(nullptr) : nlohmann::json(command)},
      {"points", points}};
  words.notes.push_back("rerun        " +
                        (json.empty()
                             ? "with --json FILE, hpar sweep --rerun FILE would launch again only "
                             : command + " launches again only ") +
                        names);
}

/// Prints the table and writes the files; returns the exit code: 4 when a signal stopped the
/// sweep, 3 when a run failed verification or the compared values differ, 1 when a launch
/// failed, else 0.
int report_sweep(const SweepRequest& req, const SweepPlan& plan, SweepState& state,
                 const std::string& launcher_version, std::span<const std::string> args,
                 const Workspace& ws) {
  auto& study = state.study;
  if (study.points.empty()) {
    if (state.interrupted) {
      std::cerr << program_name()
                << ": error: stopped by a signal before any point was done; nothing written\n";
      return static_cast<int>(ExitCode::interrupted);
    }
    write_failed_study(req, plan, state, launcher_version, args, ws);
    throw RuntimeError("every launch failed (" + state.failure_notes.front() + ")");
  }
  forget_unmatched_same_output(req, state);
  study.job = req.name;
  study.mode = req.mode;
  study.host = host_name_here();
  study.complete = !state.interrupted;
  study.result_tolerance = req.same_tolerance;
  // The stop that ended the sweep has been honoured: the points done are written (marked
  // incomplete); a further signal during the writing stops that too.
  if (state.interrupted) clear_stop_request();
  const ScalingAnalysis analysis = analyze_study(study);
  study.extra = document_fields(req, plan, state, launcher_version, args, ws);
  if (!state.reruns.is_null()) study.extra["reruns"] = state.reruns;
  TableWords words = table_words(req, plan, state, launcher_version);
  add_rerun_advice(req, plan, study, analysis, words);
  show_study(study, analysis, words, req.vm);
  if (state.interrupted) {
    std::cerr << program_name() + ": error: stopped early by a signal; the study is incomplete ("
              << study.points.size() << " of " << plan.points.size() << " points done)\n";
    return static_cast<int>(ExitCode::interrupted);
  }
  const StudyVerdict verdict = study_verdict(study);
  if (verdict.code != 0) std::cerr << program_name() + ": error: " << verdict.problem << "\n";
  if (!state.failure_notes.empty()) {
    std::cerr << program_name() + ": error: " << state.failure_notes.size()
              << " launch(es) failed: " << state.failure_notes.front()
              << (state.failure_notes.size() > 1 ? "; ..." : "") << "\n";
    if (verdict.code == 0) return static_cast<int>(ExitCode::runtime);
  }
  return verdict.code;
}

/// Gives this process back every CPU it was started with. With OMP_PROC_BIND or OMP_PLACES set
/// (as the batch scripts set them) the OpenMP runtime pins the main thread to its first place
/// at start-up; the launches would inherit that one core. The places cover the CPUs the
/// process was started with. Returns them.
std::vector<int> unpin_from_openmp_place() {
  const std::vector<int> cpus = rank_cpus();
  cpu_set_t set;
  CPU_ZERO(&set);
  for (const int cpu : cpus) {
    if (cpu >= 0 && cpu < CPU_SETSIZE) CPU_SET(cpu, &set);
  }
  if (!cpus.empty() && sched_setaffinity(0, sizeof set, &set) != 0) {
    std::cerr << program_name() + ": warning: cannot widen this process's CPU mask to "
              << cpu_ranges(cpus) << ": the launches inherit " << cpu_ranges(affinity_cpus())
              << "\n";
  }
  return affinity_cpus();
}

/// Warns when this process's standard input is a file or a pipe (`hpar sweep -- prog < input`)
/// that no launch will read: they read /dev/null unless --stdin FILE.
void warn_of_unread_stdin(const SweepRequest& req) {
  struct stat st {};
  if (!req.stdin_path.empty() || fstat(STDIN_FILENO, &st) != 0) return;
  if (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode)) {
    std::cerr << program_name() + ": warning: hpar's standard input is a "
              << (S_ISREG(st.st_mode) ? "file" : "pipe")
              << " that the launches do not read (they read nothing): give it to each launch "
                 "with --stdin FILE\n";
  }
}

/// Refuses to run as an MPI process: the sweep is the launcher.
void refuse_under_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"}) {
    if (std::getenv(name) != nullptr) {
      throw UsageError(
          "'hpar sweep' launches the program itself, once per layout: run it "
          "directly, not under mpirun or srun (" +
          std::string(name) + " is set)");
    }
  }
}

/// Runs the planned points and reports; a --metric that never matches is bad input (exit 2).
int run_and_report(const SweepRequest& req, const SweepPlan& plan, const SweepPlan& to_run,
                   const Workspace& ws, const std::string& launcher_version,
                   std::span<const std::string> args,
                   const std::function<void(SweepState&)>& merge) {
  try {
    SweepState state = run_sweep(req, to_run, ws);
    if (merge) merge(state);
    return report_sweep(req, plan, state, launcher_version, args, ws);
  } catch (const MetricRefusal& refusal) {
    std::cout.flush();
    std::cerr << program_name() + ": error: " << one_line_message(refusal.message) << "\n";
    for (const auto& line : refusal.lines) std::cerr << "  | " << line << "\n";
    return static_cast<int>(ExitCode::usage);
  }
}

/// --rerun takes no program and, of the other options, only --repeat: the rest is the study's.
void check_rerun_options(const po::variables_map& vm, std::span<const std::string> args) {
  if (std::find(args.begin(), args.end(), "--") != args.end()) {
    throw UsageError(
        "--rerun launches the study's own program again: give no '-- PROGRAM' with it");
  }
  for (const auto& [name, value] : vm) {
    if (!value.defaulted() && name != "rerun" && name != "repeat") {
      throw UsageError("--rerun takes only --repeat K besides: --" + name +
                       " is the study's own (its command line), which a rerun keeps");
    }
  }
}

/// The cores the study's sweep planned its layouts for (so that the rerun plans the same),
/// else this host's.
SweepCapacity capacity_of(const nlohmann::json& doc, const po::variables_map& vm) {
  const auto& c = doc.value("capacity", nlohmann::json());
  if (!c.is_object() || !c.contains("nodes") || !c.contains("cores_per_node")) {
    return sweep_capacity(vm);
  }
  return {c["nodes"].get<int>(), c["cores_per_node"].get<int>(),
          c.value("source", std::string("the study"))};
}

/// Merges the rerun's points into the study `old`: each point rerun (done, or failed) replaces
/// the old one and says what it replaced; the others are kept as they were; the study's
/// failures at the points not rerun are kept; the rerun joins the study's "reruns".
void merge_rerun(const nlohmann::json& old, const std::string& path,
                 const std::vector<RerunChoice>& choices, int repeat, SweepState& state) {
  std::set<std::string> replaced;
  for (const auto& f : state.failed) replaced.insert(f.value("layout", std::string()));
  for (auto& p : state.study.points) {
    replaced.insert(layout_name(p));
    for (const auto& c : choices) {
      if (c.layout == layout_name(p)) p.extra["rerun"] = replaced_record(old, c);
    }
  }
  nlohmann::json failed = nlohmann::json::array();
  for (const auto& f : old.value("failed", nlohmann::json::array())) {
    if (replaced.count(f.value("layout", std::string())) == 0U) failed.push_back(f);
  }
  for (auto& f : state.failed) failed.push_back(std::move(f));
  state.failed = std::move(failed);
  for (auto& p : kept_points(old, replaced, path)) state.study.points.push_back(std::move(p));
  sort_points(state.study);
  state.reruns = old.value("reruns", nlohmann::json::array());
  nlohmann::json points = nlohmann::json::array();
  for (const auto& c : choices) {
    if (replaced.count(c.layout) != 0U) points.push_back({{"layout", c.layout}, {"why", c.why}});
  }
  state.reruns.push_back({{"points", points}, {"repeat", repeat}});
}

/// `hpar sweep --rerun STUDY.json [--repeat K]`: the study's own sweep, launched again at its
/// failed, missing and untrusted points only, merged into the study (written to STUDY.json).
int rerun_sweep(const po::variables_map& vm, std::span<const std::string> args) {
  check_rerun_options(vm, args);
  const std::string path = text_of(vm, "rerun");
  const nlohmann::json old = read_json_file(path, "study ");
  const std::vector<std::string> original = sweep_arguments_of(old, path);
  (void)kept_points(old, {}, path);  // every point's fields, checked before anything runs
  SweepRequest req = parse_sweep(original);
  if (!vm["repeat"].defaulted()) req.repeat = static_cast<int>(count_option(vm, "repeat", 1, 1000));
  req.vm.erase("json");
  req.vm.emplace("json", po::variable_value(boost::any(path), false));
  const SweepPlan plan = plan_sweep(req, capacity_of(old, req.vm));
  const auto choices = rerun_choices(old, planned_names(plan));
  if (choices.empty()) {
    std::cerr << program_name() + ": note: nothing to rerun in " << path
              << ": every point ran, no launch failed and every point's times are trusted\n";
    return 0;
  }
  SweepPlan to_run = plan;
  to_run.points.clear();
  std::string names;
  for (const auto& p : plan.points) {
    const std::string name = layout_name(p.layout.ranks, p.layout.threads, p.schedule);
    for (const auto& c : choices) {
      if (c.layout != name) continue;
      to_run.points.push_back(p);
      names += (names.empty() ? "" : "; ") + name + " (" + c.why + ")";
    }
  }
  std::cerr << program_name() + ": rerun of " << to_run.points.size() << " of "
            << plan.points.size() << " point(s) of " << path << ", " << req.repeat
            << " run(s) each: " << names << "\n";
  const Workspace ws(text_of(req.vm, "logs"));
  const std::string launcher_version = check_launcher(req.launcher, ws.dir());
  return run_and_report(req, plan, to_run, ws, launcher_version, original, [&](SweepState& state) {
    merge_rerun(old, path, choices, req.repeat, state);
  });
}

}  // namespace

int sweep_main(std::span<const std::string> args) {
  refuse_under_mpi();
  (void)unpin_from_openmp_place();
  const SweepRequest req = parse_sweep(args);
  if (req.vm.count("help") != 0U) {
    std::cout << in_program_words(sweep_help());
    return 0;
  }
  if (req.vm.count("rerun") != 0U) return rerun_sweep(req.vm, args);
  warn_of_unread_stdin(req);
  const Workspace ws(text_of(req.vm, "logs"));
  const std::string launcher_version = check_launcher(req.launcher, ws.dir());
  const SweepPlan plan = plan_sweep(req, sweep_capacity(req.vm));
  for (const auto& s : plan.skipped) {
    std::cerr << program_name() + ": note: left out " << s
              << (req.vm["oversubscribe"].as<bool>() ? "" : " (--oversubscribe runs it anyway)")
              << "\n";
  }
  std::cerr << program_name() + ": sweep of " << req.name << ": " << plan.points.size()
            << " layout(s) x " << req.repeat << " run(s), launcher " << launcher_name(req.launcher)
            << " (" << req.launcher.why << "); the first launch:\n  "
            << command_line_text(
                   environment_for(plan.points.front().layout),
                   launch_command(req.launcher, plan.points.front().layout,
                                  plan.points.front().oversubscribed,
                                  program_for(req, ws, plan.points.front().layout, 1)))
            << "\n";
  return run_and_report(req, plan, plan, ws, launcher_version, args, {});
}

SweepCheck check_sweep(std::span<const std::string> args, int nodes, int cores_per_node) {
  const auto dashes =
      static_cast<std::size_t>(std::find(args.begin(), args.end(), "--") - args.begin());
  // Each option the script sets, and the variable that sets it there.
  const std::pair<const char*, const char*> owned[] = {
      {"--launcher", "with HPAR_LAUNCHER"},   {"--json", "in HPAR_REPORT_DIR"},
      {"--csv", "in HPAR_REPORT_DIR"},        {"--plot", "in HPAR_REPORT_DIR, with gnuplot"},
      {"--logs", "with HPAR_SWEEP_LOGS=1|0"}, {"--help", ""}};
  for (const auto& arg : args.first(dashes)) {
    for (const auto& [own, variable] : owned) {
      if (arg == own || arg.starts_with(std::string(own) + "=")) {
        throw UsageError(std::string("leave out ") + own +
                         (*variable == '\0' ? std::string(": not an option of the script")
                                            : std::string(": the script sets it ") + variable));
      }
    }
  }
  const SweepRequest req = parse_sweep(args);
  const SweepPlan plan = plan_sweep(req, {nodes, cores_per_node, "the nodes asked for"});
  SweepCheck check;
  for (const auto& p : plan.points) check.layouts.push_back(layout_text(p.layout));
  check.left_out = plan.skipped;
  return check;
}

int sweep_command(const boost::mpi::communicator& /*world*/,
                  std::span<const std::string> /*args*/) {
  throw UsageError(
      "'hpar sweep' launches the program itself, once per layout: run it directly, "
      "not under mpirun or srun");
}

}  // namespace hpar
