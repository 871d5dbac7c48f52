#pragma once
/// Plots of a scaling study, drawn by gnuplot (a child process running a generated script):
/// speedup against cores with the ideal line and the fitted law, and parallel efficiency,
/// one series per threads-per-rank (and schedule). No drawing code of our own.

#include <string>

#include "hpar/study/scaling.hpp"

namespace hpar {

/// The gnuplot script that draws `study` into `png_path` (data inline). Pure: for tests.
[[nodiscard]] std::string gnuplot_script(const Study& study, const ScalingAnalysis& analysis,
                                         const std::string& png_path);

/// Draws `study` into the PNG file `path`, atomically: gnuplot writes a temporary file in the
/// same directory, which is checked for the PNG signature and renamed. Throws RuntimeError when
/// gnuplot is missing or fails (with its first error line), UsageError when `path` cannot be
/// written.
void plot_study(const Study& study, const std::string& path);

}  // namespace hpar
