// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Analysis of a scaling study: speedup, parallel efficiency, Karp-Flatt serial fraction,
/// least-squares Amdahl (strong) and Gustafson (weak) fits with their fit quality, and the
/// fastest layout per core count. Pure functions of measured times: no MPI, no I/O, so they
/// can be checked against hand-computed tables.
///
/// Also the study document (schema "hpar-study/1") that `hpar scale --json` writes and
/// `hpar plot` reads.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hpar {

/// Name and version of the study schema; `hpar plot` refuses documents it does not understand.
inline constexpr const char* study_schema = "hpar-study/1";

/// Strong scaling keeps the total work fixed; weak scaling grows it with the cores.
enum class ScalingMode { strong, weak };

/// Parses "strong" or "weak"; throws UsageError otherwise.
[[nodiscard]] ScalingMode parse_scaling_mode(std::string_view text);
/// "strong" or "weak".
[[nodiscard]] std::string to_string(ScalingMode mode);

/// One measured layout of a study.
struct ScalingPoint {
  int ranks = 1;
  int threads = 1;
  std::string schedule = "static";
  std::vector<double> seconds;  ///< wall time of each repetition (> 0), in seconds
  /// The point's answer failed verification: it keeps its row, but is never the baseline,
  /// never fitted and never ranked (a fast wrong answer is not a winner).
  bool failed = false;
  /// False when the machine was busy while it was measured (the table's '!'): its times are
  /// drawn hollow and named.
  bool trusted = true;
  /// ranks x threads.
  [[nodiscard]] int cores() const noexcept { return ranks * threads; }
};

/// What the analysis says of one point.
struct PointAnalysis {
  double median = 0.0;  ///< median of the repetitions, seconds
  double min = 0.0;
  double max = 0.0;
  double spread = 0.0;  ///< (max - min) / median: how much the repetitions disagree
  /// Strong: baseline_cores * T_baseline / T. Weak (scaled speedup): cores * T_baseline / T.
  double speedup = 0.0;
  double efficiency = 0.0;           ///< speedup / cores
  std::optional<double> karp_flatt;  ///< (1/S - 1/c) / (1 - 1/c); none at one core
};

/// Below this R^2 a fitted law does not explain the times: the fit is called poor and no
/// speedup limit is drawn from it.
inline constexpr double min_fit_r_squared = 0.9;

/// A least-squares fit of a scaling law to the points of one schedule, with its serial fraction
/// kept in its physical range 0..1.
struct ScalingFit {
  std::string model;                ///< "amdahl" (strong) or "gustafson" (weak)
  std::string schedule;             ///< the points it was fitted to
  double serial_fraction = 0.0;     ///< Amdahl: f in T(c) = T1 (f + (1-f)/c); Gustafson: s in
                                    ///< S(c) = c - s (c - 1). Always within 0..1.
  double one_core_seconds = 0.0;    ///< Amdahl: the fitted T(1) = a + b (0 for Gustafson)
  std::optional<double> r_squared;  ///< coefficient of determination; none with < 3 points
  int points = 0;                   ///< points fitted
  int core_counts = 0;              ///< distinct core counts among them
  /// The unconstrained least-squares fraction lay outside 0..1 (times that grow with the
  /// cores, or fall faster than ideal): the fit is the best one with the fraction at 0 or 1.
  bool at_bound = false;

  /// "good" (R^2 at least min_fit_r_squared), "exact" (two points, nothing to judge the law
  /// by), or "poor" (R^2 below it, or two points that only a fraction held at a bound fits).
  [[nodiscard]] std::string quality() const;
  /// 1 / f for a strong fit that is not poor and has 0 < f < 1; none otherwise.
  [[nodiscard]] std::optional<double> speedup_limit() const;
};

/// The layouts measured at one core count, fastest first.
struct CoreCountRanking {
  int cores = 0;
  std::vector<std::size_t> points;  ///< indices into the study's points, by median time
};

/// Everything the analysis derives from a study.
struct ScalingAnalysis {
  ScalingMode mode = ScalingMode::strong;
  std::size_t baseline = 0;  ///< point the speedups are relative to (fastest at fewest cores)
  std::vector<PointAnalysis> points;      ///< one per study point, same order
  std::vector<ScalingFit> fits;           ///< one per schedule with >= 2 core counts
  std::vector<CoreCountRanking> ranking;  ///< ascending core counts
};

/// Median of `values` (mean of the middle two for an even count). Throws on an empty list.
[[nodiscard]] double median(std::vector<double> values);

/// Karp-Flatt experimentally determined serial fraction (1/S - 1/c) / (1 - 1/c); none for c <= 1.
[[nodiscard]] std::optional<double> karp_flatt(double speedup, int cores);

/// Least-squares fit of Amdahl's law T(c) = a + b/c with a, b >= 0 to (cores, seconds) pairs:
/// the serial fraction is a / (a + b), within 0..1 (at_bound when the unconstrained fit lay
/// outside), R^2 is that of the fitted times. Needs two distinct core counts; throws
/// std::invalid_argument otherwise.
[[nodiscard]] ScalingFit fit_amdahl(const std::vector<std::pair<int, double>>& cores_seconds);

/// Least-squares fit of Gustafson's law S(c) = c - s (c - 1) with 0 <= s <= 1 to (cores, scaled
/// speedup) pairs; R^2 is that of the fitted speedups. Needs a point above one core; throws
/// std::invalid_argument otherwise.
[[nodiscard]] ScalingFit fit_gustafson(const std::vector<std::pair<int, double>>& cores_speedup);

/// Analyses a study: the baseline, the fits and the ranking leave out failed points (unless
/// every point failed: then the baseline is chosen among all). Throws std::invalid_argument on
/// an empty study or a point without times.
[[nodiscard]] ScalingAnalysis analyze_scaling(ScalingMode mode,
                                              const std::vector<ScalingPoint>& points);

/// 1, 2, 4, ... up to n (n >= 1).
[[nodiscard]] std::vector<int> powers_of_two_up_to(int n);

/// A study as `hpar plot` needs it: what ran, how, and the measured points.
struct Study {
  std::string job;
  ScalingMode mode = ScalingMode::strong;
  std::string host;  ///< where it ran (the hosts of the largest point)
  std::vector<ScalingPoint> points;
  /// Layouts that have no time: every launch of them failed (a sweep's "failed" list).
  std::vector<ScalingPoint> absent;
  bool complete = true;  ///< false when a stop signal ended the study before its last point
  std::string label;     ///< what names it among several (its file), for overlaid plots
};

/// Reads the points of a "hpar-study/1" document; throws UsageError naming `source` when the
/// document is not one (wrong schema, missing fields, non-positive times).
[[nodiscard]] Study study_from_json(const nlohmann::json& doc, const std::string& source);

/// Merges studies of the same job and mode, as `hpar collect` does: points concatenated, the
/// runs of a layout measured in several of them joined as the repetitions of one point.
/// Throws UsageError when they differ in job or mode.
[[nodiscard]] Study merge_studies(const std::vector<Study>& studies);

/// The analysis part of a study document: per-point figures, fits and ranking.
[[nodiscard]] nlohmann::json analysis_json(const std::vector<ScalingPoint>& points,
                                           const ScalingAnalysis& analysis);

}  // namespace hpar
