// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/study/study.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "hpar/core/errors.hpp"
#include "hpar/core/files.hpp"
#include "hpar/core/format.hpp"

namespace hpar {
namespace {

std::string cores_text(int cores) {
  return std::to_string(cores) + (cores == 1 ? " core" : " cores");
}

/// Refuses a point the analysis cannot take: no runs, or a time that is not positive and finite.
void check_point(const StudyPoint& p) {
  if (p.runs.empty()) throw UsageError("point " + layout_name(p) + " of the study has no runs");
  for (const auto& run : p.runs) {
    if (!(run.seconds > 0.0) || !std::isfinite(run.seconds)) {
      throw UsageError("point " + layout_name(p) + " of the study has a time of " +
                       std::to_string(run.seconds) + " s: times must be positive");
    }
  }
}

/// A median time as the table shows it: seconds, or (words.rate) the rate 1 / time.
std::string time_text(double seconds, const TableWords& words, int digits) {
  if (!words.rate) return format_fixed(seconds, digits);
  std::ostringstream o;
  o << std::setprecision(4) << 1.0 / seconds;
  return o.str();
}

void print_rows(std::ostream& out, const StudyRecord& study, const ScalingAnalysis& a,
                const TableWords& words) {
  const bool strong = study.mode == ScalingMode::strong;
  const bool runs_column = words.runs_column;
  out << "cores  ranks  threads  " << std::left << std::setw(12) << words.schedule_header
      << std::right;
  if (runs_column) out << std::setw(5) << "runs";
  out << std::setw(11) << (words.rate ? "rate" : "time (s)") << "   spread  "
      << (strong ? "speedup" : " scaled") << "  efficiency  Karp-Flatt  verification\n";
  for (std::size_t i = 0; i < study.points.size(); ++i) {
    const auto& p = study.points[i];
    const auto& pa = a.points[i];
    // A busy point's row starts with '!' in the (right-aligned) cores column.
    const bool busy = !point_busy_findings(study, i, a).empty();
    out << (busy ? "!" : " ") << std::setw(4) << p.cores() << std::setw(7) << p.ranks
        << std::setw(9) << p.threads << "  " << std::left << std::setw(12) << p.schedule
        << std::right;
    if (runs_column) out << std::setw(5) << p.runs.size();
    out << std::setw(11) << time_text(pa.median, words, 6) << std::setw(7)
        << format_fixed(100.0 * pa.spread, 1) << " %" << std::setw(9) << format_fixed(pa.speedup, 2)
        << std::setw(10) << format_fixed(100.0 * pa.efficiency, 1) << " %" << std::setw(12)
        << (pa.karp_flatt ? format_fixed(*pa.karp_flatt, 4) : std::string("-")) << "  "
        << p.verification() << "\n";
  }
}

/// "serial fraction 0.0177 (1.77 %)", with a note when it is held at a bound.
std::string fraction_text(const ScalingFit& f, bool strong) {
  std::string text = "serial fraction " + format_fixed(f.serial_fraction, 4) + " (" +
                     format_fixed(100.0 * f.serial_fraction, 2) + " %)";
  if (f.at_bound) {
    text += f.serial_fraction <= 0.0
                ? (strong ? ", held at 0: the times fall as fast as the cores grow, or faster"
                          : ", held at 0: the scaled speedup is ideal, or better")
                : (strong ? ", held at 1: the times do not fall as the cores grow"
                          : ", held at 1: the scaled speedup does not grow");
  }
  return text;
}

void print_fits(std::ostream& out, ScalingMode mode, const ScalingAnalysis& a) {
  const bool strong = mode == ScalingMode::strong;
  for (const auto& f : a.fits) {
    const std::string quality = f.quality();
    out << "fit          " << (strong ? "Amdahl" : "Gustafson") << " (" << f.schedule
        << "): " << (quality == "poor" ? "POOR FIT, " : "") << fraction_text(f, strong) << ", R^2 "
        << (f.r_squared ? format_fixed(*f.r_squared, 4) : std::string("n/a (2 points fit exactly)"))
        << " over " << f.points << " points at " << f.core_counts << " core counts";
    if (quality == "poor") {
      out << "; the times do not follow " << (strong ? "Amdahl's" : "Gustafson's")
          << " law, so no limit is drawn from it: read the fastest layouts, and rerun if the "
             "machine was busy";
    } else if (const auto limit = f.speedup_limit()) {
      out << "; speedup limit " << format_fixed(*limit, 1) << "x";
    }
    out << "\n";
  }
  if (a.fits.empty()) {
    out << "fit          none: it needs points at two core counts or more that passed "
           "verification\n";
  }
}

/// The points to distrust and why, and what to do; or that the machine was quiet, when it was
/// watched.
/// What to do about the points marked '!': rerun on a quiet node when others took the CPUs;
/// look at the program's threads when it left its cores idle.
std::vector<std::string> busy_advice_lines(const StudyRecord& study, const ScalingAnalysis& a) {
  bool others = false;
  std::vector<std::string> unused;
  for (std::size_t i = 0; i < study.points.size(); ++i) {
    for (const auto& finding : point_busy_findings(study, i, a)) {
      if (!is_unused_cores_finding(finding)) {
        others = true;
      } else if (unused.empty() || unused.back() != layout_name(study.points[i])) {
        unused.push_back(layout_name(study.points[i]));
      }
    }
  }
  std::vector<std::string> lines;
  if (others) {
    lines.push_back("the times of the points marked ! are not to be trusted: " + study.busy_advice);
  }
  if (!unused.empty()) {
    std::string names;
    for (const auto& n : unused) names += (names.empty() ? "" : ", ") + n;
    lines.push_back("the program did not use all the cores it was given at " + names +
                    ": its times are those of fewer cores; check that it is built with OpenMP "
                    "(e.g. -fopenmp) and honours OMP_NUM_THREADS, or why its ranks wait");
  }
  return lines;
}

void print_busy(std::ostream& out, const StudyRecord& study, const ScalingAnalysis& a) {
  bool any = false;
  bool watched = false;
  for (std::size_t i = 0; i < study.points.size(); ++i) {
    watched = watched || !study.points[i].busy.empty();
    for (const auto& finding : point_busy_findings(study, i, a)) {
      out << (any ? "             ! " : "busy         ! ") << layout_name(study.points[i]) << ": "
          << finding << "\n";
      any = true;
    }
  }
  if (any) {
    for (const auto& line : busy_advice_lines(study, a)) out << "advice       " << line << "\n";
  } else if (watched) {
    out << "machine      quiet: no point's runs spread over "
        << format_fixed(100.0 * study.busy_limits.spread, 0)
        << " %, and no other process took the CPUs a point needed\n";
  }
}

void print_fastest(std::ostream& out, const StudyRecord& study, const ScalingAnalysis& a,
                   const TableWords& words) {
  bool first = true;
  for (const auto& r : a.ranking) {
    const std::size_t best = r.points.front();
    out << (first ? "fastest      " : "             ") << cores_text(r.cores) << ": "
        << layout_name(study.points[best]) << " " << time_text(a.points[best].median, words, 3)
        << (words.rate ? " /s" : " s");
    for (std::size_t k = 1; k < r.points.size(); ++k) {
      const double slower = a.points[r.points[k]].median / a.points[best].median - 1.0;
      out << (k == 1 ? "; then " : ", ") << layout_name(study.points[r.points[k]]) << " +"
          << format_fixed(100.0 * slower, 1) << " %";
    }
    out << "\n";
    first = false;
  }
}

nlohmann::json point_json(const StudyPoint& p, const PointAnalysis& pa,
                          const std::vector<std::string>& findings) {
  nlohmann::json j = p.extra.is_object() ? p.extra : nlohmann::json::object();
  const StudyRun& median = p.runs[p.median_run()];
  std::vector<double> seconds;
  for (const auto& run : p.runs) seconds.push_back(run.seconds);
  j["ranks"] = p.ranks;
  j["threads"] = p.threads;
  j["schedule"] = p.schedule;
  j["cores"] = p.cores();
  j["seconds"] = seconds;
  j["median"] = pa.median;
  j["spread"] = pa.spread;
  j["speedup"] = pa.speedup;
  j["efficiency"] = pa.efficiency;
  j["karp_flatt"] = pa.karp_flatt ? nlohmann::json(*pa.karp_flatt) : nlohmann::json(nullptr);
  j["verification"] = p.verification();
  j["result"] = median.result;
  j["report"] = median.report;
  nlohmann::json samples = nlohmann::json::array();
  for (const auto& sample : p.busy) samples.push_back(busy_sample_json(sample));
  j["busy"] = {{"trusted", findings.empty()}, {"findings", findings}, {"samples", samples}};
  return j;
}

}  // namespace

ScalingPoint StudyPoint::scaling() const {
  ScalingPoint p;
  p.ranks = ranks;
  p.threads = threads;
  p.schedule = schedule;
  p.failed = verification() == "FAIL";
  for (const auto& run : runs) p.seconds.push_back(run.seconds);
  return p;
}

std::string StudyPoint::verification() const {
  for (const auto& run : runs) {
    if (run.verification == "FAIL") return run.verification;
  }
  return runs.empty() ? "none" : runs.front().verification;
}

std::string StudyPoint::verification_detail() const {
  for (const auto& run : runs) {
    if (run.verification == "FAIL") return run.verification_detail;
  }
  return runs.empty() ? "" : runs.front().verification_detail;
}

std::size_t StudyPoint::median_run() const {
  const double m = median(scaling().seconds);
  std::size_t best = 0;
  for (std::size_t i = 1; i < runs.size(); ++i) {
    if (std::abs(runs[i].seconds - m) < std::abs(runs[best].seconds - m)) best = i;
  }
  return best;
}

double point_cost(ScalingMode mode, int cores) {
  return mode == ScalingMode::strong ? 1.0 / cores : 1.0;
}

std::string layout_name(int ranks, int threads, const std::string& schedule) {
  return std::to_string(ranks) + "x" + std::to_string(threads) + " " + schedule;
}

std::string layout_name(const StudyPoint& point) {
  return layout_name(point.ranks, point.threads, point.schedule);
}

void add_run(StudyRecord& study, int ranks, int threads, const std::string& schedule,
             StudyRun run) {
  const auto it = std::find_if(study.points.begin(), study.points.end(), [&](const auto& p) {
    return p.ranks == ranks && p.threads == threads && p.schedule == schedule;
  });
  if (it != study.points.end()) {
    it->runs.push_back(std::move(run));
    return;
  }
  StudyPoint p;
  p.ranks = ranks;
  p.threads = threads;
  p.schedule = schedule;
  p.runs.push_back(std::move(run));
  study.points.push_back(std::move(p));
}

void sort_points(StudyRecord& study) {
  std::stable_sort(study.points.begin(), study.points.end(), [](const auto& x, const auto& y) {
    return std::make_tuple(x.cores(), x.ranks, x.threads, x.schedule) <
           std::make_tuple(y.cores(), y.ranks, y.threads, y.schedule);
  });
}

ScalingAnalysis analyze_study(const StudyRecord& study) {
  if (study.points.empty()) throw UsageError("the study has no points");
  std::vector<ScalingPoint> points;
  for (const auto& p : study.points) {
    check_point(p);
    points.push_back(p.scaling());
  }
  try {
    return analyze_scaling(study.mode, points);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("cannot analyse the study: ") + e.what());
  }
}

