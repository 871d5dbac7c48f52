// SPDX-License-Identifier: BSD-3-Clause
// `hpar plot STUDY.json [MORE.json ...] -o FILE.png|.svg|.pdf [--overlay]`: draws saved scaling
// studies with gnuplot, like `hpar scale --plot`. Several studies are merged as `hpar collect`
// merges reports (same job and mode; a layout in several: its runs joined), so that they share
// one baseline; with --overlay each is drawn as its own series with its own baseline (two
// machines, two builds). The speedups are recomputed from the measured times.

#include <boost/program_options.hpp>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "hpar/cli/options.hpp"
#include "hpar/cli/steps.hpp"
#include "hpar/comm/steps.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/files.hpp"
#include "hpar/engine/engine.hpp"
#include "hpar/study/plot.hpp"
#include "hpar/study/scaling.hpp"
#include "hpar/study/study.hpp"

namespace po = boost::program_options;

namespace hpar {
namespace {

po::options_description plot_options() {
  po::options_description d("Plot options");
  d.add_options()("output,o", po::value<std::string>()->value_name("FILE"),
                  "the image to write (required): FILE.png, FILE.svg or FILE.pdf; - for a PNG "
                  "on standard output")(
      "overlay",
      "draw each study as series of its own (its own baseline), named by its file, "
      "instead of merging them into one study")("help", "show this help");
  return d;
}

Study read_study(const std::string& path) {
  return study_from_json(read_json_file(path, "study "), path);
}

}  // namespace

int plot_command(const boost::mpi::communicator& world, std::span<const std::string> args) {
  const ParsedOptions parsed = on_every_rank(world, [&] {
    ParsedOptions p = parse_options(args, plot_options(), {.words = true});
    if (p.vm.count("help") == 0U) {
      if (p.words.empty()) throw UsageError("name a study file (from 'hpar scale --json')");
      if (p.vm.count("output") == 0U) throw UsageError("'hpar plot' needs -o FILE.png");
    }
    return p;
  });
  if (parsed.vm.count("help") != 0U) {
    if (world.rank() == 0) {
      std::cout << "hpar plot STUDY.json [MORE.json ...] -o FILE.png|.svg|.pdf [--overlay]: time, "
                   "speedup and efficiency against cores, drawn by gnuplot\n\n"
                << plot_options();
    }
    return 0;
  }
  on_root(world, [&] {
    std::vector<Study> studies;
    for (const auto& path : parsed.words) studies.push_back(read_study(path));
    if (parsed.vm.count("overlay") == 0U) studies = {merge_studies(studies)};
    std::size_t points = 0;
    for (const auto& s : studies) points += s.points.size();
    const auto out = parsed.vm["output"].as<std::string>();
    AtomicFile file(out);  // a path that cannot be written is refused before gnuplot runs
    const ImageFormat format = image_format_for(out);
    std::string png;
    try {
      png = plot_image(studies, format);
    } catch (const RuntimeError&) {
      if (!stop_requested()) throw;  // else gnuplot got the same Ctrl-C: a stop, not a failure
    }
    if (stop_requested()) {
      throw Error(ExitCode::interrupted,
                  "stopped by a signal: " + quote_for_message(out) + " not written");
    }
    file.write(png);
    file.commit();
    // With -o - the image is standard output: the note goes to stderr, not into the PNG.
    (out == "-" ? std::cerr : std::cout)
        << "wrote " << one_line_message(out, 200) << " (" << points << " points of "
        << (studies.size() == 1 ? "a " : std::to_string(studies.size()) + " overlaid ")
        << to_string(studies.front().mode) << " scaling stud" << (studies.size() == 1 ? "y" : "ies")
        << " of " << studies.front().job << ")\n";
  });
  return stopped_after(
      world, 0,
      quote_for_message(parsed.vm["output"].as<std::string>()) + " was written before it came");
}

}  // namespace hpar
