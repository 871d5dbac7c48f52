// `hpar scale JOB --mode strong|weak [--ranks R,...] [--threads T,...] [--repeat K]`: a scaling
// study in one launch. For each point (p ranks x t threads [x schedule]) the job runs on a
// sub-communicator of the first p ranks while the other ranks wait without spinning; K runs per
// point give a median and a spread. Then: the table (speedup, efficiency, Karp-Flatt), the
// fitted law, the fastest layout per core count, and optionally CSV, JSON, a plot and a trace.
//
// Reads like a table of contents: parse -> plan the points -> check the layouts -> sweep ->
// analyse -> report.

#include <mpi.h>

#include <algorithm>
#include <boost/any.hpp>
#include <boost/mpi/collectives.hpp>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "commands.hpp"
#include "hpar/cli/cli.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/parse.hpp"
#include "hpar/engine/gather.hpp"
#include "hpar/observe/progress.hpp"
#include "hpar/observe/trace.hpp"
#include "hpar/report/report.hpp"
#include "hpar/study/plot.hpp"
#include "hpar/study/scaling.hpp"

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
      "runs per point; the table shows the median and the spread")(
      "csv", po::value<std::string>()->value_name("FILE"), "also write the table as CSV")(
      "json", po::value<std::string>()->value_name("FILE"),
      "also write the study as JSON (schema hpar-study/1, with every point's report)")(
      "plot", po::value<std::string>()->value_name("FILE.png"),
      "draw speedup and efficiency against cores with gnuplot")(
      "trace", po::value<std::string>()->value_name("FILE.json"),
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
      throw UsageError("the required argument for option '" + name + "' is missing");
    }
  }
  return out;
}

/// A positive count list "1,2,4" as ascending distinct values in [1, most].
std::vector<int> parse_list(const std::vector<std::string>& texts, const std::string& option,
                            int most) {
  std::set<int> values;
  for (const auto& text : texts) {
    for (const auto field : split(text, ',')) {
      const auto v = parse_count(field, option);
      if (v < 1 || v > static_cast<std::uint64_t>(most)) {
        throw UsageError("bad value '" + std::string(field) + "' for " + option +
                         ": expected 1 to " + std::to_string(most));
      }
      values.insert(static_cast<int>(v));
    }
  }
  return {values.begin(), values.end()};
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

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

/// One point of the sweep and what rank 0 learned of it.
struct PointRun {
  ScalingPoint point;
  Schedule schedule;
  Distribution distribution = Distribution::block;
  std::uint64_t size_factor = 1;          // weak: cores; strong: 1
  std::vector<nlohmann::json> reports;    // rank 0: one per run
  std::vector<std::string> result_lines;  // rank 0: of the first run
  bool results_repeat = true;             // every run printed the same result lines
  std::string verification = "none";
  std::string verification_detail;
  double idle_cpu_fraction = -1.0;  // most CPU a waiting rank used per wall second (-1: none
                                    // waited, or for less than 50 ms)
};

std::string layout_name(const ScalingPoint& p) {
  return std::to_string(p.ranks) + "x" + std::to_string(p.threads) + " " + p.schedule;
}

std::string fixed(double v, int digits) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(digits) << v;
  return o.str();
}

/// Index of the run closest to the median time.
std::size_t median_run(const std::vector<double>& seconds) {
  const double m = median(seconds);
  std::size_t best = 0;
  for (std::size_t i = 1; i < seconds.size(); ++i) {
    if (std::abs(seconds[i] - m) < std::abs(seconds[best] - m)) best = i;
  }
  return best;
}

