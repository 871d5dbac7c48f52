// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/study/scaling.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <tuple>

#include "hpar/core/errors.hpp"

namespace hpar {
namespace {

/// R^2 = 1 - SS_res / SS_tot of `measured` against `fitted`; 1 when both are zero.
double r_squared(const std::vector<double>& measured, const std::vector<double>& fitted) {
  double mean = 0.0;
  for (const double y : measured) mean += y;
  mean /= static_cast<double>(measured.size());
  double ss_res = 0.0;
  double ss_tot = 0.0;
  for (std::size_t i = 0; i < measured.size(); ++i) {
    ss_res += (measured[i] - fitted[i]) * (measured[i] - fitted[i]);
    ss_tot += (measured[i] - mean) * (measured[i] - mean);
  }
  if (ss_tot == 0.0) return ss_res == 0.0 ? 1.0 : 0.0;
  return 1.0 - ss_res / ss_tot;
}

int distinct_cores(const std::vector<std::pair<int, double>>& pairs) {
  std::set<int> cores;
  for (const auto& p : pairs) cores.insert(p.first);
  return static_cast<int>(cores.size());
}

/// The least-squares T = a + b / c with a, b >= 0 (a convex problem: the unconstrained optimum
/// when it is feasible, else the better of the optima on the edges a = 0 and b = 0), and
/// whether it lies on an edge. Times are positive, so a + b > 0.
struct AmdahlCoefficients {
  double a = 0.0;
  double b = 0.0;
  bool at_bound = false;
};

AmdahlCoefficients amdahl_coefficients(const std::vector<std::pair<int, double>>& cores_seconds) {
  const auto n = static_cast<double>(cores_seconds.size());
  double sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0;
  for (const auto& [c, t] : cores_seconds) {
    const double x = 1.0 / c;
    sx += x;
    sy += t;
    sxx += x * x;
    sxy += x * t;
  }
  const double b = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const double a = (sy - b * sx) / n;
  if (a >= 0.0 && b >= 0.0) return {a, b, false};
  const auto residual = [&](double ca, double cb) {
    double sum = 0.0;
    for (const auto& [c, t] : cores_seconds) sum += (t - ca - cb / c) * (t - ca - cb / c);
    return sum;
  };
  const double only_parallel = std::max(0.0, sxy / sxx);  // a = 0
  const double only_serial = std::max(0.0, sy / n);       // b = 0
  if (residual(0.0, only_parallel) <= residual(only_serial, 0.0)) return {0.0, only_parallel, true};
  return {only_serial, 0.0, true};
}

/// The fastest point among those with the fewest cores, failed points left out (unless all
/// failed).
std::size_t choose_baseline(const std::vector<ScalingPoint>& points,
                            const std::vector<PointAnalysis>& analysed) {
  const bool all_failed =
      std::all_of(points.begin(), points.end(), [](const auto& p) { return p.failed; });
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (points[i].failed && !all_failed) continue;
    if (!best || points[i].cores() < points[*best].cores() ||
        (points[i].cores() == points[*best].cores() &&
         analysed[i].median < analysed[*best].median)) {
      best = i;
    }
  }
  return *best;
}

/// One fit per schedule with points at two core counts or more (failed points left out), in
/// the order the schedules first appear.
std::vector<ScalingFit> fit_schedules(ScalingMode mode, const std::vector<ScalingPoint>& points,
                                      const std::vector<PointAnalysis>& analysed) {
  std::vector<std::string> schedules;
  for (const auto& p : points) {
    if (std::find(schedules.begin(), schedules.end(), p.schedule) == schedules.end()) {
      schedules.push_back(p.schedule);
    }
  }
  std::vector<ScalingFit> fits;
  for (const auto& schedule : schedules) {
    std::vector<std::pair<int, double>> pairs;
    for (std::size_t i = 0; i < points.size(); ++i) {
      if (points[i].schedule != schedule || points[i].failed) continue;
      pairs.emplace_back(points[i].cores(),
                         mode == ScalingMode::strong ? analysed[i].median : analysed[i].speedup);
    }
    if (distinct_cores(pairs) < 2) continue;
    ScalingFit fit = mode == ScalingMode::strong ? fit_amdahl(pairs) : fit_gustafson(pairs);
    fit.schedule = schedule;
    fits.push_back(fit);
  }
  return fits;
}

nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

std::string ScalingFit::quality() const {
  if (r_squared) return *r_squared >= min_fit_r_squared ? "good" : "poor";
  return at_bound ? "poor" : "exact";
}

std::optional<double> ScalingFit::speedup_limit() const {
  if (model != "amdahl" || quality() == "poor") return std::nullopt;
  if (!(serial_fraction > 0.0) || !(serial_fraction < 1.0)) return std::nullopt;
  return 1.0 / serial_fraction;
}

ScalingMode parse_scaling_mode(std::string_view text) {
  if (text == "strong") return ScalingMode::strong;
  if (text == "weak") return ScalingMode::weak;
  throw UsageError("bad --mode " + quote_for_message(text) + ": expected strong or weak");
}

std::string to_string(ScalingMode mode) {
  return mode == ScalingMode::strong ? "strong" : "weak";
}

double median(std::vector<double> values) {
  if (values.empty()) throw std::invalid_argument("median of no values");
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

std::optional<double> karp_flatt(double speedup, int cores) {
  if (cores <= 1 || speedup <= 0.0) return std::nullopt;
  const double c = cores;
  return (1.0 / speedup - 1.0 / c) / (1.0 - 1.0 / c);
}

ScalingFit fit_amdahl(const std::vector<std::pair<int, double>>& cores_seconds) {
  if (distinct_cores(cores_seconds) < 2) {
    throw std::invalid_argument("an Amdahl fit needs two distinct core counts");
  }
  const auto [a, b, at_bound] = amdahl_coefficients(cores_seconds);
  ScalingFit fit;
  fit.model = "amdahl";
  fit.serial_fraction = a / (a + b);
  fit.one_core_seconds = a + b;
  fit.at_bound = at_bound;
  fit.points = static_cast<int>(cores_seconds.size());
  fit.core_counts = distinct_cores(cores_seconds);
  if (fit.points >= 3) {
    std::vector<double> measured, fitted;
    for (const auto& [c, t] : cores_seconds) {
      measured.push_back(t);
      fitted.push_back(a + b / c);
    }
    fit.r_squared = r_squared(measured, fitted);
  }
  return fit;
}

ScalingFit fit_gustafson(const std::vector<std::pair<int, double>>& cores_speedup) {
  // Least squares through the origin of (c - S) = s (c - 1).
  double sxy = 0.0, sxx = 0.0;
  for (const auto& [c, s] : cores_speedup) {
    sxy += (c - 1.0) * (c - s);
    sxx += (c - 1.0) * (c - 1.0);
  }
  if (sxx == 0.0) throw std::invalid_argument("a Gustafson fit needs a point above one core");
  // The sum of squares is a parabola in s: the best s in 0..1 is the unconstrained one, clamped.
  const double unconstrained = sxy / sxx;
  ScalingFit fit;
  fit.model = "gustafson";
  fit.serial_fraction = std::clamp(unconstrained, 0.0, 1.0);
  fit.at_bound = fit.serial_fraction != unconstrained;
  fit.points = static_cast<int>(cores_speedup.size());
  fit.core_counts = distinct_cores(cores_speedup);
  if (fit.points >= 3) {
    std::vector<double> measured, fitted;
    for (const auto& [c, s] : cores_speedup) {
      measured.push_back(s);
      fitted.push_back(c - fit.serial_fraction * (c - 1.0));
    }
    fit.r_squared = r_squared(measured, fitted);
  }
  return fit;
}

ScalingAnalysis analyze_scaling(ScalingMode mode, const std::vector<ScalingPoint>& points) {
  if (points.empty()) throw std::invalid_argument("a study without points");
  ScalingAnalysis a;
  a.mode = mode;
  for (const auto& p : points) {
    if (p.seconds.empty()) throw std::invalid_argument("a point without times");
    PointAnalysis pa;
    pa.median = median(p.seconds);
    pa.min = *std::min_element(p.seconds.begin(), p.seconds.end());
    pa.max = *std::max_element(p.seconds.begin(), p.seconds.end());
    pa.spread = pa.median > 0.0 ? (pa.max - pa.min) / pa.median : 0.0;
    a.points.push_back(pa);
  }
  a.baseline = choose_baseline(points, a.points);
  const double base_time = a.points[a.baseline].median;
  const double base_cores = points[a.baseline].cores();
  for (std::size_t i = 0; i < points.size(); ++i) {
    auto& pa = a.points[i];
    const int c = points[i].cores();
    const double factor = mode == ScalingMode::strong ? base_cores : static_cast<double>(c);
    pa.speedup = pa.median > 0.0 ? factor * base_time / pa.median : 0.0;
    pa.efficiency = pa.speedup / c;
    pa.karp_flatt = karp_flatt(pa.speedup, c);
  }
  a.fits = fit_schedules(mode, points, a.points);
  // Ranking per core count, fastest first; failed points are not ranked.
  std::map<int, std::vector<std::size_t>> by_cores;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (!points[i].failed) by_cores[points[i].cores()].push_back(i);
  }
  for (auto& [cores, idx] : by_cores) {
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t x, std::size_t y) {
      return a.points[x].median < a.points[y].median;
    });
    a.ranking.push_back({cores, idx});
  }
  return a;
}