bool lines_agree(const std::string& a, const std::string& b, double tolerance) {
  if (a == b) return true;
  if (!(tolerance > 0.0)) return false;
  std::istringstream in_a(a), in_b(b);
  std::string x, y;
  while (true) {
    const bool more_a = static_cast<bool>(in_a >> x);
    const bool more_b = static_cast<bool>(in_b >> y);
    if (more_a != more_b) return false;
    if (!more_a) return true;
    if (x == y) continue;
    char* end_x = nullptr;
    char* end_y = nullptr;
    const double u = std::strtod(x.c_str(), &end_x);
    const double v = std::strtod(y.c_str(), &end_y);
    if (*end_x != '\0' || *end_y != '\0' || end_x == x.c_str() || end_y == y.c_str() ||
        !std::isfinite(u) || !std::isfinite(v) ||
        std::abs(u - v) > tolerance * std::max(std::abs(u), std::abs(v))) {
      return false;
    }
  }
}

bool results_compared(const StudyRecord& study) {
  for (const auto& p : study.points) {
    for (const auto& run : p.runs) {
      if (!run.result.empty()) return true;
    }
  }
  return false;
}

std::vector<std::string> result_differences(const StudyRecord& study, std::size_t most) {
  std::vector<std::string> out;
  const auto agree = [&](const StudyRun& a, const StudyRun& b) {
    if (a.result.size() != b.result.size()) return false;
    for (std::size_t i = 0; i < a.result.size(); ++i) {
      if (!lines_agree(a.result[i], b.result[i], study.result_tolerance)) return false;
    }
    return true;
  };
  // The first line of `run` that differs from `reference`'s ("(none)" when it has fewer).
  const auto differing = [&](const StudyRun& run, const StudyRun& reference) {
    for (std::size_t i = 0; i < std::max(run.result.size(), reference.result.size()); ++i) {
      const std::string mine = i < run.result.size() ? run.result[i] : "(none)";
      const std::string theirs = i < reference.result.size() ? reference.result[i] : "(none)";
      if (!lines_agree(mine, theirs, study.result_tolerance)) return std::make_pair(mine, theirs);
    }
    return std::make_pair(std::string(), std::string());
  };
  for (const auto& p : study.points) {
    const bool strong = study.mode == ScalingMode::strong;
    const StudyPoint& ref_point = strong ? study.points.front() : p;
    for (std::size_t k = 0; k < p.runs.size() && out.size() < most; ++k) {
      if (agree(p.runs[k], ref_point.runs.front())) continue;
      const auto [mine, theirs] = differing(p.runs[k], ref_point.runs.front());
      out.push_back(layout_name(p) + " run " + std::to_string(k + 1) + ": '" + mine + "' where " +
                    layout_name(ref_point) + " run 1 gave '" + theirs + "'");
    }
  }
  return out;
}