void print_table(std::ostream& out, const std::string& job, ScalingMode mode, int repeat,
                 const std::string& work, const std::vector<PointRun>& runs,
                 const ScalingAnalysis& a, bool results_identical, double idle_cpu) {
  const bool strong = mode == ScalingMode::strong;
  out << "== hpar scale: " << job << ", " << to_string(mode) << " scaling, " << repeat
      << " run(s) per point ==\n";
  out << "work         " << work << "\n";
  out << "cores  ranks  threads  schedule       time (s)   spread  "
      << (strong ? "speedup" : " scaled") << "  efficiency  Karp-Flatt  verification\n";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& p = runs[i].point;
    const auto& pa = a.points[i];
    out << std::setw(5) << p.cores() << std::setw(7) << p.ranks << std::setw(9) << p.threads << "  "
        << std::left << std::setw(12) << p.schedule << std::right << std::setw(11)
        << fixed(pa.median, 6) << std::setw(7) << fixed(100.0 * pa.spread, 1) << " %"
        << std::setw(9) << fixed(pa.speedup, 2) << std::setw(10) << fixed(100.0 * pa.efficiency, 1)
        << " %" << std::setw(12) << (pa.karp_flatt ? fixed(*pa.karp_flatt, 4) : std::string("-"))
        << "  " << runs[i].verification << "\n";
  }
  const auto& base = runs[a.baseline].point;
  out << "baseline     " << layout_name(base) << " (" << base.cores() << " core"
      << (base.cores() == 1 ? "" : "s") << "): speedups are relative to it\n";
  for (const auto& f : a.fits) {
    out << "fit          " << (strong ? "Amdahl" : "Gustafson") << " (" << f.schedule
        << "): serial fraction " << fixed(f.serial_fraction, 4) << " ("
        << fixed(100.0 * f.serial_fraction, 2) << " %), R^2 "
        << (f.r_squared ? fixed(*f.r_squared, 4) : std::string("n/a (2 points fit exactly)"))
        << " over " << f.points << " points at " << f.core_counts << " core counts";
    if (strong && f.serial_fraction > 0.0) {
      out << "; speedup limit " << fixed(1.0 / f.serial_fraction, 1) << "x";
    }
    out << "\n";
  }
  if (a.fits.empty()) {
    out << "fit          none: it needs points at two core counts or more, with times that a "
        << (strong ? "positive Amdahl law" : "Gustafson law") << " can explain\n";
  }
  bool first = true;
  for (const auto& r : a.ranking) {
    const auto& best = runs[r.points.front()].point;
    out << (first ? "fastest      " : "             ") << r.cores << " core"
        << (r.cores == 1 ? "" : "s") << ": " << layout_name(best) << " "
        << fixed(a.points[r.points.front()].median, 3) << " s";
    for (std::size_t k = 1; k < r.points.size(); ++k) {
      const double slower = a.points[r.points[k]].median / a.points[r.points.front()].median - 1.0;
      out << (k == 1 ? "; then " : ", ") << layout_name(runs[r.points[k]].point) << " +"
          << fixed(100.0 * slower, 1) << " %";
    }
    out << "\n";
    first = false;
  }
  out << "results      "
      << (results_identical ? (strong ? "identical at every point and run"
                                      : "identical across the runs of each point")
                            : "DIFFER between runs or points")
      << "\n";
  if (idle_cpu >= 0.0) {
    out << "idle ranks   used at most " << fixed(100.0 * idle_cpu, 1)
        << " % of a CPU while waiting for a point they were not in\n";
  }
}

std::string csv_text(const std::vector<PointRun>& runs, const ScalingAnalysis& a) {
  std::ostringstream o;
  o << std::setprecision(9);
  o << "schedule,ranks,threads,cores,runs,median_s,min_s,max_s,spread,speedup,efficiency,"
       "karp_flatt,verification\n";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& p = runs[i].point;
    const auto& pa = a.points[i];
    o << p.schedule << ',' << p.ranks << ',' << p.threads << ',' << p.cores() << ','
      << p.seconds.size() << ',' << pa.median << ',' << pa.min << ',' << pa.max << ',' << pa.spread
      << ',' << pa.speedup << ',' << pa.efficiency << ',';
    if (pa.karp_flatt) o << *pa.karp_flatt;
    o << ',' << runs[i].verification << '\n';
  }
  return o.str();
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
    req.ranks = parse_list({vm["ranks"].as<std::string>()}, "--ranks", 1 << 20);
    if (req.ranks.back() > launch_ranks) {
      throw UsageError("--ranks " + std::to_string(req.ranks.back()) + " is more than the " +
                       std::to_string(launch_ranks) +
                       " rank(s) of this launch (start it with mpirun -np " +
                       std::to_string(req.ranks.back()) + ")");
    }
  }
  if (!sweep.threads.empty()) {
    req.threads = parse_list(sweep.threads, "--threads", 4096);
  } else if (vm.count("threads") != 0U) {  // from --config
    req.threads = {req.parsed.run.threads};
  }
  for (const auto& s : sweep.schedules) req.schedules.push_back(Schedule::parse(s));
  if (req.schedules.empty()) req.schedules.push_back(req.parsed.run.schedule);
  const auto k = parse_count(vm["repeat"].as<std::string>(), "--repeat");
  if (k < 1 || k > 1000) throw UsageError("--repeat must be between 1 and 1000");
  req.repeat = static_cast<int>(k);
  return req;
}

