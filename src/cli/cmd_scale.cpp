// SPDX-License-Identifier: BSD-3-Clause
// `hpar scale JOB --mode strong|weak [--ranks R,...] [--threads T,...] [--repeat K]`: a scaling
// study in one launch. For each point (p ranks x t threads [x schedule]) the job runs on a
// sub-communicator of the first p ranks while the other ranks wait without spinning; K runs per
// point give a median and a spread. Then: the table (speedup, efficiency, Karp-Flatt), the
// fitted law, the fastest layout per core count, and optionally CSV, JSON, a plot and a trace.
//
// Reads like a table of contents: parse -> plan the points (and check their layouts) -> sweep
// -> report. The study itself (model, analysis, table, CSV, JSON, plot) is hpar::study's; this
// file keeps what is scale's own: planning the points and sweeping them on sub-communicators.

#include <mpi.h>

#include <algorithm>
#include <boost/any.hpp>
#include <boost/mpi/collectives.hpp>
#include <ctime>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "commands.hpp"
#include "hpar/cli/cli.hpp"
#include "hpar/cli/options.hpp"
#include "hpar/cli/steps.hpp"
#include "hpar/comm/gather.hpp"
#include "hpar/comm/steps.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/format.hpp"
#include "hpar/core/parse.hpp"
#include "hpar/core/program.hpp"
#include "hpar/launch/machine_watch.hpp"
#include "hpar/observe/progress.hpp"
#include "hpar/observe/trace.hpp"
#include "hpar/platform/cpu_load.hpp"
#include "hpar/report/report.hpp"
#include "hpar/study/study.hpp"
#include "standard_input.hpp"
#include "study_output.hpp"

namespace po = boost::program_options;

namespace hpar {
namespace {

po::options_description scale_options() {
  po::options_description d("Scaling study options");
  d.add_options()("mode", po::value<std::string>()->value_name("strong|weak"),
                  "strong: the same total work at every point; weak: the job's size option "
                  "multiplied by ranks x threads")(
      "ranks", po::value<std::string>()->value_name("R1,R2,..."),
      "ranks per point (default: 1, 2, 4, ... up to the ranks of this launch)")(
      "repeat", po::value<std::string>()->default_value("3")->value_name("K"),
      "runs per point; the table shows the median and the spread");
  add_study_file_options(d);
  d.add_options()("trace", po::value<std::string>()->value_name("FILE.json"),
                  "write a Chrome trace of the whole study (open in Perfetto or chrome://tracing)");
  return d;
}

std::string scale_help() {
  std::ostringstream o;
  o << "hpar scale JOB --mode strong|weak [options] [job options]: a scaling study in one "
       "launch\n\n"
       "Runs JOB at every point ranks x threads (x schedule) on a sub-communicator of the first\n"
       "ranks while the others wait without spinning, K times each, and reports cores, time\n"
       "(median), speedup, parallel efficiency and the Karp-Flatt serial fraction per point,\n"
       "the least-squares Amdahl (strong) or Gustafson (weak) serial fraction with R^2, and the\n"
       "fastest layout per core count. Launch with '--bind-to none' (or --map-by slot:PE=T) so\n"
       "that threads are not squeezed onto one core.\n\n"
    << scale_options() << "\n"
    << "Layout options (lists here):\n"
       "  --threads T1,T2,...   threads per rank (default: 1, 2, 4, ... up to the CPUs each\n"
       "                        rank may use); unless both --ranks and --threads are given,\n"
       "                        points with more threads than the CPUs of their ranks are\n"
       "                        skipped\n"
       "  --schedule KIND[,CHUNK]  OpenMP schedule; give it more than once to compare\n"
       "                        schedules (e.g. --schedule static --schedule dynamic)\n\n"
       "Run 'hpar help JOB' for the job's own options.\n";
  return o.str();
}

/// --threads and --schedule take lists in a study: they are taken out of the arguments before
/// the job's options are parsed.
struct SweepArgs {
  std::vector<std::string> rest;
  std::vector<std::string> threads;
  std::vector<std::string> schedules;
};

SweepArgs take_sweep_options(std::span<const std::string> args) {
  SweepArgs out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::vector<std::string>* into = nullptr;
    std::string name;
    for (const char* option : {"--threads", "--schedule"}) {
      if (a == option || a.starts_with(std::string(option) + "=")) {
        into = std::string(option) == "--threads" ? &out.threads : &out.schedules;
        name = option;
      }
    }
    if (into == nullptr) {
      out.rest.push_back(a);
      continue;
    }
    if (a.size() > name.size()) {
      into->push_back(a.substr(name.size() + 1));
    } else if (i + 1 < args.size()) {
      into->push_back(args[++i]);
    } else {
      throw UsageError("the required argument for option " + quote_for_message(name) +
                       " is missing");
    }
  }
  return out;
}

/// The options with the job's size option multiplied by `factor` (weak scaling).
po::variables_map scaled_options(const po::variables_map& vm, const std::string& name,
                                 std::uint64_t factor) {
  po::variables_map out = vm;
  const auto it = out.find(name);
  if (it == out.end() || it->second.empty()) {
    throw UsageError("weak scaling needs --" + name + " (the job's size option)");
  }
  const auto* text = boost::any_cast<std::string>(&it->second.value());
  if (text == nullptr) throw RuntimeError("the size option --" + name + " is not a text option");
  const std::uint64_t base = parse_count(*text, "--" + name);
  if (base != 0 && factor > std::numeric_limits<std::uint64_t>::max() / base) {
    throw UsageError("--" + name + " " + *text + " x " + std::to_string(factor) +
                     " cores does not fit in 64 bits");
  }
  it->second = po::variable_value(boost::any(std::to_string(base * factor)), false);
  return out;
}

/// Waits until every rank of `comm` arrives, sleeping between polls instead of spinning, so
/// that waiting ranks leave their cores to the ranks that compute.
void sleeping_barrier(const boost::mpi::communicator& comm) {
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibarrier(MPI_Comm(comm), &request), "MPI_Ibarrier");
  long nap_ns = 50'000;
  for (;;) {
    int done = 0;
    check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (done != 0) return;
    const timespec nap{0, nap_ns};
    nanosleep(&nap, nullptr);
    nap_ns = std::min(nap_ns * 2, 2'000'000L);
  }
}