bool results_identical(const StudyRecord& study) {
  return result_differences(study, 1).empty();
}

namespace {

/// `value` with 6 significant digits ("1e-09").
std::string short_number(double value) {
  std::ostringstream o;
  o << value;
  return o.str();
}

/// Whether every point failed verification (then no point is a baseline worth naming).
bool every_point_failed(const StudyRecord& study) {
  return std::all_of(study.points.begin(), study.points.end(),
                     [](const StudyPoint& p) { return p.verification() == "FAIL"; });
}

/// The table's "results" line (and the differing values under it).
void print_results(std::ostream& out, const StudyRecord& study, const TableWords& words) {
  const bool strong = study.mode == ScalingMode::strong;
  if (!results_compared(study)) {
    out << "results      " << words.not_compared << "\n";
    return;
  }
  const auto differences = result_differences(study, 5);
  const std::string within =
      study.result_tolerance > 0.0
          ? " (numbers within a relative " + short_number(study.result_tolerance) + ")"
          : "";
  if (differences.empty()) {
    out << "results      "
        << (strong ? words.identical : std::string("identical across the runs of each point"))
        << within << "\n";
    return;
  }
  out << "results      " << words.differ << within << "\n";
  for (const auto& d : differences) out << "differ       " << d << "\n";
}

}  // namespace