/// The points, schedule by schedule, by cores. Defaults are powers of two up to the launch's
/// ranks and the fewest CPUs a rank may use; unless both lists are given, points with more
/// threads than the CPUs their ranks may use are left out.
std::vector<PointRun> plan_points(const ScaleRequest& req,
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
  std::vector<PointRun> runs;
  for (const auto& schedule : req.schedules) {
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
    for (const auto& [p, t] : layouts) {
      PointRun run;
      run.point.ranks = p;
      run.point.threads = t;
      run.point.schedule = schedule.to_string();
      run.schedule = schedule;
      run.distribution = req.parsed.run.distribution;
      run.size_factor = req.mode == ScalingMode::weak ? static_cast<std::uint64_t>(p * t) : 1;
      runs.push_back(std::move(run));
    }
  }
  return runs;
}

/// The short layout check of every point (layout_warnings on the first p ranks with t threads);
/// returns the distinct warnings, prefixed with the point, and fills each point's own list.
std::vector<std::string> check_layouts(const std::vector<PointRun>& runs,
                                       const std::vector<RankPlacement>& placements,
                                       std::vector<std::vector<std::string>>& per_point) {
  std::vector<std::string> warnings;
  per_point.assign(runs.size(), {});
  for (std::size_t i = 0; i < runs.size(); ++i) {
    std::vector<RankPlacement> layout(placements.begin(), placements.begin() + runs[i].point.ranks);
    for (auto& r : layout) r.threads = runs[i].point.threads;
    per_point[i] = layout_warnings(layout);
    for (const auto& w : per_point[i]) {
      const std::string text = "point " + std::to_string(runs[i].point.ranks) + "x" +
                               std::to_string(runs[i].point.threads) + ": " + w;
      if (std::find(warnings.begin(), warnings.end(), text) == warnings.end()) {
        warnings.push_back(text);
      }
    }
  }
  return warnings;
}