std::vector<int> powers_of_two_up_to(int n) {
  std::vector<int> out;
  for (int p = 1; p <= n && p > 0; p *= 2) out.push_back(p);
  return out;
}

namespace {

/// The layout of a "RxT SCHEDULE" text (a sweep's failed launches), if it is one.
std::optional<ScalingPoint> layout_of(const std::string& text) {
  ScalingPoint p;
  char schedule[64] = {};
  if (std::sscanf(text.c_str(), "%dx%d %63s", &p.ranks, &p.threads, schedule) != 3 || p.ranks < 1 ||
      p.threads < 1) {
    return std::nullopt;
  }
  p.schedule = schedule;
  return p;
}

bool same_layout(const ScalingPoint& a, const ScalingPoint& b) {
  return a.ranks == b.ranks && a.threads == b.threads && a.schedule == b.schedule;
}

/// The layouts of failed launches that have no point (no launch of them succeeded).
void read_absent(const nlohmann::json& doc, Study& s) {
  if (!doc.contains("failed") || !doc["failed"].is_array()) return;
  for (const auto& f : doc["failed"]) {
    if (!f.is_object() || !f.contains("layout") || !f["layout"].is_string()) continue;
    const auto layout = layout_of(f["layout"].get<std::string>());
    if (!layout) continue;
    const auto same = [&](const ScalingPoint& p) { return same_layout(p, *layout); };
    if (std::none_of(s.points.begin(), s.points.end(), same) &&
        std::none_of(s.absent.begin(), s.absent.end(), same)) {
      s.absent.push_back(*layout);
    }
  }
}

}  // namespace

