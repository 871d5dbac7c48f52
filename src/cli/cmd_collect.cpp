// `hpar collect PATH... [--mode strong|weak] [--json FILE] [--csv FILE] [--plot FILE.png]`:
// merges the JSON reports of separate runs (hpar run --report-json, e.g. one Slurm array task
// per layout, slurm/scaling-array.sbatch) into one scaling study: the table of `hpar scale`
// (speedup, efficiency, Karp-Flatt, fitted law, fastest layout per core count), its JSON
// (schema hpar-study/1, which `hpar plot` reads) and a plot. Reads like a table of contents:
// read the reports -> check they belong together -> group them into points -> analyse ->
// print and write.

#include <algorithm>
#include <boost/mpi/collectives/broadcast.hpp>
#include <boost/program_options.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "commands.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/engine/engine.hpp"
#include "hpar/report/report.hpp"
#include "hpar/study/plot.hpp"
#include "hpar/study/scaling.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace hpar {
namespace {

po::options_description collect_options() {
  po::options_description d("Collect options");
  d.add_options()("mode", po::value<std::string>()->default_value("strong")->value_name("M"),
                  "strong: every report did the same work; weak: work proportional to ranks x "
                  "threads")("json", po::value<std::string>()->value_name("FILE"),
                             "also write the study as JSON (schema hpar-study/1, for hpar plot)")(
      "csv", po::value<std::string>()->value_name("FILE"), "also write the table as CSV")(
      "plot", po::value<std::string>()->value_name("FILE.png"),
      "draw speedup and efficiency against cores with gnuplot")("help", "show this help");
  return d;
}

std::string collect_help() {
  std::ostringstream o;
  o << "hpar collect PATH... [options]: merge the JSON reports of separate runs into a study\n\n"
       "Reads every report (schema hpar-report/1, from 'hpar run --report-json') in the given\n"
       "files and directories (their *.json files), e.g. the reports of a Slurm array with one\n"
       "layout per task (slurm/scaling-array.sbatch). Reports of the same layout are the\n"
       "repetitions of one point (median and spread of their times: total minus output, as\n"
       "'hpar scale' measures). Prints the study table of 'hpar scale'. Files of another schema\n"
       "are refused; incomplete reports (stopped by a signal) are left out with a warning.\n\n"
    << collect_options();
  return o.str();
}

/// One report as the study needs it.
struct RunReport {
  std::string source;
  std::string job;
  int ranks = 1;
  int threads = 1;
  std::string schedule;
  std::uint64_t items = 0;
  std::string item_unit;
  double seconds = 0.0;
  std::string verification;
  std::string verification_detail;
  nlohmann::json results;  ///< result lines and metrics: what must agree between runs
  std::string host;        ///< the hosts of the run, joined
  nlohmann::json document;
};

/// The *.json files named by `paths` (a directory stands for its own *.json files, sorted).
std::vector<std::string> report_files(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& path : paths) {
    std::error_code error;
    if (fs::is_directory(path, error)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::directory_iterator(path, error)) {
        if (entry.is_regular_file() && entry.path().extension() == ".json") {
          found.push_back(entry.path().string());
        }
      }
      if (error) throw UsageError("cannot read directory '" + path + "': " + error.message());
      if (found.empty()) throw UsageError("no *.json reports in '" + path + "'");
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(path, error)) {
      files.push_back(path);
    } else {
      throw UsageError("no such file or directory: '" + path + "'");
    }
  }
  return files;
}

