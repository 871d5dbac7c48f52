// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// A scaling study as the commands that make one see it: the layouts measured (points), each
/// with its runs (time, result lines, verification, the run's report), and the views of it: the
/// terminal table, CSV, the JSON document (schema hpar-study/1, which `hpar plot` reads) and
/// the plot. `hpar scale` feeds it the points it runs itself, `hpar collect` the runs it reads
/// from reports; a sweep of external programs can feed it runs that have no report. Pure
/// functions of the record (no MPI); the analysis itself is scaling.hpp's.

#include <cstddef>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hpar/study/busy.hpp"
#include "hpar/study/scaling.hpp"

namespace hpar {

/// One run of a layout.
struct StudyRun {
  double seconds = 0.0;               ///< the time the study measures, in seconds (> 0)
  std::vector<std::string> result;    ///< the run's result lines: what must agree between runs
  std::string verification = "none";  ///< "PASS", "FAIL" or "none"
  std::string verification_detail;    ///< what the verification checked, or what failed
  nlohmann::json report;              ///< the run's hpar-report/1 document; null when none
};

/// One layout of a study and its runs, in the order they ran (or were read).
struct StudyPoint {
  int ranks = 1;
  int threads = 1;
  std::string schedule = "static";
  std::vector<StudyRun> runs;
  /// Fields of the producing command for this point in the JSON document (e.g. scale's
  /// idle_ranks_cpu_fraction); the study's own fields win over them.
  nlohmann::json extra = nlohmann::json::object();
  /// What the machine did while the point was measured (per run, or per host for the whole
  /// point); empty when not watched.
  std::vector<BusySample> busy;

  /// ranks x threads.
  [[nodiscard]] int cores() const noexcept { return ranks * threads; }
  /// The layout and the times of the runs, as the analysis takes them (failed when a run
  /// failed verification).
  [[nodiscard]] ScalingPoint scaling() const;
  /// "FAIL" when any run failed verification, else the first run's verdict ("none" if no run).
  [[nodiscard]] std::string verification() const;
  /// The detail of the first failed run's verification, else of the first run's.
  [[nodiscard]] std::string verification_detail() const;
  /// The index of the run whose time is closest to the median (the first of equals). Needs a run.
  [[nodiscard]] std::size_t median_run() const;
};

/// Everything a study measured.
struct StudyRecord {
  std::string job;
  ScalingMode mode = ScalingMode::strong;
  std::string host;      ///< where it ran (for a study over several hosts: the largest point's)
  bool complete = true;  ///< false when a stop signal ended it before its last point
  std::vector<StudyPoint> points;
  BusyLimits busy_limits;  ///< when a point's times are called untrustworthy
  /// What to do when points are found busy (the table's "advice" line, the JSON's).
  std::string busy_advice =
      "rerun them with more runs per point (--repeat 5 or more) on a quiet node (e.g. an "
      "exclusive allocation: sbatch --exclusive)";
  /// Fields of the producing command in the JSON document (command line, warnings, sources);
  /// the study's own fields win over them.
  nlohmann::json extra = nlohmann::json::object();
  /// Result lines agree when their numbers differ by at most this, relative (0: exactly).
  double result_tolerance = 0.0;
};

/// The expected time of a point of `cores` cores relative to others, for the estimate of the
/// time left: 1 / cores in a strong study, 1 in a weak one.
[[nodiscard]] double point_cost(ScalingMode mode, int cores);

/// "RxT SCHEDULE", e.g. "2x1 static": how tables and messages name a layout.
[[nodiscard]] std::string layout_name(int ranks, int threads, const std::string& schedule);
/// layout_name of a point.
[[nodiscard]] std::string layout_name(const StudyPoint& point);

/// Adds `run` to the point of layout ranks x threads with `schedule`, appending that point when
/// the study has none yet: for runs that arrive in any order (collected reports, a sweep).
void add_run(StudyRecord& study, int ranks, int threads, const std::string& schedule, StudyRun run);

/// Orders the points by cores, then ranks, threads and schedule (stable for equal layouts).
void sort_points(StudyRecord& study);

/// The analysis of the study (scaling.hpp's analyze_scaling on its points). A study that
/// cannot be analysed is bad input, whichever command made it: throws UsageError (exit 2) when
/// it has no points, a point has no runs or a time is not positive and finite.
[[nodiscard]] ScalingAnalysis analyze_study(const StudyRecord& study);

/// Whether the runs agree on their result lines: in a strong study every run of every point
/// gives the same lines; in a weak one (the work differs between points) the runs of each point
/// do (within the study's result_tolerance). True too when nothing was compared: ask
/// results_compared first.
[[nodiscard]] bool results_identical(const StudyRecord& study);

/// Whether any run has result lines, i.e. whether results_identical compared anything.
[[nodiscard]] bool results_compared(const StudyRecord& study);

/// Whether result lines `a` and `b` agree: equal, or with `tolerance` > 0 equal word by word
/// where two words that are both numbers differ by at most `tolerance` relative.
[[nodiscard]] bool lines_agree(const std::string& a, const std::string& b, double tolerance);

/// The runs whose results differ from their reference (strong: the first point's first run;
/// weak: their point's first run), at most `most`, each as "RxT SCHED run K: 'LINE' where RxT
/// SCHED run 1 gave 'LINE'" (the first line that differs).
[[nodiscard]] std::vector<std::string> result_differences(const StudyRecord& study,
                                                          std::size_t most);

/// How a command words the table of its study.
struct TableWords {
  /// The first line, e.g. "== hpar scale: pi, strong scaling, 3 run(s) per point ==".
  std::string title;
  std::string work;          ///< the text of a "work" line under the title; none when empty
  bool runs_column = false;  ///< a column with each point's number of runs
  /// The heading of the column that tells points of one layout apart (a sweep's: "launcher").
  std::string schedule_header = "schedule";
  /// The times are 1 / a rate the program printed (higher is better): the table shows the rate.
  bool rate = false;
  /// The "results" line of a strong study whose runs all agree.
  std::string identical = "identical at every point and run";
  /// The "results" line when they do not.
  std::string differ = "DIFFER between runs or points";
  /// The "results" line when no run has result lines (nothing was compared).
  std::string not_compared = "not compared (the runs have no result lines)";