/// What the command line asks for.
struct ScaleRequest {
  ParsedRun parsed;
  ScalingMode mode = ScalingMode::strong;
  std::vector<int> ranks;  // empty: the default
  std::vector<int> threads;
  std::vector<Schedule> schedules;
  int repeat = 1;
};

ScaleRequest parse_scale(std::span<const std::string> args, int launch_ranks) {
  ScaleRequest req;
  const SweepArgs sweep = take_sweep_options(args);
  req.parsed = parse_job_command(sweep.rest, scale_options());
  const auto& vm = req.parsed.vm;
  if (req.parsed.help) return req;
  if (vm.count("mode") == 0U) throw UsageError("'hpar scale' needs --mode strong or --mode weak");
  req.mode = parse_scaling_mode(vm["mode"].as<std::string>());
  if (req.mode == ScalingMode::weak && req.parsed.job->size_option.empty()) {
    throw UsageError("job '" + std::string(req.parsed.job->name) +
                     "' has no size option, so it cannot be scaled weakly (use --mode strong)");
  }
  if (vm.count("ranks") != 0U) {
    req.ranks = count_list({vm["ranks"].as<std::string>()}, "--ranks", 1 << 20);
    if (req.ranks.back() > launch_ranks) {
      throw UsageError("--ranks " + std::to_string(req.ranks.back()) + " is more than the " +
                       std::to_string(launch_ranks) +
                       " rank(s) of this launch (start it with mpirun -np " +
                       std::to_string(req.ranks.back()) + ")");
    }
  }
  if (!sweep.threads.empty()) {
    req.threads = count_list(sweep.threads, "--threads", 4096);
  } else if (vm.count("threads") != 0U) {  // from --config
    req.threads = {req.parsed.run.threads};
  }
  for (const auto& s : sweep.schedules) req.schedules.push_back(Schedule::parse(s));
  if (req.schedules.empty()) req.schedules.push_back(req.parsed.run.schedule);
  req.repeat = static_cast<int>(count_option(vm, "repeat", 1, 1000));
  return req;
}

/// How to run one point: what its layout in the study does not say.
struct PointSetup {
  Schedule schedule;
  Distribution distribution = Distribution::block;
  po::variables_map options;          // the job's options (weak: the size grown with the cores)
  std::vector<std::string> warnings;  // the layout check of this point
};