/// Runs one point: the first `ranks` ranks run the job `repeat` times on their own
/// communicator; the others sleep in a barrier. Rank 0 (in every point) keeps the reports.
/// Returns whether a stop signal cut the point short. Throws the point's error on every rank.
bool run_point(const boost::mpi::communicator& world, const JobInfo& job,
               const po::variables_map& vm, int repeat, const RunContext& context,
               TraceRecorder* trace, TraceRecorder& clock, PointRun& run) {
  const bool member = world.rank() < run.point.ranks;
  MPI_Comm raw = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split(MPI_Comm(world), member ? 0 : MPI_UNDEFINED, world.rank(), &raw),
            "MPI_Comm_split");
  int stopped = 0;
  std::exception_ptr failure;
  const double point_begin = clock.now_us();
  if (member) {
    const boost::mpi::communicator sub(raw, boost::mpi::comm_take_ownership);
    try {
      RunOptions options;
      options.threads = run.point.threads;
      options.schedule = run.schedule;
      options.distribution = run.distribution;
      options.trace = trace;
      for (int k = 0; k < repeat && stopped == 0; ++k) {
        const double run_begin = clock.now_us();
        const RunRecord record = run_job(sub, job, vm, options);
        if (trace != nullptr) {
          trace->span(0, "run " + std::to_string(k + 1) + " of point " + layout_name(run.point),
                      "point", run_begin, clock.now_us());
        }
        if (!record.complete) {
          stopped = 1;
          break;
        }
        run.point.seconds.push_back(record.total.max);
        if (world.rank() != 0) continue;
        run.reports.push_back(make_report(record, context));
        if (k == 0) {
          run.result_lines = record.result.lines;
        } else if (record.result.lines != run.result_lines) {
          run.results_repeat = false;
        }
        const auto status = record.result.verification.status;
        const std::string verdict = status == Verification::Status::pass   ? "PASS"
                                    : status == Verification::Status::fail ? "FAIL"
                                                                           : "none";
        if (k == 0 || verdict == "FAIL") {
          run.verification = verdict;
          run.verification_detail = record.result.verification.detail;
        }
      }
    } catch (...) {
      failure = std::current_exception();
    }
  }

  // Everyone meets here; the ranks that were not in the point measure how little CPU they used.
  const double wait_cpu = process_cpu_seconds();
  const double wait_wall = MPI_Wtime();
  const double wait_begin = clock.now_us();
  sleeping_barrier(world);
  double idle = -1.0;  // CPU per wall second while waiting; waits under 50 ms are too short
  if (!member) {       // to tell (start-up noise dominates them)
    const double wall = MPI_Wtime() - wait_wall;
    if (wall >= 0.05) idle = (process_cpu_seconds() - wait_cpu) / wall;
    if (trace != nullptr) {
      trace->span(0, "waiting: not in point " + layout_name(run.point), "wait", wait_begin,
                  clock.now_us());
    }
  } else if (trace != nullptr) {
    trace->span(0, "point " + layout_name(run.point), "point", point_begin, clock.now_us(),
                {{"runs", repeat}});
  }
  boost::mpi::reduce(world, idle, run.idle_cpu_fraction, boost::mpi::maximum<double>(), 0);

  // Rank 0 is in every point and run_job agrees within the point: its outcome is the point's.
  auto [code, message] =
      world.rank() == 0 && failure ? describe(failure) : std::pair<int, std::string>{0, ""};
  boost::mpi::broadcast(world, code, 0);
  boost::mpi::broadcast(world, message, 0);
  if (code != 0) throw Error(static_cast<ExitCode>(code), message);
  boost::mpi::broadcast(world, stopped, 0);
  return stopped != 0;
}

/// Rank 0: "hpar: point i/n done: ..., elapsed, about ... left" on stderr.
void print_progress(std::size_t i, std::size_t n, const PointRun& run, double elapsed,
                    double fraction_done) {
  std::cerr << "hpar: point " << i + 1 << "/" << n << " done: " << run.point.ranks
            << (run.point.ranks == 1 ? " rank x " : " ranks x ") << run.point.threads
            << (run.point.threads == 1 ? " thread" : " threads") << " (" << run.point.schedule
            << "), median " << fixed(median(run.point.seconds), 3) << " s of "
            << run.point.seconds.size() << ", " << run.verification << "; "
            << human_duration(elapsed) << " elapsed";
  if (i + 1 < n && fraction_done > 0.0) {
    std::cerr << ", about " << human_duration(elapsed * (1.0 - fraction_done) / fraction_done)
              << " left";
  }
  std::cerr << std::endl;
}