/// Reads one report; nothing (with a warning) when it is incomplete. Throws UsageError when
/// the file is not an hpar-report/1 document.
std::optional<RunReport> read_report(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw UsageError("cannot read '" + path + "'");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(file);
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(path + " is not JSON: " + e.what());
  }
  const std::string schema = doc.is_object() ? doc.value("schema", std::string()) : "";
  if (schema != report_schema) {
    throw UsageError(path + " is not an " + std::string(report_schema) + " report (schema '" +
                     schema + "'); hpar collect reads the reports of 'hpar run --report-json'" +
                     (schema == study_schema ? " ('hpar plot' reads studies)" : ""));
  }
  try {
    if (!doc.at("complete").get<bool>()) {
      std::cerr << "hpar: warning: leaving out " << path
                << ": incomplete (the run was stopped by a signal)\n";
      return std::nullopt;
    }
    RunReport r;
    r.source = path;
    r.job = doc.at("job").get<std::string>();
    const auto& layout = doc.at("layout");
    r.ranks = layout.at("ranks").get<int>();
    r.threads = layout.at("threads_per_rank").get<int>();
    r.schedule = layout.at("schedule").get<std::string>();
    r.items = doc.at("work").at("items").get<std::uint64_t>();
    r.item_unit = doc.at("work").at("item_unit").get<std::string>();
    const auto& phases = doc.at("phases");
    const double output = phases.contains("output") ? phases["output"].at("max").get<double>() : 0;
    r.seconds = phases.at("total").at("max").get<double>() - output;
    r.verification = doc.at("verification").at("status").get<std::string>();
    r.verification_detail = doc.at("verification").at("detail").get<std::string>();
    r.results = {{"result", doc.at("result")}, {"metrics", doc.at("metrics")}};
    for (const auto& h : layout.at("hosts")) {
      r.host += (r.host.empty() ? "" : ",") + h.at("host").get<std::string>();
    }
    if (r.ranks < 1 || r.threads < 1 || !(r.seconds > 0.0)) {
      throw UsageError(path + ": bad ranks, threads or times");
    }
    r.document = std::move(doc);
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(path + ": not a valid report: " + e.what());
  }
}

/// Refuses reports that do not make one study: other jobs, or work that does not match the mode.
void check_together(const std::vector<RunReport>& runs, ScalingMode mode) {
  const auto& first = runs.front();
  for (const auto& r : runs) {
    if (r.job != first.job) {
      throw UsageError("the reports are of different jobs: '" + first.job + "' (" + first.source +
                       ") and '" + r.job + "' (" + r.source + ")");
    }
    const auto cores = static_cast<std::uint64_t>(r.ranks) * static_cast<std::uint64_t>(r.threads);
    const auto first_cores =
        static_cast<std::uint64_t>(first.ranks) * static_cast<std::uint64_t>(first.threads);
    if (mode == ScalingMode::strong && r.items != first.items) {
      throw UsageError("a strong-scaling study needs the same work in every report: " +
                       std::to_string(first.items) + " " + first.item_unit + " in " + first.source +
                       ", " + std::to_string(r.items) + " in " + r.source +
                       " (work that grows with the cores: --mode weak)");
    }
    if (mode == ScalingMode::weak && r.items * first_cores != first.items * cores) {
      throw UsageError("a weak-scaling study needs work proportional to ranks x threads: " +
                       std::to_string(first.items) + " " + first.item_unit + " on " +
                       std::to_string(first_cores) + " cores in " + first.source + ", " +
                       std::to_string(r.items) + " on " + std::to_string(cores) + " in " +
                       r.source);
    }
  }
}

std::string fixed(double v, int digits) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(digits) << v;
  return o.str();
}

std::string layout_name(const ScalingPoint& p) {
  return std::to_string(p.ranks) + "x" + std::to_string(p.threads) + " " + p.schedule;
}

/// Everything collected, grouped into points.
struct Collected {
  std::vector<ScalingPoint> points;
  std::vector<std::vector<const RunReport*>> runs;  ///< per point, in file order
  std::vector<std::string> verification;            ///< per point: FAIL if any run failed
  bool identical = true;  ///< strong: every run; weak: the runs of each point
};

Collected group_points(const std::vector<RunReport>& reports, ScalingMode mode) {
  std::map<std::tuple<int, int, int, std::string>, std::vector<const RunReport*>> by_layout;
  for (const auto& r : reports) {
    by_layout[{r.ranks * r.threads, r.ranks, r.threads, r.schedule}].push_back(&r);
  }
  Collected c;
  for (const auto& [key, runs] : by_layout) {
    ScalingPoint p;
    p.ranks = std::get<1>(key);
    p.threads = std::get<2>(key);
    p.schedule = std::get<3>(key);
    std::string verdict = runs.front()->verification;
    for (const auto* r : runs) {
      p.seconds.push_back(r->seconds);
      if (r->verification == "FAIL") verdict = "FAIL";
      const auto& reference = mode == ScalingMode::strong ? reports.front() : *runs.front();
      if (r->results != reference.results) c.identical = false;
    }
    c.points.push_back(std::move(p));
    c.runs.push_back(runs);
    c.verification.push_back(verdict);
  }
  return c;
}