/// The study as planned: its points, without runs yet, and how to run each.
struct ScalePlan {
  std::vector<RankPlacement> placements;  // every rank's, with one thread
  StudyRecord study;
  std::vector<PointSetup> setups;     // one per point
  std::vector<std::string> warnings;  // the distinct warnings of all points, naming the point
};

/// The layouts ranks x threads to run, by cores. Defaults are powers of two up to the launch's
/// ranks and the fewest CPUs a rank may use; unless both lists are given, layouts with more
/// threads than the CPUs their ranks may use are left out (named in `skipped`).
std::vector<std::pair<int, int>> plan_layouts(const ScaleRequest& req,
                                              const std::vector<RankPlacement>& placements,
                                              std::vector<std::string>& skipped) {
  int fewest_cpus = std::numeric_limits<int>::max();
  for (const auto& p : placements) {
    fewest_cpus = std::min(fewest_cpus, static_cast<int>(p.cpus.size()));
  }
  const bool both_given = !req.ranks.empty() && !req.threads.empty();
  const auto rank_list =
      req.ranks.empty() ? powers_of_two_up_to(static_cast<int>(placements.size())) : req.ranks;
  const auto thread_list =
      req.threads.empty() ? powers_of_two_up_to(std::max(1, fewest_cpus)) : req.threads;
  const auto cpus_of_first = [&](int p) {  // CPUs the first p ranks may use, all hosts
    std::map<std::string, std::set<int>> by_host;
    for (int r = 0; r < p; ++r) {
      by_host[placements[r].host].insert(placements[r].cpus.begin(), placements[r].cpus.end());
    }
    int n = 0;
    for (const auto& [h, cpus] : by_host) n += static_cast<int>(cpus.size());
    return n;
  };
  std::vector<std::pair<int, int>> layouts;
  for (const int p : rank_list) {
    for (const int t : thread_list) {
      if (!both_given && p * t > 1 && p * t > cpus_of_first(p)) {
        skipped.push_back(std::to_string(p) + "x" + std::to_string(t));
        continue;
      }
      layouts.emplace_back(p, t);
    }
  }
  std::stable_sort(layouts.begin(), layouts.end(), [](const auto& x, const auto& y) {
    return x.first * x.second < y.first * y.second;
  });
  return layouts;
}

/// The points, schedule by schedule, by cores; weak scaling grows the job's size option with
/// the cores of each point.
ScalePlan plan_points(const ScaleRequest& req, const std::vector<std::pair<int, int>>& layouts) {
  const JobInfo& job = *req.parsed.job;
  ScalePlan plan;
  plan.study.job = job.name;
  plan.study.mode = req.mode;
  for (const auto& schedule : req.schedules) {
    for (const auto& [p, t] : layouts) {
      StudyPoint point;
      point.ranks = p;
      point.threads = t;
      point.schedule = schedule.to_string();
      PointSetup setup;
      setup.schedule = schedule;
      setup.distribution = req.parsed.run.distribution;
      setup.options = req.parsed.vm;
      if (req.mode == ScalingMode::weak) {
        const auto factor = static_cast<std::uint64_t>(p) * static_cast<std::uint64_t>(t);
        point.extra["size_factor"] = factor;
        setup.options = scaled_options(req.parsed.vm, std::string(job.size_option), factor);
      }
      plan.study.points.push_back(std::move(point));
      plan.setups.push_back(std::move(setup));
    }
  }
  return plan;
}

/// The short layout check of every point (layout_warnings on the first p ranks with t threads):
/// each point's own list, and the distinct warnings of all, prefixed with the point.
void check_layouts(ScalePlan& plan, const std::vector<RankPlacement>& placements) {
  for (std::size_t i = 0; i < plan.study.points.size(); ++i) {
    const auto& point = plan.study.points[i];
    std::vector<RankPlacement> layout(placements.begin(), placements.begin() + point.ranks);
    for (auto& r : layout) r.threads = point.threads;
    plan.setups[i].warnings = layout_warnings(layout);
    for (const auto& w : plan.setups[i].warnings) {
      const std::string text =
          "point " + std::to_string(point.ranks) + "x" + std::to_string(point.threads) + ": " + w;
      if (std::find(plan.warnings.begin(), plan.warnings.end(), text) == plan.warnings.end()) {
        plan.warnings.push_back(text);
      }
    }
  }
}

