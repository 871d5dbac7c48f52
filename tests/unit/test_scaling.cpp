// SPDX-License-Identifier: BSD-3-Clause
// Scaling analysis against hand-computed tables and synthetic timings with known laws.

#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "hpar/core/errors.hpp"
#include "hpar/study/plot.hpp"
#include "hpar/study/scaling.hpp"

using namespace hpar;

namespace {

ScalingPoint point(int ranks, int threads, std::vector<double> seconds,
                   std::string schedule = "static") {
  ScalingPoint p;
  p.ranks = ranks;
  p.threads = threads;
  p.schedule = std::move(schedule);
  p.seconds = std::move(seconds);
  return p;
}

/// Amdahl's law: T(c) = T1 (f + (1 - f) / c).
double amdahl_time(double t1, double f, int c) {
  return t1 * (f + (1.0 - f) / c);
}

}  // namespace

TEST(Scaling, MedianOfOddAndEvenCounts) {
  EXPECT_DOUBLE_EQ(median({3.0, 1.0, 2.0}), 2.0);
  EXPECT_DOUBLE_EQ(median({4.0, 1.0, 3.0, 2.0}), 2.5);
  EXPECT_THROW((void)median({}), std::invalid_argument);
}

TEST(Scaling, KarpFlattByHand) {
  // e = (1/S - 1/c) / (1 - 1/c), worked out on paper.
  EXPECT_NEAR(*karp_flatt(1.8, 2), (1 / 1.8 - 0.5) / 0.5, 1e-15);
  EXPECT_NEAR(*karp_flatt(1.8, 2), 0.111111111111, 1e-12);
  EXPECT_NEAR(*karp_flatt(3.0, 4), 0.111111111111, 1e-12);
  EXPECT_NEAR(*karp_flatt(6.4, 8), 0.035714285714, 1e-12);  // (0.15625 - 0.125) / 0.875
  EXPECT_NEAR(*karp_flatt(4.0, 4), 0.0, 1e-15);             // ideal: no serial part
  EXPECT_FALSE(karp_flatt(1.0, 1).has_value());
}

TEST(Scaling, AmdahlFitRecoversTheSerialFraction) {
  std::vector<std::pair<int, double>> data;
  for (const int c : {1, 2, 4, 8, 16}) data.emplace_back(c, amdahl_time(12.0, 0.05, c));
  const auto fit = fit_amdahl(data);
  EXPECT_EQ(fit.model, "amdahl");
  EXPECT_NEAR(fit.serial_fraction, 0.05, 1e-12);
  EXPECT_NEAR(fit.one_core_seconds, 12.0, 1e-10);
  ASSERT_TRUE(fit.r_squared.has_value());
  EXPECT_NEAR(*fit.r_squared, 1.0, 1e-12);
  EXPECT_EQ(fit.points, 5);
  EXPECT_EQ(fit.core_counts, 5);
}

TEST(Scaling, AmdahlFitWithNoiseStaysClose) {
  // +-2 % deterministic noise on each time: the fit still lands near f = 0.2, R^2 high.
  const double noise[] = {1.02, 0.98, 1.01, 0.99, 1.015, 0.985};
  std::vector<std::pair<int, double>> data;
  int k = 0;
  for (const int c : {1, 2, 2, 4, 4, 8})
    data.emplace_back(c, amdahl_time(5.0, 0.2, c) * noise[k++]);
  const auto fit = fit_amdahl(data);
  EXPECT_NEAR(fit.serial_fraction, 0.2, 0.02);
  EXPECT_GT(*fit.r_squared, 0.99);
  EXPECT_EQ(fit.core_counts, 4);
}

TEST(Scaling, AmdahlFitNeedsTwoCoreCounts) {
  EXPECT_THROW((void)fit_amdahl({{2, 1.0}, {2, 1.1}}), std::invalid_argument);
  const auto exact = fit_amdahl({{1, 2.0}, {2, 1.2}});  // two points: exact, no R^2
  EXPECT_NEAR(exact.serial_fraction, 0.2, 1e-12);       // a + b = 2, a + b/2 = 1.2 -> a = 0.4
  EXPECT_FALSE(exact.r_squared.has_value());
}

