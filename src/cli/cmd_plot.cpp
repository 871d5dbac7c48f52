// `hpar plot STUDY.json [MORE.json ...] -o FILE.png`: draws saved scaling studies (merged when
// several: same job and mode, distinct layouts) with gnuplot, like `hpar scale --plot`. The
// speedups are recomputed from the measured times, so merged studies share one baseline.

#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/engine/engine.hpp"
#include "hpar/study/plot.hpp"
#include "hpar/study/scaling.hpp"

namespace po = boost::program_options;

namespace hpar {
namespace {

po::options_description plot_options() {
  po::options_description d("Plot options");
  d.add_options()("output,o", po::value<std::string>()->value_name("FILE.png"),
                  "the PNG file to write (required)")("help", "show this help");
  return d;
}

Study read_study(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read study '" + path + "'");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(path + " is not JSON: " + e.what());
  }
  return study_from_json(doc, path);
}

}  // namespace

int plot_command(const boost::mpi::communicator& world, std::span<const std::string> args) {
  po::variables_map vm;
  std::exception_ptr failure;
  try {
    po::options_description all = plot_options();
    all.add_options()("study", po::value<std::vector<std::string>>(), "study files");
    po::positional_options_description positional;
    positional.add("study", -1);
    try {
      po::store(po::command_line_parser(std::vector<std::string>(args.begin(), args.end()))
                    .options(all)
                    .positional(positional)
                    .run(),
                vm);
      po::notify(vm);
    } catch (const po::error& e) {
      throw UsageError(e.what());
    }
    if (vm.count("help") == 0U) {
      if (vm.count("study") == 0U) throw UsageError("name a study file (from 'hpar scale --json')");
      if (vm.count("output") == 0U) throw UsageError("'hpar plot' needs -o FILE.png");
    }
  } catch (...) {
    failure = std::current_exception();
  }
  agree(world, failure);
  if (vm.count("help") != 0U) {
    if (world.rank() == 0) {
      std::cout << "hpar plot STUDY.json [MORE.json ...] -o FILE.png: speedup and efficiency "
                   "against cores, drawn by gnuplot\n\n"
                << plot_options();
    }
    return 0;
  }
  if (world.rank() == 0) {
    try {
      std::vector<Study> studies;
      for (const auto& path : vm["study"].as<std::vector<std::string>>()) {
        studies.push_back(read_study(path));
      }
      const Study study = merge_studies(studies);
      const auto out = vm["output"].as<std::string>();
      plot_study(study, out);
      std::cout << "wrote " << out << " (" << study.points.size() << " points of a "
                << to_string(study.mode) << " scaling study of " << study.job << ")\n";
    } catch (...) {
      failure = std::current_exception();
    }
  }
  agree(world, failure);
  return 0;
}

}  // namespace hpar
