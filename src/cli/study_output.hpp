// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// What the commands that make a study (scale, collect, sweep) share on the command line: the
// options that ask for its files, showing it (the table, then those files), and the progress
// line of a point.

#include <boost/program_options.hpp>

#include "hpar/study/study.hpp"

namespace hpar {

/// Adds --csv FILE, --json FILE and --plot FILE.png (the files of a study) to `options`.
void add_study_file_options(boost::program_options::options_description& options);

/// Rank 0: prints the study's table on stdout, then writes the files that `vm` asks for (CSV,
/// JSON, a plot drawn by gnuplot), each atomically; after a stop signal the files not yet
/// begun are left out (with a note). Throws what writing or drawing throws.
void show_study(const StudyRecord& study, const ScalingAnalysis& analysis, const TableWords& words,
                const boost::program_options::variables_map& vm);

/// "hpar: point i/n done: R ranks x T threads (SCHEDULE), median M s of K, VERDICT; E elapsed,
/// about L left" on stderr, for the i-th (from 0) of n points, `fraction_done` of the expected
/// time of the whole study being behind; with `rate`, "median rate R" (R = 1 / the time).
void print_point_progress(std::size_t i, std::size_t n, const StudyPoint& point, double elapsed,
                          double fraction_done, bool rate = false);

}  // namespace hpar
