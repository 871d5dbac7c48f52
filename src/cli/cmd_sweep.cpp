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
#include "hpar/core/errors.hpp"
#include "hpar/core/files.hpp"
#include "hpar/core/format.hpp"
#include "hpar/core/parse.hpp"
#include "hpar/core/process.hpp"
#include "hpar/core/program.hpp"
#include "hpar/engine/signals.hpp"
#include "hpar/launch/sweep.hpp"
#include "hpar/launch/sweep_rerun.hpp"
#include "hpar/launch/sweep_run.hpp"
#include "hpar/platform/affinity.hpp"
#include "hpar/report/report.hpp"
#include "hpar/study/study.hpp"
#include "study_output.hpp"

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

/// The command line as the sweep took it: the request and the options' words (for the files
/// the study writes, the refusals that name an option).
struct SweepCommandLine : SweepRequest {
  po::variables_map vm;
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
void parse_metrics(SweepCommandLine& req) {
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
void parse_measure(SweepCommandLine& req) {
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

/// The layouts asked for: --ranks, --threads, and --core-counts or the counts of --cores N.
void parse_layouts(const po::variables_map& vm, SweepRequest& req) {
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
  req.ranks = list("ranks");
  req.threads = list("threads");
  req.core_counts = counts;
  req.oversubscribe = vm["oversubscribe"].as<bool>();
}

SweepCommandLine parse_sweep(std::span<const std::string> args) {
  const auto dashes =
      static_cast<std::size_t>(std::find(args.begin(), args.end(), "--") - args.begin());
  SweepCommandLine req;
  req.vm = parse_options(args.first(dashes), sweep_options()).vm;
  if (req.vm.count("help") != 0U || req.vm.count("rerun") != 0U) return req;
  req.program = program_of(args, dashes);
  req.name = fs::path(req.program[0]).filename().string();
  req.mode = parse_scaling_mode(req.vm["mode"].as<std::string>());
  req.repeat = static_cast<int>(count_option(req.vm, "repeat", 1, 1000));
  req.launcher = parse_launcher_options(req.vm);
  parse_layouts(req.vm, req);
  req.logs = text_of(req.vm, "logs");
  req.json = text_of(req.vm, "json");
  req.metric_unit = req.vm["metric-unit"].as<std::string>();
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

/// The cores the layouts may use: --nodes and --cores-per-node where given, else the Slurm
/// allocation's, else this host's.
SweepCapacity cli_capacity(const po::variables_map& vm) {
  std::optional<int> nodes, per_node;
  if (vm.count("nodes") != 0U) nodes = static_cast<int>(count_option(vm, "nodes", 1, 100000));
  if (vm.count("cores-per-node") != 0U) {
    per_node = static_cast<int>(count_option(vm, "cores-per-node", 1, 1 << 20));
  }
  return sweep_capacity(nodes, per_node);
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
             req.rules.metric_pick + " match, unit " + req.metric_unit + ")";
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
  for (const auto& w : req.program) append_word(program, shell_quote(w));
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
void write_failed_study(const SweepCommandLine& req, const SweepPlan& plan, const SweepState& state,
                        const std::string& launcher_version, std::span<const std::string> args,
                        const Workspace& ws) {
  write_if_asked(req.vm, "json", [&] {
    nlohmann::json doc = document_fields(req, plan, state, launcher_version, args, ws);
    doc["schema"] = study_schema;
    doc["job"] = req.name;
    doc["mode"] = to_string(req.mode);
    doc["complete"] = true;
    doc["host"] = host_name();
    doc["results_identical"] = nullptr;
    doc["points"] = nlohmann::json::array();
    doc["analysis"] = nullptr;
    return doc.dump(2) + "\n";
  });
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
  const std::string& json = req.json;
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
int report_sweep(const SweepCommandLine& req, const SweepPlan& plan, SweepState& state,
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
  study.host = host_name();
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
int run_and_report(const SweepCommandLine& req, const SweepPlan& plan, const SweepPlan& to_run,
                   const Workspace& ws, const std::string& launcher_version,
                   std::span<const std::string> args,
                   const std::function<void(SweepState&)>& merge) {
  try {
    SweepState state =
        run_sweep(req, to_run, ws,
                  [&](std::size_t i, std::size_t n, const StudyPoint& point, double elapsed,
                      double fraction_done) {
                    print_point_progress(i, n, point, elapsed, fraction_done, req.metric_is_rate);
                  });
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

/// `hpar sweep --rerun STUDY.json [--repeat K]`: the study's own sweep, launched again at its
/// failed, missing and untrusted points only, merged into the study (written to STUDY.json).
int rerun_sweep(const po::variables_map& vm, std::span<const std::string> args) {
  check_rerun_options(vm, args);
  const std::string path = text_of(vm, "rerun");
  const nlohmann::json old = read_json_file(path, "study ");
  const std::vector<std::string> original = sweep_arguments_of(old, path);
  (void)kept_points(old, {}, path);  // every point's fields, checked before anything runs
  SweepCommandLine req = parse_sweep(original);
  if (!vm["repeat"].defaulted()) req.repeat = static_cast<int>(count_option(vm, "repeat", 1, 1000));
  req.vm.erase("json");
  req.vm.emplace("json", po::variable_value(boost::any(path), false));
  req.json = path;
  const SweepPlan plan = plan_sweep(req, capacity_of(old, cli_capacity(req.vm)));
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
  const SweepCommandLine req = parse_sweep(args);
  if (req.vm.count("help") != 0U) {
    std::cout << in_program_words(sweep_help());
    return 0;
  }
  if (req.vm.count("rerun") != 0U) return rerun_sweep(req.vm, args);
  warn_of_unread_stdin(req);
  const Workspace ws(text_of(req.vm, "logs"));
  const std::string launcher_version = check_launcher(req.launcher, ws.dir());
  const SweepPlan plan = plan_sweep(req, cli_capacity(req.vm));
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
  const SweepCommandLine req = parse_sweep(args);
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