/// Plans the study on every rank alike: the layouts, the points and their layout checks.
/// Rank 0 notes the layouts left out and warns of unsound ones.
ScalePlan plan_study(const boost::mpi::communicator& world, const ScaleRequest& req) {
  const auto placements = gather_placements(world, 1);
  std::vector<std::string> skipped;
  ScalePlan plan = plan_points(req, plan_layouts(req, placements, skipped));
  plan.placements = placements;
  if (world.rank() == 0 && !skipped.empty()) {
    std::set<std::string> distinct(skipped.begin(), skipped.end());
    std::cerr << program_name() + ": note: left out";
    for (const auto& s : distinct) std::cerr << " " << s;
    std::cerr << ": more threads than the CPUs their ranks may use (give both --ranks and "
                 "--threads to run them anyway)\n";
  }
  check_layouts(plan, placements);
  if (world.rank() == 0) {
    for (const auto& w : plan.warnings) std::cerr << program_name() + ": warning: " << w << "\n";
  }
  return plan;
}

/// The run as the study keeps it: its time, results, verdict and report.
StudyRun study_run(const RunRecord& record, const RunContext& context) {
  StudyRun run;
  run.seconds = record.total.max - record.verify.max;  // not the job's own check (verify)
  run.result = record.result.lines;
  run.report = make_report(record, context);
  run.verification = run.report["verification"]["status"].get<std::string>();
  run.verification_detail = record.result.verification.detail;
  return run;
}

/// The `repeat` runs of a point on its own communicator `sub`; its rank 0 (world's rank 0)
/// keeps them. Returns whether a stop signal cut them short.
bool run_repeats(const boost::mpi::communicator& sub, const JobInfo& job, const PointSetup& setup,
                 int repeat, const RunContext& context, TraceRecorder* trace, TraceRecorder& clock,
                 StudyPoint& point) {
  RunOptions options;
  options.threads = point.threads;
  options.schedule = setup.schedule;
  options.distribution = setup.distribution;
  options.observers.add(trace);
  for (int k = 0; k < repeat; ++k) {
    const double run_begin = clock.now_us();
    const RunRecord record = run_job(sub, job, setup.options, options);
    if (trace != nullptr) {
      trace->span(0, "run " + std::to_string(k + 1) + " of point " + layout_name(point), "point",
                  run_begin, clock.now_us());
    }
    if (!record.complete) return true;
    if (sub.rank() == 0) point.runs.push_back(study_run(record, context));
  }
  return false;
}

/// Every rank meets here after a point; the ranks that were not in it measure how little CPU
/// they used while they waited, and rank 0 puts the most of them in the point's JSON.
void meet_after_point(const boost::mpi::communicator& world, bool member, int repeat,
                      TraceRecorder* trace, TraceRecorder& clock, double point_begin,
                      StudyPoint& point) {
  const double wait_cpu = process_cpu_seconds();
  const double wait_wall = MPI_Wtime();
  const double wait_begin = clock.now_us();
  sleeping_barrier(world);
  double idle = -1.0;  // CPU per wall second while waiting; waits under 50 ms are too short
  if (!member) {       // to tell (start-up noise dominates them)
    const double wall = MPI_Wtime() - wait_wall;
    if (wall >= 0.05) idle = (process_cpu_seconds() - wait_cpu) / wall;
    if (trace != nullptr) {
      trace->span(0, "waiting: not in point " + layout_name(point), "wait", wait_begin,
                  clock.now_us());
    }
  } else if (trace != nullptr) {
    trace->span(0, "point " + layout_name(point), "point", point_begin, clock.now_us(),
                {{"runs", repeat}});
  }
  double most_idle = -1.0;
  boost::mpi::reduce(world, idle, most_idle, boost::mpi::maximum<double>(), 0);
  point.extra["idle_ranks_cpu_fraction"] =
      most_idle >= 0.0 ? nlohmann::json(most_idle) : nlohmann::json(nullptr);
}