Study study_from_json(const nlohmann::json& doc, const std::string& source) {
  try {
    if (!doc.is_object() || !doc.contains("schema") || doc["schema"] != study_schema) {
      throw UsageError(source + " is not a " + std::string(study_schema) +
                       " document (see 'hpar scale --json')");
    }
    Study s;
    s.job = doc.at("job").get<std::string>();
    s.mode = parse_scaling_mode(doc.at("mode").get<std::string>());
    s.host = doc.value("host", std::string());
    s.complete = doc.value("complete", true);
    s.label = source;
    for (const auto& p : doc.at("points")) {
      ScalingPoint point;
      point.ranks = p.at("ranks").get<int>();
      point.threads = p.at("threads").get<int>();
      point.schedule = p.at("schedule").get<std::string>();
      point.seconds = p.at("seconds").get<std::vector<double>>();
      point.failed = p.value("verification", std::string()) == "FAIL";
      if (p.contains("busy") && p["busy"].is_object()) {
        point.trusted = p["busy"].value("trusted", true);
      }
      if (point.ranks < 1 || point.threads < 1 || point.seconds.empty() ||
          std::any_of(point.seconds.begin(), point.seconds.end(),
                      [](double t) { return !(t > 0.0) || !std::isfinite(t); })) {
        throw UsageError(source + ": a point has bad ranks, threads or times");
      }
      s.points.push_back(std::move(point));
    }
    if (s.points.empty())
      throw UsageError(source + ": the study has no points (no launch gave a time)");
    read_absent(doc, s);
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(source + ": not a valid study: " + e.what());
  }
}