void print_table(std::ostream& out, const std::string& job, ScalingMode mode, const Collected& c,
                 const ScalingAnalysis& a, std::size_t files) {
  const bool strong = mode == ScalingMode::strong;
  out << "== hpar collect: " << job << ", " << to_string(mode) << " scaling, " << files
      << " report(s) ==\n";
  out << "cores  ranks  threads  schedule     runs   time (s)   spread  "
      << (strong ? "speedup" : " scaled") << "  efficiency  Karp-Flatt  verification\n";
  for (std::size_t i = 0; i < c.points.size(); ++i) {
    const auto& p = c.points[i];
    const auto& pa = a.points[i];
    out << std::setw(5) << p.cores() << std::setw(7) << p.ranks << std::setw(9) << p.threads << "  "
        << std::left << std::setw(12) << p.schedule << std::right << std::setw(5)
        << p.seconds.size() << std::setw(11) << fixed(pa.median, 6) << std::setw(7)
        << fixed(100.0 * pa.spread, 1) << " %" << std::setw(9) << fixed(pa.speedup, 2)
        << std::setw(10) << fixed(100.0 * pa.efficiency, 1) << " %" << std::setw(12)
        << (pa.karp_flatt ? fixed(*pa.karp_flatt, 4) : std::string("-")) << "  "
        << c.verification[i] << "\n";
  }
  const auto& base = c.points[a.baseline];
  out << "baseline     " << layout_name(base) << " (" << base.cores() << " core"
      << (base.cores() == 1 ? "" : "s") << "): speedups are relative to it\n";
  for (const auto& f : a.fits) {
    out << "fit          " << (strong ? "Amdahl" : "Gustafson") << " (" << f.schedule
        << "): serial fraction " << fixed(f.serial_fraction, 4) << ", R^2 "
        << (f.r_squared ? fixed(*f.r_squared, 4) : std::string("n/a (2 points fit exactly)"))
        << " over " << f.points << " points at " << f.core_counts << " core counts\n";
  }
  if (a.fits.empty()) out << "fit          none: it needs points at two core counts or more\n";
  bool first = true;
  for (const auto& r : a.ranking) {
    out << (first ? "fastest      " : "             ") << r.cores << " core"
        << (r.cores == 1 ? "" : "s") << ": " << layout_name(c.points[r.points.front()]) << " "
        << fixed(a.points[r.points.front()].median, 3) << " s\n";
    first = false;
  }
  out << "results      "
      << (c.identical ? (strong ? "identical in every report"
                                : "identical across the runs of "
                                  "each point")
                      : "DIFFER between reports")
      << "\n";
}

std::string csv_text(const Collected& c, const ScalingAnalysis& a) {
  std::ostringstream o;
  o << std::setprecision(9);
  o << "schedule,ranks,threads,cores,runs,median_s,min_s,max_s,spread,speedup,efficiency,"
       "karp_flatt,verification\n";
  for (std::size_t i = 0; i < c.points.size(); ++i) {
    const auto& p = c.points[i];
    const auto& pa = a.points[i];
    o << p.schedule << ',' << p.ranks << ',' << p.threads << ',' << p.cores() << ','
      << p.seconds.size() << ',' << pa.median << ',' << pa.min << ',' << pa.max << ',' << pa.spread
      << ',' << pa.speedup << ',' << pa.efficiency << ',';
    if (pa.karp_flatt) o << *pa.karp_flatt;
    o << ',' << c.verification[i] << '\n';
  }
  return o.str();
}

nlohmann::json study_json(const std::string& job, ScalingMode mode, const Collected& c,
                          const ScalingAnalysis& a, const std::vector<std::string>& files) {
  nlohmann::json doc;
  doc["schema"] = study_schema;
  doc["job"] = job;
  doc["mode"] = to_string(mode);
  doc["complete"] = true;
  doc["collected_from"] = files;
  doc["host"] = c.runs.back().front()->host;
  doc["results_identical"] = c.identical;
  nlohmann::json points = nlohmann::json::array();
  for (std::size_t i = 0; i < c.points.size(); ++i) {
    const auto& p = c.points[i];
    const auto& pa = a.points[i];
    // The report of the run closest to the median time.
    std::size_t median_run = 0;
    for (std::size_t k = 1; k < p.seconds.size(); ++k) {
      if (std::abs(p.seconds[k] - pa.median) < std::abs(p.seconds[median_run] - pa.median)) {
        median_run = k;
      }
    }
    points.push_back(
        {{"ranks", p.ranks},
         {"threads", p.threads},
         {"schedule", p.schedule},
         {"cores", p.cores()},
         {"seconds", p.seconds},
         {"median", pa.median},
         {"spread", pa.spread},
         {"speedup", pa.speedup},
         {"efficiency", pa.efficiency},
         {"karp_flatt", pa.karp_flatt ? nlohmann::json(*pa.karp_flatt) : nlohmann::json(nullptr)},
         {"verification", c.verification[i]},
         {"result", c.runs[i][median_run]->document["result"]},
         {"report", c.runs[i][median_run]->document}});
  }
  doc["points"] = points;
  doc["analysis"] = analysis_json(c.points, a);
  return doc;
}

