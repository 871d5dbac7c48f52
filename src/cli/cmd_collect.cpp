// SPDX-License-Identifier: BSD-3-Clause
// `hpar collect PATH... [--mode strong|weak] [--json FILE] [--csv FILE] [--plot FILE.png]`:
// merges the JSON reports of separate runs (hpar run --report-json, e.g. one Slurm array task
// per layout, slurm/scaling-array.sbatch) into one scaling study: the table of `hpar scale`
// (speedup, efficiency, Karp-Flatt, fitted law, fastest layout per core count), its JSON
// (schema hpar-study/1, which `hpar plot` reads) and a plot. Reads like a table of contents:
// read the reports -> check they belong together -> group them into points -> analyse ->
// print and write.

#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "commands.hpp"
#include "hpar/cli/options.hpp"
#include "hpar/cli/steps.hpp"
#include "hpar/comm/steps.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/files.hpp"
#include "hpar/core/program.hpp"
#include "hpar/report/report.hpp"
#include "hpar/study/study.hpp"
#include "study_output.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace hpar {
namespace {

po::options_description collect_options() {
  po::options_description d("Collect options");
  d.add_options()("mode", po::value<std::string>()->default_value("strong")->value_name("M"),
                  "strong: every report did the same work; weak: work proportional to ranks x "
                  "threads");
  add_study_file_options(d);
  d.add_options()("help", "show this help");
  return d;
}

std::string collect_help() {
  std::ostringstream o;
  o << "hpar collect PATH... [options]: merge the JSON reports of separate runs into a study\n\n"
       "Reads every report (schema hpar-report/1, from 'hpar run --report-json') in the given\n"
       "files and directories (their *.json files), e.g. the reports of a Slurm array with one\n"
       "layout per task (slurm/scaling-array.sbatch). Reports of the same layout are the\n"
       "repetitions of one point (median and spread of their times: total minus output, as\n"
       "'hpar scale' measures). Studies (hpar-study/1: 'hpar scale', 'hpar sweep', 'hpar\n"
       "collect --json') add the runs of their points. Prints the study table of 'hpar scale'.\n"
       "Files of another schema are refused; incomplete reports (stopped by a signal) are left\n"
       "out with a warning.\n\n"
    << collect_options();
  return o.str();
}

/// One report as the study needs it: where it came from, what it ran, and the run itself.
struct RunReport {
  std::string source;
  std::string job;
  std::string host;
  int ranks = 1;
  int threads = 1;
  std::string schedule;
  std::uint64_t items = 0;  ///< 0: not known (a run of a study of a program without a report)
  std::string item_unit;
  StudyRun run;
  std::vector<BusySample> busy;  ///< what the machine did meanwhile, from a study
};

/// The hosts of a report's run, joined by commas.
std::string hosts_of(const nlohmann::json& report) {
  std::string hosts;
  for (const auto& h : report.at("layout").at("hosts")) {
    hosts += (hosts.empty() ? "" : ",") + h.at("host").get<std::string>();
  }
  return hosts;
}

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
      if (error)
        throw UsageError("cannot read directory " + quote_for_message(path) + ": " +
                         error.message());
      if (found.empty()) throw UsageError("no *.json reports in " + quote_for_message(path));
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(path, error)) {
      files.push_back(path);
    } else {
      require_readable_file(path, "report");  // says why: missing, not a regular file ...
    }
  }
  return files;
}