Study merge_studies(const std::vector<Study>& studies) {
  if (studies.empty()) throw UsageError("no study to merge");
  Study merged = studies.front();
  for (std::size_t i = 1; i < studies.size(); ++i) {
    const auto& s = studies[i];
    if (s.job != merged.job || s.mode != merged.mode) {
      throw UsageError("cannot merge a " + to_string(s.mode) + " study of " +
                       quote_for_message(s.job) + " with a " + to_string(merged.mode) +
                       " study of " + quote_for_message(merged.job) +
                       " (hpar plot --overlay draws them side by side)");
    }
    merged.complete = merged.complete && s.complete;
    merged.label += ", " + s.label;
    for (const auto& p : s.points) {
      const auto same = [&](const ScalingPoint& q) { return same_layout(p, q); };
      const auto it = std::find_if(merged.points.begin(), merged.points.end(), same);
      if (it == merged.points.end()) {
        merged.points.push_back(p);
        continue;
      }
      it->seconds.insert(it->seconds.end(), p.seconds.begin(), p.seconds.end());
      it->failed = it->failed || p.failed;
      it->trusted = it->trusted && p.trusted;
    }
    for (const auto& a : s.absent) merged.absent.push_back(a);
  }
  std::erase_if(merged.absent, [&](const ScalingPoint& a) {
    return std::any_of(merged.points.begin(), merged.points.end(),
                       [&](const ScalingPoint& p) { return same_layout(a, p); });
  });
  return merged;
}

nlohmann::json analysis_json(const std::vector<ScalingPoint>& points,
                             const ScalingAnalysis& analysis) {
  nlohmann::json out;
  out["baseline"] = {{"ranks", points[analysis.baseline].ranks},
                     {"threads", points[analysis.baseline].threads},
                     {"schedule", points[analysis.baseline].schedule},
                     {"seconds", analysis.points[analysis.baseline].median}};
  nlohmann::json fits = nlohmann::json::array();
  for (const auto& f : analysis.fits) {
    fits.push_back({{"model", f.model},
                    {"schedule", f.schedule},
                    {"serial_fraction", f.serial_fraction},
                    {"r_squared", optional_json(f.r_squared)},
                    {"at_bound", f.at_bound},
                    {"quality", f.quality()},
                    {"speedup_limit", optional_json(f.speedup_limit())},
                    {"points", f.points},
                    {"core_counts", f.core_counts}});
  }
  out["fits"] = fits;
  nlohmann::json fastest = nlohmann::json::array();
  for (const auto& r : analysis.ranking) {
    nlohmann::json layouts = nlohmann::json::array();
    for (const auto i : r.points) {
      layouts.push_back({{"ranks", points[i].ranks},
                         {"threads", points[i].threads},
                         {"schedule", points[i].schedule},
                         {"seconds", analysis.points[i].median}});
    }
    fastest.push_back({{"cores", r.cores}, {"layouts", layouts}});
  }
  out["fastest_per_core_count"] = fastest;
  return out;
}

}  // namespace hpar