/// Rank 0's whole work; returns the exit code.
int collect(const std::vector<std::string>& paths, const po::variables_map& vm) {
  const ScalingMode mode = parse_scaling_mode(vm["mode"].as<std::string>());
  const auto files = report_files(paths);
  std::vector<RunReport> reports;
  for (const auto& f : files) {
    if (auto r = read_report(f)) reports.push_back(std::move(*r));
  }
  if (reports.empty()) throw UsageError("no complete report to collect");
  check_together(reports, mode);
  const Collected c = group_points(reports, mode);
  ScalingAnalysis analysis;
  try {
    analysis = analyze_scaling(mode, c.points);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("cannot analyse the reports: ") + e.what());
  }

  const std::string& job = reports.front().job;
  print_table(std::cout, job, mode, c, analysis, reports.size());
  std::cout.flush();
  const auto doc = study_json(job, mode, c, analysis, files);
  if (vm.count("csv") != 0U)
    write_file_atomically(vm["csv"].as<std::string>(), csv_text(c, analysis));
  if (vm.count("json") != 0U) {
    write_file_atomically(vm["json"].as<std::string>(), doc.dump(2) + "\n");
  }
  if (vm.count("plot") != 0U) {
    plot_study(study_from_json(doc, "the study"), vm["plot"].as<std::string>());
  }
  std::vector<std::string> failed;
  for (std::size_t i = 0; i < c.points.size(); ++i) {
    if (c.verification[i] == "FAIL") failed.push_back(layout_name(c.points[i]));
  }
  if (!failed.empty()) {
    std::string list;
    for (const auto& f : failed) list += (list.empty() ? "" : ", ") + f;
    std::cerr << "hpar: error: verification failed at " << failed.size() << " point(s): " << list
              << "\n";
    return static_cast<int>(ExitCode::verification);
  }
  if (!c.identical) {
    std::cerr << "hpar: error: the job's results differ between the reports\n";
    return static_cast<int>(ExitCode::verification);
  }
  return 0;
}

}  // namespace

int collect_command(const boost::mpi::communicator& world, std::span<const std::string> args) {
  po::variables_map vm;
  std::vector<std::string> paths;
  std::exception_ptr failure;
  try {
    const auto options = collect_options();  // the parsed options point into it
    po::options_description all;
    all.add(options).add_options()("path", po::value<std::vector<std::string>>());
    po::positional_options_description positional;
    positional.add("path", -1);
    const std::vector<std::string> list(args.begin(), args.end());
    po::store(po::command_line_parser(list).options(all).positional(positional).run(), vm);
    po::notify(vm);
    if (vm.count("path") != 0U) paths = vm["path"].as<std::vector<std::string>>();
    if (paths.empty() && vm.count("help") == 0U) {
      throw UsageError("name the reports: hpar collect DIR|FILE... (see 'hpar collect --help')");
    }
    [[maybe_unused]] const auto mode = parse_scaling_mode(vm["mode"].as<std::string>());
  } catch (const po::error& e) {
    failure = std::make_exception_ptr(UsageError(e.what()));
  } catch (...) {
    failure = std::current_exception();
  }
  agree(world, failure);
  if (vm.count("help") != 0U) {
    if (world.rank() == 0) std::cout << collect_help();
    return 0;
  }
  int code = 0;
  if (world.rank() == 0) {
    try {
      code = collect(paths, vm);
    } catch (...) {
      failure = std::current_exception();
    }
  }
  agree(world, failure);
  boost::mpi::broadcast(world, code, 0);
  return code;
}

}  // namespace hpar