/// The runs of a study document (hpar-study/1: `hpar scale`, `hpar sweep`, an earlier
/// collect), one per time of each point; the report of a point's median run goes with the run
/// of that time. Throws UsageError when it is not a valid study of `mode`.
std::vector<RunReport> read_study_runs(const nlohmann::json& doc, const std::string& path,
                                       ScalingMode mode) {
  (void)study_from_json(doc, path);  // the schema, layouts and times, checked
  try {
    if (parse_scaling_mode(doc.at("mode").get<std::string>()) != mode) {
      throw UsageError(path + " is a " + doc.at("mode").get<std::string>() +
                       " study: collect it with --mode " + doc.at("mode").get<std::string>());
    }
    if (!doc.value("complete", true)) {
      std::cerr << program_name() + ": warning: " << path
                << " is an incomplete study (stopped by a signal); "
                << "its points done are collected\n";
    }
    std::vector<RunReport> runs;
    for (const auto& p : doc.at("points")) {
      const auto& report = p.value("report", nlohmann::json());
      const auto times = p.at("seconds").get<std::vector<double>>();
      std::size_t closest = 0;  // the run the point's report is of: the one nearest the median
      for (std::size_t k = 1; k < times.size(); ++k) {
        if (std::abs(times[k] - median(times)) < std::abs(times[closest] - median(times))) {
          closest = k;
        }
      }
      for (std::size_t k = 0; k < times.size(); ++k) {
        const double seconds = times[k];
        RunReport r;
        r.source = path;
        r.job = doc.at("job").get<std::string>();
        r.host = doc.value("host", std::string());
        r.ranks = p.at("ranks").get<int>();
        r.threads = p.at("threads").get<int>();
        r.schedule = p.at("schedule").get<std::string>();
        if (report.is_object()) {
          r.items = report.at("work").at("items").get<std::uint64_t>();
          r.item_unit = report.at("work").at("item_unit").get<std::string>();
        }
        r.run.seconds = seconds;
        r.run.result = p.value("result", std::vector<std::string>{});
        r.run.verification = p.value("verification", std::string("none"));
        r.run.verification_detail = "as " + path + " says";
        if (k == closest) r.run.report = report;
        runs.push_back(std::move(r));
      }
      if (p.contains("busy") && !runs.empty()) {
        for (const auto& sample : p["busy"].value("samples", nlohmann::json::array())) {
          runs.back().busy.push_back(busy_sample_from_json(sample));
        }
      }
    }
    return runs;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(path + ": not a valid study: " + e.what());
  }
}