std::vector<std::string> point_busy_findings(const StudyRecord& study, std::size_t point,
                                             const ScalingAnalysis& analysis) {
  const StudyPoint& p = study.points.at(point);
  return busy_findings(p.busy, analysis.points.at(point).spread, p.runs.size(), study.busy_limits);
}

void print_study_table(std::ostream& out, const StudyRecord& study, const ScalingAnalysis& analysis,
                       const TableWords& words) {
  out << words.title << "\n";
  if (!words.work.empty()) out << "work         " << words.work << "\n";
  print_rows(out, study, analysis, words);
  const auto& base = study.points[analysis.baseline];
  if (every_point_failed(study)) {
    out << "baseline     none: every point failed verification (the speedups mean nothing)\n";
  } else {
    out << "baseline     " << layout_name(base) << " (" << cores_text(base.cores())
        << "): speedups are relative to it\n";
  }
  print_fits(out, study.mode, analysis);
  print_fastest(out, study, analysis, words);
  print_results(out, study, words);
  print_busy(out, study, analysis);
  for (const auto& note : words.notes) out << note << "\n";
}

std::string study_csv(const StudyRecord& study, const ScalingAnalysis& analysis) {
  std::ostringstream o;
  o << std::setprecision(9);
  o << "schedule,ranks,threads,cores,runs,median_s,min_s,max_s,spread,speedup,efficiency,"
       "karp_flatt,verification\n";
  for (std::size_t i = 0; i < study.points.size(); ++i) {
    const auto& p = study.points[i];
    const auto& pa = analysis.points[i];
    o << p.schedule << ',' << p.ranks << ',' << p.threads << ',' << p.cores() << ','
      << p.runs.size() << ',' << pa.median << ',' << pa.min << ',' << pa.max << ',' << pa.spread
      << ',' << pa.speedup << ',' << pa.efficiency << ',';
    if (pa.karp_flatt) o << *pa.karp_flatt;
    o << ',' << p.verification() << '\n';
  }
  return o.str();
}

