// SPDX-License-Identifier: BSD-3-Clause
#include "study_output.hpp"

#include <iostream>

#include "hpar/cli/options.hpp"
#include "hpar/core/format.hpp"
#include "hpar/core/program.hpp"
#include "hpar/engine/signals.hpp"
#include "hpar/observe/progress.hpp"
#include "hpar/study/plot.hpp"

namespace po = boost::program_options;

namespace hpar {

void add_study_file_options(po::options_description& options) {
  options.add_options()("csv", po::value<std::string>()->value_name("FILE"),
                        "also write the table as CSV")(
      "json", po::value<std::string>()->value_name("FILE"),
      "also write the study as JSON (schema hpar-study/1, with every point's report; "
      "'hpar plot' reads it)")("plot", po::value<std::string>()->value_name("FILE.png"),
                               "draw time, speedup and efficiency against cores with gnuplot "
                               "(FILE.png, FILE.svg or FILE.pdf)");
}

void show_study(const StudyRecord& study, const ScalingAnalysis& analysis, const TableWords& words,
                const po::variables_map& vm) {
  print_study_table(std::cout, study, analysis, words);
  std::cout.flush();
  write_if_asked(vm, "csv", [&] { return study_csv(study, analysis); });
  write_if_asked(vm, "json", [&] { return study_json(study, analysis).dump(2) + "\n"; });
  if (vm.count("plot") != 0U && !stop_requested()) {
    // Drawn from the study's document, so that the plot shows what the JSON says (untrusted
    // points, failed layouts, a stop).
    plot_study(study_from_json(study_json(study, analysis), "the study"),
               vm["plot"].as<std::string>());
  }
  if (stop_requested()) {
    std::cerr << program_name()
              << ": note: stopped by a signal while the study's files were written: those "
                 "not begun by then were not written\n";
  }
}

void print_point_progress(std::size_t i, std::size_t n, const StudyPoint& point, double elapsed,
                          double fraction_done, bool rate) {
  const ScalingPoint times = point.scaling();
  std::cerr << program_name() + ": point " << i + 1 << "/" << n << " done: " << point.ranks
            << (point.ranks == 1 ? " rank x " : " ranks x ") << point.threads
            << (point.threads == 1 ? " thread" : " threads") << " (" << point.schedule
            << "), median "
            << (rate ? "rate " + std::to_string(1.0 / median(times.seconds))
                     : format_fixed(median(times.seconds), 3) + " s")
            << " of " << times.seconds.size() << ", " << point.verification() << "; "
            << human_duration(elapsed) << " elapsed";
  if (i + 1 < n && fraction_done > 0.0) {
    std::cerr << ", about " << human_duration(elapsed * (1.0 - fraction_done) / fraction_done)
              << " left";
  }
  std::cerr << std::endl;
}

}  // namespace hpar