/// The study document: what ran, every point (with its median run's report) and the analysis.
nlohmann::json study_json(const ScaleRequest& req, const std::vector<PointRun>& runs,
                          const ScalingAnalysis& analysis, const RunContext& context,
                          const std::string& work, const std::vector<std::string>& warnings,
                          bool identical, bool complete, int launch_ranks,
                          const std::string& host) {
  nlohmann::json doc;
  doc["schema"] = study_schema;
  doc["job"] = req.parsed.job->name;
  doc["mode"] = to_string(req.mode);
  doc["complete"] = complete;
  doc["command_line"] = context.command_line;
  doc["launch_ranks"] = launch_ranks;
  doc["repeat"] = req.repeat;
  doc["host"] = host;
  doc["work"] = work;
  if (req.mode == ScalingMode::weak) doc["size_option"] = req.parsed.job->size_option;
  doc["warnings"] = warnings;
  doc["results_identical"] = identical;
  doc["mpi"] = {{"library", context.mpi_library}, {"thread_level", context.thread_level}};
  nlohmann::json point_list = nlohmann::json::array();
  std::vector<ScalingPoint> points;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    const auto& pa = analysis.points[i];
    points.push_back(r.point);
    nlohmann::json p = {
        {"ranks", r.point.ranks},
        {"threads", r.point.threads},
        {"schedule", r.point.schedule},
        {"cores", r.point.cores()},
        {"seconds", r.point.seconds},
        {"median", pa.median},
        {"spread", pa.spread},
        {"speedup", pa.speedup},
        {"efficiency", pa.efficiency},
        {"karp_flatt", pa.karp_flatt ? nlohmann::json(*pa.karp_flatt) : nlohmann::json(nullptr)},
        {"verification", r.verification},
        {"result", r.result_lines},
        {"report", r.reports[median_run(r.point.seconds)]}};
    p["idle_ranks_cpu_fraction"] =
        r.idle_cpu_fraction >= 0.0 ? nlohmann::json(r.idle_cpu_fraction) : nullptr;
    if (req.mode == ScalingMode::weak) p["size_factor"] = r.size_factor;
    point_list.push_back(p);
  }
  doc["points"] = point_list;
  doc["analysis"] = analysis_json(points, analysis);
  doc["build"] = runs.front().reports.front()["build"];
  return doc;
}

}  // namespace