nlohmann::json study_json(const StudyRecord& study, const ScalingAnalysis& analysis) {
  nlohmann::json doc = study.extra.is_object() ? study.extra : nlohmann::json::object();
  doc["schema"] = study_schema;
  doc["job"] = study.job;
  doc["mode"] = to_string(study.mode);
  doc["complete"] = study.complete;
  doc["host"] = study.host;
  const bool compared = results_compared(study);
  doc["results_identical"] = compared ? nlohmann::json(results_identical(study)) : nullptr;
  doc["result_differences"] = result_differences(study, 20);
  if (study.result_tolerance > 0.0) doc["result_tolerance"] = study.result_tolerance;
  nlohmann::json points = nlohmann::json::array();
  std::vector<ScalingPoint> scaling;
  std::vector<std::string> busy_points;
  for (std::size_t i = 0; i < study.points.size(); ++i) {
    const auto findings = point_busy_findings(study, i, analysis);
    if (!findings.empty()) busy_points.push_back(layout_name(study.points[i]));
    points.push_back(point_json(study.points[i], analysis.points[i], findings));
    scaling.push_back(study.points[i].scaling());
  }
  doc["points"] = points;
  doc["busy"] = {{"limits", busy_limits_json(study.busy_limits)},
                 {"points", busy_points},
                 {"advice", nullptr}};
  if (!busy_points.empty()) {
    std::string advice;
    for (const auto& line : busy_advice_lines(study, analysis)) {
      advice += (advice.empty() ? "" : "; ") + line;
    }
    doc["busy"]["advice"] = advice;
  }
  doc["analysis"] = analysis_json(scaling, analysis);
  if (every_point_failed(study)) doc["analysis"]["baseline"] = nullptr;
  return doc;
}

Study plot_view(const StudyRecord& study) {
  Study s;
  s.job = study.job;
  s.mode = study.mode;
  s.host = study.host;
  for (const auto& p : study.points) s.points.push_back(p.scaling());
  return s;
}

StudyVerdict study_verdict(const StudyRecord& study) {
  std::vector<std::string> failed;
  for (const auto& p : study.points) {
    if (p.verification() == "FAIL") {
      failed.push_back(layout_name(p) + " (" + p.verification_detail() + ")");
    }
  }
  StudyVerdict verdict;
  if (!failed.empty()) {
    verdict.code = static_cast<int>(ExitCode::verification);
    verdict.problem = "verification failed at " + std::to_string(failed.size()) + " point(s): ";
    for (std::size_t k = 0; k < failed.size(); ++k) {
      verdict.problem += (k ? "; " : "") + failed[k];
    }
  } else if (const auto d = result_differences(study, 1); !d.empty()) {
    verdict.code = static_cast<int>(ExitCode::verification);
    verdict.problem = "the job's results differ between runs or layouts: " + d.front();
  }
  return verdict;
}

StudyRun study_run_of_report(const nlohmann::json& report) {
  const auto& phases = report.at("phases");
  const auto seconds = [&](const char* phase) {
    return phases.contains(phase) ? phases[phase].at("max").get<double>() : 0.0;
  };
  StudyRun run;
  // The job's time: neither the output nor rank 0's verify phase (the job's own check).
  run.seconds = phases.at("total").at("max").get<double>() - seconds("output") - seconds("verify");
  run.result = report.at("result").get<std::vector<std::string>>();
  run.verification = report.at("verification").at("status").get<std::string>();
  run.verification_detail = report.at("verification").at("detail").get<std::string>();
  run.report = report;
  return run;
}

nlohmann::json read_json_file(const std::string& path, const std::string& what) {
  require_readable_file(path,
                        what.empty() ? "file" : what.substr(0, what.find_last_not_of(' ') + 1));
  std::ifstream file(path);
  if (!file) throw UsageError("cannot read " + what + quote_for_message(path));
  try {
    return nlohmann::json::parse(file);
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(quote_for_message(path) + " is not JSON: " + e.what());
  }
}

}  // namespace hpar
