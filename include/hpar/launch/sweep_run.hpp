// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// How `hpar sweep` plans, launches and measures: the request (what the command line asked for,
/// already checked), the plan of layouts against the cores, the workspace the launches write
/// in, and the run of every planned point, K launches each, measured (wall time, a figure the
/// program prints, or its own hpar report), checked, and watched for a busy machine. The
/// command in src/cli/cmd_sweep.cpp parses the options into a SweepRequest and reports the
/// SweepState as a study; this layer knows no command line.

#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hpar/core/errors.hpp"
#include "hpar/core/machine.hpp"  // host_name()
#include "hpar/launch/sweep.hpp"
#include "hpar/study/study.hpp"

namespace hpar {

/// How a run's time is taken.
enum class Measure { wall, metric, report };

/// What a sweep launches and how it measures it: the command line's request, checked.
struct SweepRequest {
  std::vector<std::string> program;  ///< PROGRAM [ARG...], placeholders not yet filled in
  std::string name;                  ///< what the study calls the program
  ScalingMode mode = ScalingMode::strong;
  std::vector<int> ranks;        ///< --ranks (empty: not given)
  std::vector<int> threads;      ///< --threads (empty: not given)
  std::vector<int> core_counts;  ///< --core-counts, or the counts of --cores N (empty: neither)
  bool oversubscribe = false;    ///< --oversubscribe: run the layouts that do not fit too
  int repeat = 3;
  SweepLauncher launcher;
  double timeout = 0.0;
  Measure measure = Measure::wall;
  OutputRules rules;
  double same_tolerance = 0.0;    ///< --same-output-tolerance
  std::string stdin_path;         ///< --stdin FILE, absolute; empty: /dev/null
  bool workdir_per_run = false;   ///< --workdir-per-run
  bool metric_is_rate = false;    ///< --metric-kind rate: the figure is a rate (1 / it is timed)
  std::string metric_name;        ///< the NAME= of the first --metric, if any
  std::string metric_unit = "s";  ///< --metric-unit
  std::string logs;  ///< --logs DIR: every launch's output kept there; empty: a temporary one
  std::string json;  ///< --json FILE: failed launches' output and run directories go beside it
};

/// Checks that the launcher can start the program here (installed; srun inside an allocation;
/// mpirun Open MPI's); returns its version line ("" for none and templates). Throws UsageError.
[[nodiscard]] std::string check_launcher(const SweepLauncher& launcher,
                                         const std::filesystem::path& dir);

/// The cores the layouts may use: `nodes` and `cores_per_node` where given, else the Slurm
/// allocation's, else this host's (cores of the CPUs this process may use, from hwloc).
[[nodiscard]] SweepCapacity sweep_capacity(std::optional<int> nodes,
                                           std::optional<int> cores_per_node);

/// A layout to launch, and how.
struct PlannedPoint {
  SweepLayout layout;
  bool oversubscribed = false;  ///< needs more cores than there are (--oversubscribe)
  std::string schedule;         ///< the table's "schedule" column: the launcher, or "oversub"
};

/// The layouts to launch and those left out.
struct SweepPlan {
  SweepCapacity capacity;
  std::vector<PlannedPoint> points;
  std::vector<std::string> skipped;  ///< why each layout left out was left out
};

/// "mpirun", "srun", "none" or "custom".
[[nodiscard]] std::string launcher_name(const SweepLauncher& launcher);

/// The layouts asked for, checked against the cores: those that fit, those run anyway
/// (--oversubscribe), those left out. Throws UsageError when none can run.
[[nodiscard]] SweepPlan plan_sweep(const SweepRequest& req, const SweepCapacity& capacity);

/// Where the launches write: --logs DIR (kept) or a temporary directory (removed at the end).
class Workspace {
 public:
  explicit Workspace(const std::string& logs) : kept_(!logs.empty()) {
    if (kept_) {
      dir_ = logs;
      std::error_code error;
      std::filesystem::create_directories(dir_, error);
      if (error || !std::filesystem::is_directory(dir_)) {
        throw UsageError("cannot use --logs '" + logs + "': " + error.message());
      }
      return;
    }
    std::string pattern = (std::filesystem::temp_directory_path() / "hpar-sweep-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw RuntimeError("cannot create a temporary directory in " +
                         std::filesystem::temp_directory_path().string());
    }
    dir_ = pattern;
  }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  ~Workspace() {
    std::error_code ignored;
    if (!kept_) std::filesystem::remove_all(dir_, ignored);
  }
  /// DIR/RxT-runK.EXT
  [[nodiscard]] std::string file(const SweepLayout& layout, int run, const char* ext) const {
    return (dir_ / (layout_text(layout) + "-run" + std::to_string(run) + ext)).string();
  }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] bool kept() const { return kept_; }

 private:
  std::filesystem::path dir_;
  bool kept_;
};

/// A --metric that matches nothing where it should: bad input, printed by sweep_main as one
/// error line and then the output's last lines (real lines, not one escaped line).
struct MetricRefusal {
  std::string message;
  std::vector<std::string> lines;
};

/// Everything the sweep has done so far.
struct SweepState {
  StudyRecord study;
  nlohmann::json failed = nlohmann::json::array();  ///< every failed launch
  std::vector<std::string> failure_notes;           ///< the table's "failed" lines
  bool interrupted = false;
  bool metric_seen = false;   ///< --metric has matched in some launch
  bool same_matched = false;  ///< --same-output has matched in some run
  nlohmann::json reruns;      ///< --rerun: the study's reruns so far, this one last; else null
};

/// The program for a layout: placeholders filled in, and --report-json FILE when measured by
/// its report.
[[nodiscard]] std::vector<std::string> program_for(const SweepRequest& req, const Workspace& ws,
                                                   const SweepLayout& layout, int run);

/// The environment of a launch at `layout`; OMP_PLACES and OMP_PROC_BIND the user set are kept.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> environment_for(
    const SweepLayout& layout);

/// Told after each point that has a run: its index i of n, the point, the seconds elapsed and
/// the fraction of the sweep's expected time behind.
using PointProgress = std::function<void(std::size_t i, std::size_t n, const StudyPoint& point,
                                         double elapsed, double fraction_done)>;

/// Launches every planned point in order (K launches each, fewer when one fails), measures and
/// checks them; a failed launch is said on stderr at once, a point with no run as "point i/n
/// FAILED"; `progress` hears of the others. Keeps the points done in the state's study (a point
/// cut short by a stop signal is left out). Throws MetricRefusal for a --metric that matches
/// nothing in the first launch that succeeds.
[[nodiscard]] SweepState run_sweep(const SweepRequest& req, const SweepPlan& plan,
                                   const Workspace& ws, const PointProgress& progress);

}  // namespace hpar