int scale_command(const boost::mpi::communicator& world, std::span<const std::string> args) {
  // Parse: every rank the same way, agreeing on errors.
  if (args.empty()) throw UsageError("missing job name (see 'hpar list' and 'hpar scale --help')");
  if (args[0] == "--help" || args[0] == "-h") {
    if (world.rank() == 0) std::cout << scale_help();
    return 0;
  }
  ScaleRequest req;
  std::exception_ptr failure;
  try {
    req = parse_scale(args, world.size());
  } catch (...) {
    failure = std::current_exception();
  }
  agree(world, failure);
  if (req.parsed.help) {
    if (world.rank() == 0) std::cout << scale_help();
    return 0;
  }
  if (thread_level_name() == "single") {
    throw RuntimeError("MPI provides only MPI_THREAD_SINGLE; hpar needs MPI_THREAD_FUNNELED");
  }
  const auto& vm = req.parsed.vm;
  const JobInfo& job = *req.parsed.job;

  // Plan the points, with each point's options (weak scaling grows the size option).
  const auto placements = gather_placements(world, 1);
  std::vector<std::string> skipped;
  std::vector<PointRun> runs = plan_points(req, placements, skipped);
  if (world.rank() == 0 && !skipped.empty()) {
    std::set<std::string> distinct(skipped.begin(), skipped.end());
    std::cerr << "hpar: note: left out";
    for (const auto& s : distinct) std::cerr << " " << s;
    std::cerr << ": more threads than the CPUs their ranks may use (give both --ranks and "
                 "--threads to run them anyway)\n";
  }
  std::vector<po::variables_map> point_options;
  for (const auto& run : runs) {
    point_options.push_back(req.mode == ScalingMode::weak
                                ? scaled_options(vm, std::string(job.size_option), run.size_factor)
                                : vm);
  }

  // Check the layouts (warnings only).
  std::vector<std::vector<std::string>> point_warnings;
  const auto warnings = check_layouts(runs, placements, point_warnings);
  if (world.rank() == 0) {
    for (const auto& w : warnings) std::cerr << "hpar: warning: " << w << "\n";
  }
  RunContext context;
  context.command_line = {"hpar", "scale"};
  context.command_line.insert(context.command_line.end(), args.begin(), args.end());
  context.mpi_library = mpi_library_version();
  context.thread_level = thread_level_name();

  // Sweep: one sub-communicator per point, a progress line per finished point.
  const bool tracing = vm.count("trace") != 0U;
  TraceRecorder trace;
  world.barrier();
  trace.start();
  const double sweep_start = MPI_Wtime();
  const auto cost = [&](const PointRun& r) {  // expected time, for the estimate of time left
    return req.mode == ScalingMode::strong ? 1.0 / r.point.cores() : 1.0;
  };
  double cost_total = 0.0, cost_done = 0.0;
  for (const auto& r : runs) cost_total += cost(r);
  const std::size_t planned = runs.size();
  std::size_t done = 0;
  bool interrupted = false;
  for (; done < runs.size(); ++done) {
    RunContext point_context = context;
    point_context.warnings = point_warnings[done];
    interrupted = run_point(world, job, point_options[done], req.repeat, point_context,
                            tracing ? &trace : nullptr, trace, runs[done]);
    if (interrupted) break;
    cost_done += cost(runs[done]);
    if (world.rank() == 0) {
      print_progress(done, planned, runs[done], MPI_Wtime() - sweep_start, cost_done / cost_total);
    }
  }
  runs.resize(done);

  // Report: the trace (collective), then on rank 0 the table and the files.
  const std::string host = host_name();
  nlohmann::json trace_doc;
  if (tracing) trace_doc = gather_trace(world, trace, host);
  int code = static_cast<int>(interrupted ? ExitCode::interrupted : ExitCode::ok);
  std::string problem;
  if (world.rank() == 0 && !runs.empty()) {
    try {
      std::vector<ScalingPoint> points;
      for (const auto& r : runs) points.push_back(r.point);
      const ScalingAnalysis analysis = analyze_scaling(req.mode, points);
      bool identical = true;  // strong: every run of every point; weak: the runs of a point
      std::vector<std::string> failed;
      double idle_cpu = -1.0;
      for (const auto& r : runs) {
        if (!r.results_repeat) identical = false;
        if (req.mode == ScalingMode::strong && r.result_lines != runs.front().result_lines) {
          identical = false;
        }
        if (r.verification == "FAIL") {
          failed.push_back(layout_name(r.point) + " (" + r.verification_detail + ")");
        }
        idle_cpu = std::max(idle_cpu, r.idle_cpu_fraction);
      }
      const auto& first_work = runs.front().reports.front()["work"];
      const std::string first_items = std::to_string(first_work["items"].get<std::uint64_t>()) +
                                      " " + first_work["item_unit"].get<std::string>();
      std::string work;
      if (req.mode == ScalingMode::strong) {
        work = first_items + ", the same at every point";
      } else {
        const std::string size(job.size_option);
        const int cores = runs.front().point.cores();
        work = "--" + size + " " + vm[size].as<std::string>() + " x ranks x threads (" +
               first_items + " at " + std::to_string(cores) + (cores == 1 ? " core)" : " cores)");
      }
      print_table(std::cout, std::string(job.name), req.mode, req.repeat, work, runs, analysis,
                  identical, idle_cpu);
      std::cout.flush();
      const auto doc = study_json(req, runs, analysis, context, work, warnings, identical,
                                  !interrupted, world.size(), host);
      if (vm.count("csv") != 0U) {
        write_file_atomically(vm["csv"].as<std::string>(), csv_text(runs, analysis));
      }
      if (vm.count("json") != 0U) {
        write_file_atomically(vm["json"].as<std::string>(), doc.dump(2) + "\n");
      }
      if (vm.count("plot") != 0U) {
        plot_study(study_from_json(doc, "the study"), vm["plot"].as<std::string>());
      }
      if (tracing) write_file_atomically(vm["trace"].as<std::string>(), trace_doc.dump() + "\n");
      if (code == 0 && !failed.empty()) {
        code = static_cast<int>(ExitCode::verification);
        problem = "verification failed at " + std::to_string(failed.size()) + " point(s): ";
        for (std::size_t k = 0; k < failed.size(); ++k) problem += (k ? "; " : "") + failed[k];
      } else if (code == 0 && !identical) {
        code = static_cast<int>(ExitCode::verification);
        problem = "the job's results differ between runs or layouts (see the study's points)";
      }
    } catch (...) {
      failure = std::current_exception();
    }
  }
  agree(world, failure);
  boost::mpi::broadcast(world, code, 0);
  if (world.rank() == 0 && !problem.empty()) std::cerr << "hpar: error: " << problem << "\n";
  if (world.rank() == 0 && interrupted) {
    std::cerr << "hpar: error: stopped early by a signal; the study is incomplete (" << done
              << " of " << planned << " points done)\n";
  }
  return code;
}

}  // namespace hpar