TEST(Scaling, GustafsonFitRecoversTheSerialFraction) {
  std::vector<std::pair<int, double>> data;
  for (const int c : {1, 2, 4, 8}) data.emplace_back(c, c - 0.1 * (c - 1));
  const auto fit = fit_gustafson(data);
  EXPECT_EQ(fit.model, "gustafson");
  EXPECT_NEAR(fit.serial_fraction, 0.1, 1e-12);
  EXPECT_NEAR(*fit.r_squared, 1.0, 1e-12);
  EXPECT_THROW((void)fit_gustafson({{1, 1.0}}), std::invalid_argument);
}

TEST(Scaling, StrongStudyTableByHand) {
  const std::vector<ScalingPoint> points{point(1, 1, {10.0, 11.0, 9.0}), point(1, 2, {5.5}),
                                         point(2, 1, {6.0}), point(2, 2, {3.2})};
  const auto a = analyze_scaling(ScalingMode::strong, points);
  EXPECT_EQ(a.baseline, 0U);
  EXPECT_DOUBLE_EQ(a.points[0].median, 10.0);
  EXPECT_DOUBLE_EQ(a.points[0].spread, 0.2);  // (11 - 9) / 10
  EXPECT_DOUBLE_EQ(a.points[0].speedup, 1.0);
  EXPECT_FALSE(a.points[0].karp_flatt.has_value());
  EXPECT_NEAR(a.points[1].speedup, 10.0 / 5.5, 1e-15);
  EXPECT_NEAR(a.points[1].efficiency, 10.0 / 11.0, 1e-15);
  EXPECT_NEAR(*a.points[1].karp_flatt, 0.1, 1e-12);  // (0.55 - 0.5) / 0.5
  EXPECT_NEAR(a.points[2].speedup, 10.0 / 6.0, 1e-15);
  EXPECT_NEAR(*a.points[2].karp_flatt, 0.2, 1e-12);  // (0.6 - 0.5) / 0.5
  EXPECT_NEAR(a.points[3].speedup, 3.125, 1e-15);
  EXPECT_NEAR(*a.points[3].karp_flatt, (0.32 - 0.25) / 0.75, 1e-12);
  // Ranking: 1, 2 (1x2 before 2x1) and 4 cores.
  ASSERT_EQ(a.ranking.size(), 3U);
  EXPECT_EQ(a.ranking[1].cores, 2);
  EXPECT_EQ(a.ranking[1].points, (std::vector<std::size_t>{1, 2}));
  ASSERT_EQ(a.fits.size(), 1U);
  EXPECT_EQ(a.fits[0].points, 4);
}

TEST(Scaling, BaselineWithoutAOneCorePoint) {
  const auto a = analyze_scaling(ScalingMode::strong, {point(4, 1, {2.5}), point(2, 1, {4.0})});
  EXPECT_EQ(a.baseline, 1U);
  EXPECT_DOUBLE_EQ(a.points[1].speedup, 2.0);            // 2 cores x 4 s / 4 s
  EXPECT_DOUBLE_EQ(a.points[0].speedup, 2 * 4.0 / 2.5);  // 3.2
  EXPECT_DOUBLE_EQ(a.points[0].efficiency, 0.8);
}

TEST(Scaling, WeakStudyRecoversGustafson) {
  // Scaled speedup S(c) = c T1 / T(c) = c - 0.25 (c - 1)  ->  T(c) = c T1 / S(c).
  std::vector<ScalingPoint> points;
  for (const int c : {1, 2, 4, 8}) points.push_back(point(c, 1, {c * 2.0 / (c - 0.25 * (c - 1))}));
  const auto a = analyze_scaling(ScalingMode::weak, points);
  EXPECT_NEAR(a.points[3].speedup, 8 - 0.25 * 7, 1e-12);
  EXPECT_NEAR(a.points[3].efficiency, (8 - 0.25 * 7) / 8, 1e-12);
  ASSERT_EQ(a.fits.size(), 1U);
  EXPECT_EQ(a.fits[0].model, "gustafson");
  EXPECT_NEAR(a.fits[0].serial_fraction, 0.25, 1e-12);
}