/// Runs one point: the first `ranks` ranks run the job `repeat` times on their own
/// communicator; the others sleep in a barrier. Rank 0 (in every point) keeps the runs.
/// Returns whether a stop signal cut the point short. Throws the point's error on every rank.
bool run_point(const boost::mpi::communicator& world, const JobInfo& job, const PointSetup& setup,
               int repeat, const RunContext& context, TraceRecorder* trace, TraceRecorder& clock,
               StudyPoint& point) {
  const bool member = world.rank() < point.ranks;
  MPI_Comm raw = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split(MPI_Comm(world), member ? 0 : MPI_UNDEFINED, world.rank(), &raw),
            "MPI_Comm_split");
  int stopped = 0;
  std::exception_ptr failure;
  const double point_begin = clock.now_us();
  if (member) {
    const boost::mpi::communicator sub(raw, boost::mpi::comm_take_ownership);
    try {
      stopped = run_repeats(sub, job, setup, repeat, context, trace, clock, point) ? 1 : 0;
    } catch (...) {
      failure = std::current_exception();
    }
  }
  meet_after_point(world, member, repeat, trace, clock, point_begin, point);

  // Rank 0 is in every point and run_job agrees within the point: its outcome is the point's.
  auto [code, message] =
      world.rank() == 0 && failure ? describe(failure) : std::pair<int, std::string>{0, ""};
  boost::mpi::broadcast(world, code, 0);
  boost::mpi::broadcast(world, message, 0);
  if (code != 0) throw Error(static_cast<ExitCode>(code), message);
  boost::mpi::broadcast(world, stopped, 0);
  return stopped != 0;
}

/// How the sweep ended.
struct SweepResult {        // NOLINT(bugprone-exception-escape): nlohmann::json members
  std::size_t planned = 0;  // points planned
  bool interrupted = false;
  nlohmann::json trace_doc;  // the study's Chrome trace (rank 0, --trace)
};

/// Runs the planned points in order, one sub-communicator each, with a progress line per
/// finished point; keeps the points done (with their runs on rank 0) in the plan's study.
SweepResult sweep_points(const boost::mpi::communicator& world, const ScaleRequest& req,
                         ScalePlan& plan, const RunContext& context) {
  auto& points = plan.study.points;
  SweepResult result;
  result.planned = points.size();
  const bool tracing = req.parsed.vm.count("trace") != 0U;
  TraceRecorder trace;
  world.barrier();
  trace.start();
  const double sweep_start = MPI_Wtime();
  const auto cost = [&](const StudyPoint& p) { return point_cost(req.mode, p.cores()); };
  double cost_total = 0.0, cost_done = 0.0;
  for (const auto& p : points) cost_total += cost(p);
  std::size_t done = 0;
  for (; done < points.size(); ++done) {
    RunContext point_context = context;
    point_context.warnings = plan.setups[done].warnings;
    LaunchWatch watch(world, plan.placements);
    result.interrupted = run_point(world, *req.parsed.job, plan.setups[done], req.repeat,
                                   point_context, tracing ? &trace : nullptr, trace, points[done]);
    points[done].busy = watch.finish(points[done].ranks, points[done].threads,
                                     "the point's " + std::to_string(req.repeat) + " run(s)");
    if (result.interrupted) break;
    if (stop_requested_anywhere(world)) {  // a signal to a rank outside the point, say
      result.interrupted = true;
      ++done;  // this point finished
      break;
    }
    cost_done += cost(points[done]);
    if (world.rank() == 0) {
      print_point_progress(done, result.planned, points[done], MPI_Wtime() - sweep_start,
                           cost_done / cost_total);
    }
  }
  points.resize(done);
  plan.study.complete = !result.interrupted;
  if (tracing) result.trace_doc = gather_trace(world, trace, host_name());
  return result;
}

/// The "work" line: the work of the first point, and how it grows in a weak study.
std::string work_text(const ScaleRequest& req, const StudyRecord& study) {
  const auto& first = study.points.front();
  const auto& work = first.runs.front().report["work"];
  const std::string items = std::to_string(work["items"].get<std::uint64_t>()) + " " +
                            work["item_unit"].get<std::string>();
  if (req.mode == ScalingMode::strong) return items + ", the same at every point";
  const std::string size(req.parsed.job->size_option);
  const int cores = first.cores();
  return "--" + size + " " + req.parsed.vm[size].as<std::string>() + " x ranks x threads (" +
         items + " at " + std::to_string(cores) + (cores == 1 ? " core)" : " cores)");
}

