// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Plots of a scaling study, drawn by gnuplot (a child process running a generated script):
/// speedup against cores with the ideal line and the fitted law, and parallel efficiency,
/// one series per threads-per-rank (and schedule). No drawing code of our own.

#include <string>

#include "hpar/study/scaling.hpp"

namespace hpar {

/// The gnuplot script that draws `study` into `png_path` (data inline), or onto gnuplot's
/// standard output when `png_path` is empty. Pure: for tests.
[[nodiscard]] std::string gnuplot_script(const Study& study, const ScalingAnalysis& analysis,
                                         const std::string& png_path);

/// The PNG image of `study`, drawn by gnuplot (the script on its standard input, the image on
/// its standard output, both in temporary files without a name: nothing is left behind however
/// the run ends) and checked for the PNG signature. Throws RuntimeError when gnuplot is missing
/// or fails (with its first error line).
[[nodiscard]] std::string plot_png(const Study& study);

/// Draws `study` into the PNG file `path` ("-": standard output) through AtomicFile. Throws
/// UsageError when `path` cannot be written (before gnuplot runs), and what plot_png throws.
void plot_study(const Study& study, const std::string& path);

}  // namespace hpar
