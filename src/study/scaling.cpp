#include "hpar/study/scaling.hpp"

#include <algorithm>
#include <cmath>
#include <map>
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

nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

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
  // Linear least squares of T = a + b x with x = 1/c.
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
  if (a + b <= 0.0) throw std::invalid_argument("the Amdahl fit predicts no time at one core");
  ScalingFit fit;
  fit.model = "amdahl";
  fit.serial_fraction = a / (a + b);
  fit.one_core_seconds = a + b;
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
  ScalingFit fit;
  fit.model = "gustafson";
  fit.serial_fraction = sxy / sxx;
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
  // Baseline: the fastest point among those with the fewest cores.
  for (std::size_t i = 1; i < points.size(); ++i) {
    const auto& best = points[a.baseline];
    if (points[i].cores() < best.cores() ||
        (points[i].cores() == best.cores() && a.points[i].median < a.points[a.baseline].median)) {
      a.baseline = i;
    }
  }
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
  // One fit per schedule, in the order schedules first appear.
  std::vector<std::string> schedules;
  for (const auto& p : points) {
    if (std::find(schedules.begin(), schedules.end(), p.schedule) == schedules.end()) {
      schedules.push_back(p.schedule);
    }
  }
  for (const auto& schedule : schedules) {
    std::vector<std::pair<int, double>> pairs;
    for (std::size_t i = 0; i < points.size(); ++i) {
      if (points[i].schedule != schedule) continue;
      pairs.emplace_back(points[i].cores(),
                         mode == ScalingMode::strong ? a.points[i].median : a.points[i].speedup);
    }
    if (distinct_cores(pairs) < 2) continue;
    try {
      ScalingFit fit = mode == ScalingMode::strong ? fit_amdahl(pairs) : fit_gustafson(pairs);
      fit.schedule = schedule;
      a.fits.push_back(fit);
    } catch (const std::invalid_argument&) {
      // Times that no positive Amdahl law explains: no fit is reported for this schedule.
    }
  }
  // Ranking per core count, fastest first.
  std::map<int, std::vector<std::size_t>> by_cores;
  for (std::size_t i = 0; i < points.size(); ++i) by_cores[points[i].cores()].push_back(i);
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
    for (const auto& p : doc.at("points")) {
      ScalingPoint point;
      point.ranks = p.at("ranks").get<int>();
      point.threads = p.at("threads").get<int>();
      point.schedule = p.at("schedule").get<std::string>();
      point.seconds = p.at("seconds").get<std::vector<double>>();
      if (point.ranks < 1 || point.threads < 1 || point.seconds.empty() ||
          std::any_of(point.seconds.begin(), point.seconds.end(),
                      [](double t) { return !(t > 0.0) || !std::isfinite(t); })) {
        throw UsageError(source + ": a point has bad ranks, threads or times");
      }
      s.points.push_back(std::move(point));
    }
    if (s.points.empty()) throw UsageError(source + ": the study has no points");
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(source + ": not a valid study: " + e.what());
  }
}

Study merge_studies(const std::vector<Study>& studies) {
  if (studies.empty()) throw UsageError("no study to merge");
  Study merged = studies.front();
  std::set<std::tuple<int, int, std::string>> seen;
  for (const auto& p : merged.points) seen.emplace(p.ranks, p.threads, p.schedule);
  for (std::size_t i = 1; i < studies.size(); ++i) {
    const auto& s = studies[i];
    if (s.job != merged.job || s.mode != merged.mode) {
      throw UsageError("cannot merge a " + to_string(s.mode) + " study of " +
                       quote_for_message(s.job) + " with a " + to_string(merged.mode) +
                       " study of " + quote_for_message(merged.job));
    }
    for (const auto& p : s.points) {
      if (!seen.emplace(p.ranks, p.threads, p.schedule).second) {
        throw UsageError("layout " + std::to_string(p.ranks) + "x" + std::to_string(p.threads) +
                         " " + p.schedule + " appears in more than one study");
      }
      merged.points.push_back(p);
    }
  }
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
