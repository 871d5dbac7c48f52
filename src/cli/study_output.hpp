#pragma once
// What the commands that make a study (scale, collect) share on the command line: the options
// that ask for its files, and showing it (the table, then those files).

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

}  // namespace hpar