/// Reads one report, or the runs of a study; nothing (with a warning) for an incomplete
/// report. Throws UsageError when the file is neither an hpar-report/1 nor an hpar-study/1
/// document.
std::vector<RunReport> read_runs(const std::string& path, ScalingMode mode) {
  nlohmann::json doc = read_json_file(path);
  const std::string schema = doc.is_object() ? doc.value("schema", std::string()) : "";
  if (schema == study_schema) return read_study_runs(doc, path, mode);
  if (schema != report_schema) {
    throw UsageError(quote_for_message(path) + " is not an " + std::string(report_schema) +
                     " report (schema " + quote_for_message(schema) +
                     "); hpar collect reads the reports of 'hpar run --report-json' and the " +
                     "studies of 'hpar scale', 'hpar sweep' and 'hpar collect' (" + study_schema +
                     ")");
  }
  try {
    if (!doc.at("complete").get<bool>()) {
      std::cerr << program_name() + ": warning: leaving out " << path
                << ": incomplete (the run was stopped by a signal)\n";
      return {};
    }
    if (doc.contains("checkpoint") && doc["checkpoint"].is_object() &&
        doc["checkpoint"].value("resumed", false)) {
      std::cerr << program_name() + ": warning: leaving out " << path << ": a resumed run (attempt "
                << doc["checkpoint"].value("attempt", 0) + 1 << "; its time covers the "
                << doc["checkpoint"].value("computed_blocks", 0) << " blocks it computed, not "
                << "the whole job)\n";
      return {};
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
    r.host = hosts_of(doc);
    // The time `hpar scale` measures: the whole run but for writing the output.
    r.run = study_run_of_report(doc);
    if (r.ranks < 1 || r.threads < 1 || !(r.run.seconds > 0.0)) {
      throw UsageError(path + ": bad ranks, threads or times");
    }
    return {r};
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(path + ": not a valid report: " + e.what());
  }
}

/// Refuses reports that do not make one study: other jobs, or work that does not match the mode.
void check_together(const std::vector<RunReport>& runs, ScalingMode mode) {
  const auto& first = runs.front();
  for (const auto& r : runs) {
    if (r.job != first.job) {
      throw UsageError("the reports are of different jobs: " + quote_for_message(first.job) + " (" +
                       first.source + ") and " + quote_for_message(r.job) + " (" + r.source + ")");
    }
    const auto cores = static_cast<std::uint64_t>(r.ranks) * static_cast<std::uint64_t>(r.threads);
    const auto first_cores =
        static_cast<std::uint64_t>(first.ranks) * static_cast<std::uint64_t>(first.threads);
    if (r.items == 0 || first.items == 0) continue;  // a program's runs: work not known
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

/// The study of the reports: one point per layout (its reports in file order are its runs),
/// by cores.
StudyRecord collected_study(std::vector<RunReport>& reports, ScalingMode mode,
                            const std::vector<std::string>& files) {
  StudyRecord study;
  study.job = reports.front().job;
  study.mode = mode;
  study.extra["collected_from"] = files;
  for (auto& r : reports) {
    add_run(study, r.ranks, r.threads, r.schedule, std::move(r.run));
    auto& point = *std::find_if(study.points.begin(), study.points.end(), [&](const auto& p) {
      return p.ranks == r.ranks && p.threads == r.threads && p.schedule == r.schedule;
    });
    point.busy.insert(point.busy.end(), r.busy.begin(), r.busy.end());
    point.extra["host"] = r.host;
  }
  sort_points(study);
  study.host = study.points.back().extra["host"].get<std::string>();
  for (auto& p : study.points) p.extra.erase("host");
  return study;
}

/// Rank 0's whole work; returns the exit code.
int collect(const std::vector<std::string>& paths, const po::variables_map& vm) {
  const ScalingMode mode = parse_scaling_mode(vm["mode"].as<std::string>());
  const auto files = report_files(paths);
  std::vector<RunReport> reports;
  for (const auto& f : files) {
    for (auto& r : read_runs(f, mode)) reports.push_back(std::move(r));
  }
  if (reports.empty()) throw UsageError("no complete report to collect");
  check_together(reports, mode);
  const std::size_t count = reports.size();
  const StudyRecord study = collected_study(reports, mode, files);
  const ScalingAnalysis analysis = analyze_study(study);

  TableWords words;
  words.title = "== hpar collect: " + study.job + ", " + to_string(mode) + " scaling, " +
                std::to_string(count) + " report(s) ==";
  words.runs_column = true;
  words.identical = "identical in every report";
  words.differ = "DIFFER between reports";
  show_study(study, analysis, words, vm);
  if (stop_requested()) return static_cast<int>(ExitCode::interrupted);
  const StudyVerdict verdict = study_verdict(study);
  if (verdict.code != 0) std::cerr << program_name() + ": error: " << verdict.problem << "\n";
  return verdict.code;
}

}  // namespace

int collect_command(const boost::mpi::communicator& world, std::span<const std::string> args) {
  const ParsedOptions parsed = on_every_rank(world, [&] {
    ParsedOptions p = parse_options(args, collect_options(), {.words = true});
    if (p.words.empty() && p.vm.count("help") == 0U) {
      throw UsageError("name the reports: hpar collect DIR|FILE... (see 'hpar collect --help')");
    }
    [[maybe_unused]] const auto mode = parse_scaling_mode(p.vm["mode"].as<std::string>());
    return p;
  });
  if (parsed.vm.count("help") != 0U) {
    if (world.rank() == 0) std::cout << in_program_words(collect_help());
    return 0;
  }
  const int code = on_root(world, [&] { return collect(parsed.words, parsed.vm); });
  return stopped_after(world, code, "the study's files not begun by then were not written");
}

}  // namespace hpar