/// The fields of the study document that are scale's: what ran it, how, and where.
nlohmann::json document_fields(const ScaleRequest& req, const ScalePlan& plan,
                               const RunContext& context, const std::string& work,
                               int launch_ranks) {
  nlohmann::json doc = {
      {"command_line", context.command_line},
      {"launch_ranks", launch_ranks},
      {"repeat", req.repeat},
      {"work", work},
      {"warnings", plan.warnings},
      {"mpi", {{"library", context.mpi_library}, {"thread_level", context.thread_level}}},
      {"build", plan.study.points.front().runs.front().report["build"]}};
  if (req.mode == ScalingMode::weak) doc["size_option"] = req.parsed.job->size_option;
  return doc;
}

/// The table's wording: the title, the work, and how little CPU the waiting ranks used.
TableWords table_words(const ScaleRequest& req, const StudyRecord& study, const std::string& work) {
  TableWords words;
  words.title = "== hpar scale: " + study.job + ", " + to_string(req.mode) + " scaling, " +
                std::to_string(req.repeat) + " run(s) per point ==";
  words.work = work;
  double idle_cpu = -1.0;
  for (const auto& p : study.points) {
    const auto& idle = p.extra["idle_ranks_cpu_fraction"];
    if (idle.is_number()) idle_cpu = std::max(idle_cpu, idle.get<double>());
  }
  if (idle_cpu >= 0.0) {
    words.notes.push_back("idle ranks   used at most " + format_fixed(100.0 * idle_cpu, 1) +
                          " % of a CPU while waiting for a point they were not in");
  }
  return words;
}

/// Rank 0: the table and the files (the study's, then the trace); returns the exit code: 4 when
/// a signal stopped the sweep, 3 when a point failed verification or the results differ.
int report_study(const ScaleRequest& req, ScalePlan& plan, const SweepResult& sweep,
                 const RunContext& context, int launch_ranks) {
  const int stopped = static_cast<int>(ExitCode::interrupted);
  auto& study = plan.study;
  if (study.points.empty()) return sweep.interrupted ? stopped : 0;
  study.host = host_name();
  const ScalingAnalysis analysis = analyze_study(study);
  const std::string work = work_text(req, study);
  study.extra = document_fields(req, plan, context, work, launch_ranks);
  show_study(study, analysis, table_words(req, study, work), req.parsed.vm);
  write_if_asked(req.parsed.vm, "trace", [&] { return sweep.trace_doc.dump() + "\n"; });
  if (sweep.interrupted || stop_requested()) return stopped;
  const StudyVerdict verdict = study_verdict(study);
  if (verdict.code != 0) std::cerr << program_name() + ": error: " << verdict.problem << "\n";
  return verdict.code;
}

}  // namespace

int scale_command(const boost::mpi::communicator& world, std::span<const std::string> args) {
  // Parse: every rank the same way, agreeing on errors.
  if (args.empty()) throw UsageError("missing job name (see 'hpar list' and 'hpar scale --help')");
  const bool help = args[0] == "--help" || args[0] == "-h";
  // "--input-file -": every point reads the one copy of standard input.
  const std::vector<std::string> words =
      help ? std::vector<std::string>() : share_standard_input(world, args);
  ScaleRequest req = help ? ScaleRequest{}
                          : on_every_rank(world, [&] { return parse_scale(words, world.size()); });
  if (help || req.parsed.help) {
    if (world.rank() == 0) std::cout << in_program_words(scale_help());
    return 0;
  }
  share_standard_input(world, req.parsed.vm);  // "input-file = -" in a --config file
  require_funneled();

  // Plan the points, sweep them, report the study.
  ScalePlan plan = plan_study(world, req);
  const RunContext context = run_context("scale", args);
  const SweepResult sweep = sweep_points(world, req, plan, context);
  // The stop that ended the sweep has been honoured: the points done are written (marked
  // incomplete); a further signal during the writing stops that too.
  if (sweep.interrupted) clear_stop_request();
  int code = on_root(world, [&] { return report_study(req, plan, sweep, context, world.size()); });
  if (stop_requested_anywhere(world)) code = static_cast<int>(ExitCode::interrupted);
  if (world.rank() == 0 && sweep.interrupted) {
    std::cerr << program_name() + ": error: stopped early by a signal; the study is incomplete ("
              << plan.study.points.size() << " of " << sweep.planned << " points done)\n";
  } else if (world.rank() == 0 && code == static_cast<int>(ExitCode::interrupted)) {
    std::cerr << program_name()
              << ": error: stopped by a signal after the last point: the study's files not "
                 "begun by then were not written\n";
  }
  return code;
}

}  // namespace hpar
