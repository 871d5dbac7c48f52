// SPDX-License-Identifier: BSD-3-Clause
// The sweep's planning, launching and measuring (hpar/launch/sweep_run.hpp).
#include "hpar/launch/sweep_run.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <regex>
#include <set>

#include "hpar/core/errors.hpp"
#include "hpar/core/files.hpp"
#include "hpar/core/format.hpp"
#include "hpar/core/process.hpp"
#include "hpar/core/program.hpp"
#include "hpar/core/stop.hpp"
#include "hpar/launch/machine_watch.hpp"
#include "hpar/platform/affinity.hpp"
#include "hpar/report/report.hpp"

namespace fs = std::filesystem;

namespace hpar {

namespace {

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

}  // namespace

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

SweepCapacity sweep_capacity(std::optional<int> nodes, std::optional<int> cores_per_node) {
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
  if (nodes || cores_per_node) {
    if (nodes) capacity.nodes = *nodes;
    if (cores_per_node) capacity.per_node = *cores_per_node;
    capacity.source = "--nodes/--cores-per-node";
  }
  return capacity;
}

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

SweepPlan plan_sweep(const SweepRequest& req, const SweepCapacity& capacity) {
  SweepPlan plan;
  plan.capacity = capacity;
  const bool oversubscribe = req.oversubscribe;
  for (const auto& layout :
       sweep_layouts(req.ranks, req.threads, req.core_counts, plan.capacity.total())) {
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

namespace {

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

/// The folder that keeps failed launches' output when --logs does not keep every launch's:
/// logs/ beside the --json file, else hpar-sweep-logs/ here.
fs::path failed_logs_dir(const SweepRequest& req) {
  const std::string& json = req.json;
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
  const std::string& logs = req.logs;
  const std::string& json = req.json;
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

}  // namespace

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

std::vector<std::pair<std::string, std::string>> environment_for(const SweepLayout& layout) {
  return launch_environment(layout, std::getenv("OMP_PLACES") != nullptr,
                            std::getenv("OMP_PROC_BIND") != nullptr);
}

namespace {

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
                        watched, std::min(watched, point.layout.cores()), host_name(),
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

}  // namespace

SweepState run_sweep(const SweepRequest& req, const SweepPlan& plan, const Workspace& ws,
                     const PointProgress& progress) {
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
    if (progress) progress(i, plan.points.size(), point, elapsed, cost_done / cost_total);
    state.study.points.push_back(std::move(point));
  }
  return state;
}

}  // namespace hpar