TEST(Scaling, OneFitPerSchedule) {
  std::vector<ScalingPoint> points;
  for (const int c : {1, 2, 4}) {
    points.push_back(point(c, 1, {amdahl_time(8.0, 0.1, c)}, "static"));
    points.push_back(point(c, 1, {amdahl_time(8.0, 0.3, c)}, "dynamic"));
  }
  const auto a = analyze_scaling(ScalingMode::strong, points);
  ASSERT_EQ(a.fits.size(), 2U);
  EXPECT_EQ(a.fits[0].schedule, "static");
  EXPECT_NEAR(a.fits[0].serial_fraction, 0.1, 1e-12);
  EXPECT_EQ(a.fits[1].schedule, "dynamic");
  EXPECT_NEAR(a.fits[1].serial_fraction, 0.3, 1e-12);
}

TEST(Scaling, PowersOfTwo) {
  EXPECT_EQ(powers_of_two_up_to(1), (std::vector<int>{1}));
  EXPECT_EQ(powers_of_two_up_to(6), (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(powers_of_two_up_to(8), (std::vector<int>{1, 2, 4, 8}));
}

TEST(Scaling, ModeNames) {
  EXPECT_EQ(parse_scaling_mode("strong"), ScalingMode::strong);
  EXPECT_EQ(to_string(parse_scaling_mode("weak")), "weak");
  EXPECT_THROW((void)parse_scaling_mode("medium"), UsageError);
}

namespace {

nlohmann::json study_doc(const std::string& job, const std::string& mode,
                         const std::vector<std::tuple<int, int, double>>& layouts) {
  nlohmann::json points = nlohmann::json::array();
  for (const auto& [r, t, s] : layouts) {
    points.push_back({{"ranks", r}, {"threads", t}, {"schedule", "static"}, {"seconds", {s}}});
  }
  return {{"schema", "hpar-study/1"}, {"job", job}, {"mode", mode}, {"points", points}};
}

}  // namespace

TEST(Scaling, StudyDocumentsAreCheckedAndMerged) {
  const auto a = study_from_json(study_doc("pi", "strong", {{1, 1, 2.0}, {1, 2, 1.0}}), "a.json");
  EXPECT_EQ(a.job, "pi");
  EXPECT_EQ(a.points.size(), 2U);
  const auto b = study_from_json(study_doc("pi", "strong", {{2, 1, 1.1}}), "b.json");
  const auto merged = merge_studies({a, b});
  EXPECT_EQ(merged.points.size(), 3U);
  // The same layout in two studies: its runs are the repetitions of one point (as collect).
  const auto twice = merge_studies({a, a});
  ASSERT_EQ(twice.points.size(), 2U);
  EXPECT_EQ(twice.points[0].seconds, (std::vector<double>{2.0, 2.0}));
  const auto c = study_from_json(study_doc("mandelbrot", "strong", {{2, 1, 1.1}}), "c.json");
  EXPECT_THROW((void)merge_studies({a, c}), UsageError);
  auto wrong = study_doc("pi", "strong", {{1, 1, 2.0}});
  wrong["schema"] = "hpar-report/1";
  EXPECT_THROW((void)study_from_json(wrong, "w.json"), UsageError);
  EXPECT_THROW((void)study_from_json(study_doc("pi", "strong", {{1, 1, -1.0}}), "n.json"),
               UsageError);
  EXPECT_THROW((void)study_from_json(nlohmann::json{{"schema", "hpar-study/1"}}, "e.json"),
               UsageError);
}

TEST(Scaling, AnalysisJsonNamesTheFastestLayout) {
  const std::vector<ScalingPoint> points{point(1, 1, {4.0}), point(2, 1, {2.4}),
                                         point(1, 2, {2.1})};
  const auto j = analysis_json(points, analyze_scaling(ScalingMode::strong, points));
  EXPECT_EQ(j["fastest_per_core_count"][1]["cores"], 2);
  EXPECT_EQ(j["fastest_per_core_count"][1]["layouts"][0]["threads"], 2);
  EXPECT_EQ(j["fits"][0]["model"], "amdahl");
  EXPECT_EQ(j["baseline"]["ranks"], 1);
}

TEST(Plot, ScriptHasDataIdealLineAndQuotedPath) {
  Study s;
  s.job = "pi";
  s.points = {point(1, 1, {4.0}), point(2, 1, {2.2}), point(1, 2, {2.1}), point(2, 2, {1.2})};
  const auto script = gnuplot_script({s}, ImageFormat::png, "it's.png");
  EXPECT_NE(script.find("set output 'it''s.png'"), std::string::npos) << script;
  EXPECT_NE(script.find("plot x with lines"), std::string::npos);
  EXPECT_NE(script.find("'1 thread/rank'"), std::string::npos);
  EXPECT_NE(script.find("'2 threads/rank'"), std::string::npos);
  EXPECT_NE(script.find("Amdahl fit"), std::string::npos);
  EXPECT_NE(script.find("\n1 1 100 1 1 1 100 100 4 4 4 1 0\n"), std::string::npos) << script;
  // Three panels, the legend outside the data, time in its own panel.
  EXPECT_NE(script.find("set multiplot layout 1,3"), std::string::npos);
  EXPECT_NE(script.find("set key outside below"), std::string::npos);
  EXPECT_EQ(script.find("set key bottom"), std::string::npos);
  EXPECT_NE(script.find("set ylabel 'time (s)'"), std::string::npos);
  EXPECT_EQ(script.find("\nset logscale"), std::string::npos) << "linear below 8 cores";
}

TEST(Plot, SpeedupIsLogLogOrLinearNeverMixed) {
  Study s;
  s.job = "pi";
  s.points = {point(1, 1, {8.0}), point(2, 1, {4.1}), point(4, 1, {2.2}), point(8, 1, {1.3})};
  const auto script = gnuplot_script({s}, ImageFormat::svg, "");
  EXPECT_NE(script.find("set terminal svg"), std::string::npos);
  const auto speedup = script.find("set ylabel 'speedup'");
  ASSERT_NE(speedup, std::string::npos);
  const auto scale = script.find("logscale", speedup);
  EXPECT_EQ(script.substr(scale, 14), "logscale xy 2\n") << script.substr(speedup, 200);
}

TEST(Plot, UntrustedHollowFailedOnTheAxisStoppedInTheTitle) {
  Study s;
  s.job = "pi";
  s.complete = false;
  s.points = {point(1, 1, {4.0}), point(2, 1, {2.2}), point(4, 1, {1.3})};
  s.points[1].trusted = false;
  s.points[2].failed = true;
  ScalingPoint absent;
  absent.ranks = 8;
  s.absent = {absent};
  const auto script = gnuplot_script({s}, ImageFormat::png, "");
  EXPECT_NE(script.find("STOPPED before its last point"), std::string::npos);
  EXPECT_NE(script.find("pointtype 6"), std::string::npos) << "untrusted points are hollow";
  EXPECT_NE(script.find("not to be trusted: 2x1 static"), std::string::npos) << script;
  EXPECT_NE(script.find("$failed using 1:(0) with points pointtype 2"), std::string::npos)
      << script;
  EXPECT_NE(script.find("4x1 static (wrong answer)"), std::string::npos);
  EXPECT_NE(script.find("8x1 static (no launch succeeded)"), std::string::npos);
  EXPECT_NE(script.find("$failed << EOD\n4\n8\nEOD"), std::string::npos) << script;
}

TEST(Plot, AFitAtItsBoundIsNotDrawnButNamed) {
  Study s;
  s.job = "serial";
  // No speedup at all: the serial fraction is 1, at the bound of the fit.
  s.points = {point(1, 1, {4.0}), point(2, 1, {4.0}), point(4, 1, {4.1})};
  const auto script = gnuplot_script({s}, ImageFormat::png, "");
  EXPECT_EQ(script.find("Amdahl fit"), std::string::npos) << script;
  EXPECT_NE(script.find("no Amdahl curve for static"), std::string::npos) << script;
}

TEST(Plot, StudiesOverlaidEachWithItsOwnSeries) {
  Study a;
  a.job = "pi";
  a.label = "a.json";
  a.points = {point(1, 1, {4.0}), point(2, 1, {2.2})};
  Study b = a;
  b.label = "b.json";
  b.points = {point(1, 1, {3.0}), point(2, 1, {1.6})};
  const auto script = gnuplot_script({a, b}, ImageFormat::pdf, "x.pdf");
  EXPECT_NE(script.find("set terminal pdfcairo"), std::string::npos);
  EXPECT_NE(script.find("'a.json: 1 thread/rank'"), std::string::npos) << script;
  EXPECT_NE(script.find("'b.json: 1 thread/rank'"), std::string::npos);
  EXPECT_NE(script.find("2 studies overlaid"), std::string::npos);
  Study weak = a;
  weak.mode = ScalingMode::weak;
  EXPECT_THROW((void)gnuplot_script({a, weak}, ImageFormat::png, ""), UsageError);
  EXPECT_EQ(image_format_for("p.svg"), ImageFormat::svg);
  EXPECT_EQ(image_format_for("-"), ImageFormat::png);
  EXPECT_THROW((void)image_format_for("p.jpg"), UsageError);
}

TEST(Plot, GnuplotWritesAPngAtomically) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("hpar-plot-test-" + std::to_string(getpid()));
  fs::create_directories(dir);
  Study s;
  s.job = "pi";
  s.host = "testhost";
  s.points = {point(1, 1, {4.0, 4.1}), point(2, 1, {2.2, 2.3}), point(1, 2, {2.1, 2.0})};
  const std::string out = (dir / "study.png").string();
  plot_study(s, out);
  std::ifstream in(out, std::ios::binary);
  char head[8] = {};
  in.read(head, 8);
  EXPECT_EQ(std::string(head, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_LT(fs::file_size(out), 200U * 1024U);
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1);  // no temporary file left
  EXPECT_THROW(plot_study(s, (dir / "missing" / "x.png").string()), UsageError);
  fs::remove_all(dir);
}

// Part of "numbers a user can trust": a fit never leaves the physical range of its fraction,
// and a fit that does not explain the times says so instead of giving a speedup limit.

TEST(Scaling, AmdahlFitOfSlowerTimesIsHeldAtOneAndPoor) {
  // A busy machine: more cores, more time. Unconstrained least squares gives a = 2.3,
  // b = -0.3 (f = 115 %); the best fit with b >= 0 is the mean time, f = 1.
  const auto fit = fit_amdahl({{1, 2.0}, {2, 2.1}, {2, 2.2}});
  EXPECT_DOUBLE_EQ(fit.serial_fraction, 1.0);
  EXPECT_TRUE(fit.at_bound);
  EXPECT_NEAR(fit.one_core_seconds, 2.1, 1e-12);  // the mean of the times
  ASSERT_TRUE(fit.r_squared.has_value());
  EXPECT_NEAR(*fit.r_squared, 0.0, 1e-12);  // the mean explains none of the variance
  EXPECT_EQ(fit.quality(), "poor");
  EXPECT_FALSE(fit.speedup_limit().has_value());
}

TEST(Scaling, AmdahlFitOfSuperlinearTimesIsHeldAtZero) {
  // T(c) = 8 / c^1.2: faster than ideal. Best fit with a >= 0 is a = 0, b = sum(x t)/sum(x^2).
  std::vector<std::pair<int, double>> data;
  double sxt = 0.0, sxx = 0.0;
  for (const int c : {1, 2, 4, 8}) {
    const double t = 8.0 / std::pow(c, 1.2);
    data.emplace_back(c, t);
    sxt += t / c;
    sxx += 1.0 / (c * c);
  }
  const auto fit = fit_amdahl(data);
  EXPECT_DOUBLE_EQ(fit.serial_fraction, 0.0);
  EXPECT_TRUE(fit.at_bound);
  EXPECT_NEAR(fit.one_core_seconds, sxt / sxx, 1e-12);
  EXPECT_GT(*fit.r_squared, 0.9);
  EXPECT_EQ(fit.quality(), "good");
  EXPECT_FALSE(fit.speedup_limit().has_value());  // no serial part: no limit in sight
}

TEST(Scaling, FitQualityAndSpeedupLimit) {
  std::vector<std::pair<int, double>> data;
  for (const int c : {1, 2, 4}) data.emplace_back(c, amdahl_time(4.0, 0.25, c));
  const auto good = fit_amdahl(data);
  EXPECT_EQ(good.quality(), "good");
  EXPECT_NEAR(*good.speedup_limit(), 4.0, 1e-9);
  const auto exact = fit_amdahl({{1, 2.0}, {2, 1.2}});
  EXPECT_EQ(exact.quality(), "exact");
  EXPECT_NEAR(*exact.speedup_limit(), 5.0, 1e-9);
  const auto held = fit_amdahl({{1, 2.0}, {2, 2.5}});  // two points, slower: held at 1
  EXPECT_TRUE(held.at_bound);
  EXPECT_EQ(held.quality(), "poor");
  // Scattered times that Amdahl explains badly (R^2 well below 0.9).
  const auto scattered = fit_amdahl({{1, 2.0}, {2, 1.0}, {2, 1.9}, {4, 1.8}, {4, 0.6}});
  EXPECT_LT(*scattered.r_squared, min_fit_r_squared);
  EXPECT_EQ(scattered.quality(), "poor");
  EXPECT_FALSE(scattered.speedup_limit().has_value());
}

TEST(Scaling, GustafsonFractionIsClamped) {
  // Scaled speedups above c (s < 0 unconstrained) and far below (s > 1).
  const auto high = fit_gustafson({{1, 1.0}, {2, 2.2}, {4, 4.5}});
  EXPECT_DOUBLE_EQ(high.serial_fraction, 0.0);
  EXPECT_TRUE(high.at_bound);
  const auto low = fit_gustafson({{1, 1.0}, {2, 0.5}, {4, 0.8}});
  EXPECT_DOUBLE_EQ(low.serial_fraction, 1.0);
  EXPECT_TRUE(low.at_bound);
  EXPECT_FALSE(fit_gustafson({{1, 1.0}, {2, 1.9}}).at_bound);
}

TEST(Scaling, FailedPointsAreNeitherBaselineNorFittedNorRanked) {
  std::vector<ScalingPoint> points{point(1, 1, {4.0}), point(1, 1, {1.0}, "dynamic"),
                                   point(2, 1, {2.1}), point(1, 2, {0.5})};
  points[1].failed = true;  // a fast wrong answer
  points[3].failed = true;
  const auto a = analyze_scaling(ScalingMode::strong, points);
  EXPECT_EQ(a.baseline, 0U);
  EXPECT_NEAR(a.points[2].speedup, 4.0 / 2.1, 1e-12);
  ASSERT_EQ(a.ranking.size(), 2U);
  EXPECT_EQ(a.ranking[0].points, (std::vector<std::size_t>{0}));
  EXPECT_EQ(a.ranking[1].points, (std::vector<std::size_t>{2}));
  ASSERT_EQ(a.fits.size(), 1U);  // static only; dynamic's one point failed
  EXPECT_EQ(a.fits[0].points, 2);
  // Every point failed: the baseline is still chosen, nothing is ranked.
  for (auto& p : points) p.failed = true;
  const auto all = analyze_scaling(ScalingMode::strong, points);
  EXPECT_EQ(all.baseline, 1U);
  EXPECT_TRUE(all.ranking.empty());
  EXPECT_TRUE(all.fits.empty());
}