  std::vector<std::string> notes;  ///< lines printed last, as given
};

/// Why the times of `point` are not to be trusted (busy.hpp's busy_findings on its samples and
/// spread, with the study's limits); empty when nothing was seen.
[[nodiscard]] std::vector<std::string> point_busy_findings(const StudyRecord& study,
                                                           std::size_t point,
                                                           const ScalingAnalysis& analysis);

/// The terminal table: a row per point (cores, layout, median time, spread, speedup,
/// efficiency, Karp-Flatt, verification; a '!' in front of the row when the machine was busy
/// while it was measured), the baseline, the fitted law per schedule (or that it fits poorly),
/// the fastest layouts per core count, whether the results agree, and which points to distrust
/// and what to do.
void print_study_table(std::ostream& out, const StudyRecord& study, const ScalingAnalysis& analysis,
                       const TableWords& words);

/// The table as CSV: a header, then a row per point with the fields schedule, ranks, threads,
/// cores, runs, median_s, min_s, max_s, spread, speedup, efficiency, karp_flatt, verification.
[[nodiscard]] std::string study_csv(const StudyRecord& study, const ScalingAnalysis& analysis);

/// The study document (schema hpar-study/1): job, mode, host, completeness, whether the results
/// agree, every point (layout, times, median, spread, speedup, efficiency, Karp-Flatt,
/// verification, the result lines and report of its median run, and `busy`: whether its times
/// can be trusted, why not, the samples) and the analysis, plus the command's extra fields and
/// `busy` (the limits, the points to distrust, the advice).
[[nodiscard]] nlohmann::json study_json(const StudyRecord& study, const ScalingAnalysis& analysis);

/// The study as `hpar plot` draws it (plot.hpp's plot_study).
[[nodiscard]] Study plot_view(const StudyRecord& study);

/// How a finished study ends: 3 (verification failed) with the message of the error line when
/// a point failed verification or the runs disagree on their results; 0 and no message
/// otherwise.
struct StudyVerdict {
  int code = 0;
  std::string problem;  ///< the error line's text (no "hpar: error: " prefix); empty when 0
};

/// The verdict on `study`: failed points first (each with its verification detail), then results
/// that disagree (results_identical).
[[nodiscard]] StudyVerdict study_verdict(const StudyRecord& study);

/// The run an hpar-report/1 document describes, as a study keeps it: the time `hpar scale`
/// measures (the total phase of the slowest rank minus the output), the result lines, the
/// verification and the report itself. Throws nlohmann::json's exceptions on a document that
/// lacks those fields.
[[nodiscard]] StudyRun study_run_of_report(const nlohmann::json& report);

/// Reads a JSON document from the file `path` (a report, a study). Throws UsageError
/// ("cannot read WHAT'PATH'", "PATH is not JSON: ...") when it cannot.
[[nodiscard]] nlohmann::json read_json_file(const std::string& path, const std::string& what = "");

}  // namespace hpar
