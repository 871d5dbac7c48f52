// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Threads, OpenMP schedule and CPU affinity of one rank; checks of a whole layout.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hpar/core/machine.hpp"  // affinity_cpus()

namespace hpar {

/// An OpenMP loop schedule over blocks, as `--schedule static|dynamic|guided[,chunk]` names it.
struct Schedule {
  enum class Kind { static_, dynamic, guided };
  Kind kind = Kind::static_;
  int chunk = 0;  ///< blocks per grab; 0 = the OpenMP default for the kind

  /// Parses "static", "dynamic,4", ...; throws UsageError on anything else.
  static Schedule parse(std::string_view text);
  /// Back to the option's spelling, e.g. "dynamic,4".
  [[nodiscard]] std::string to_string() const;
  /// Makes this the schedule of `schedule(runtime)` loops on the calling thread.
  void apply() const;
};

/// The CPUs this rank may use: the union of the OpenMP places when places are defined
/// (OMP_PLACES / OMP_PROC_BIND pin the main thread to one place at start-up, so its own mask
/// would show one CPU), otherwise the affinity mask. Ascending.
[[nodiscard]] std::vector<int> rank_cpus();

/// Threads a rank uses by default: OMP_NUM_THREADS (its first value) if set and valid,
/// otherwise the number of CPUs in the affinity mask (at least 1).
[[nodiscard]] int default_threads();

/// Compresses a CPU list into ranges, e.g. {0,1,2,3,8} -> "0-3,8".
[[nodiscard]] std::string cpu_ranges(const std::vector<int>& cpus);

/// Where one rank runs.
struct RankPlacement {
  int rank = 0;
  std::string host;
  int threads = 1;
  std::vector<int> cpus;  ///< affinity mask of the rank's main thread
};

/// One problem of a layout: the ranks it concerns and what to do about it, in plain words.
struct LayoutFinding {
  std::vector<int> ranks;  ///< the ranks concerned, ascending
  std::string text;        ///< the warning, with the launcher flag that fixes it
};

/// The groups of CPU masks that overlap, joined transitively (a overlaps b and b overlaps c:
/// a, b and c are one group), as indices into `masks`, ascending in each group; groups in the
/// order of their first index. A mask that overlaps no other is a group of its own. The
/// checks of a layout (layout_findings, affinity_verdicts) use it to find ranks not bound apart.
[[nodiscard]] std::vector<std::vector<std::size_t>> overlapping_masks(
    const std::vector<std::vector<int>>& masks);

/// Problems of a layout that slow a job down: more ranks x threads on a host than CPUs the
/// job may use there; ranks running more threads than CPUs in their mask; ranks whose masks
/// overlap and that together run more threads than the CPUs they share. Empty when sound.
[[nodiscard]] std::vector<LayoutFinding> layout_findings(const std::vector<RankPlacement>& ranks);

/// The texts of layout_findings: the short check printed at the start of `run` and `scale`.
[[nodiscard]] std::vector<std::string> layout_warnings(const std::vector<RankPlacement>& ranks);

}  // namespace hpar
