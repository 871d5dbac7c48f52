// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Plots of scaling studies, drawn by gnuplot (a child process running a generated script):
/// three panels against cores (time, speedup with the ideal line and the fitted law where it
/// means something, parallel efficiency), one series per threads-per-rank (and schedule, and
/// study when several are overlaid). Untrusted points are hollow and named, failed layouts are
/// marked on the axis, a stopped study says so in the title, and the legend sits outside the
/// data. PNG, SVG or PDF. No drawing code of our own.

#include <string>
#include <vector>

#include "hpar/study/scaling.hpp"

namespace hpar {

enum class ImageFormat { png, svg, pdf };

/// The format a file name asks for by its extension (.png, .svg, .pdf; "-": PNG). Throws
/// UsageError on any other.
[[nodiscard]] ImageFormat image_format_for(const std::string& path);

/// The gnuplot script that draws `studies` (each its own series, overlaid) into `path` (data
/// inline), or onto gnuplot's standard output when `path` is empty. Pure: for tests.
[[nodiscard]] std::string gnuplot_script(const std::vector<Study>& studies, ImageFormat format,
                                         const std::string& path);

/// The image of `studies`, drawn by gnuplot (the script on its standard input, the image on
/// its standard output, both in temporary files without a name: nothing is left behind however
/// the run ends) and checked for the format's signature. Throws RuntimeError when gnuplot is
/// missing or fails (with its first error line).
[[nodiscard]] std::string plot_image(const std::vector<Study>& studies, ImageFormat format);

/// Draws `study` into the file `path` ("-": standard output) through AtomicFile, in the format
/// its extension names. Throws UsageError when `path` cannot be written or names no format
/// (before gnuplot runs), and what plot_image throws.
void plot_study(const Study& study, const std::string& path);

}  // namespace hpar
