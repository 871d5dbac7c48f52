// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Signs that a study's times are not to be trusted because the machine was busy while they
/// were measured: a spread between the repetitions of a point above a limit, other processes
/// using the CPUs the point needed, CPU time stolen by the hypervisor. The samples are taken by
/// the commands (`scale`, `sweep`) from the kernel's CPU accounting; the judgement is a pure
/// function of them, so it can be checked on hand-made samples.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace hpar {

/// What the CPUs of one host did while a point (or one run of it) was measured.
struct BusySample {
  std::string host;
  std::string what;      ///< what was watched, e.g. "run 2" or "the point's 3 runs"
  double seconds = 0.0;  ///< wall time watched
  int cpus = 0;          ///< CPUs watched: those the study may use on the host
  int cpus_in_use = 0;   ///< CPUs the point keeps busy there (its ranks x threads on the host)
  /// CPU time that processes other than the study's used on the watched CPUs meanwhile
  /// (all busy time minus the study's own); none where the study's own time is not known.
  std::optional<double> others_cpu_seconds;
  /// CPUs other processes kept busy during a short quiet window just before (when the
  /// study's own CPU time during a run cannot be told apart, e.g. ranks started by srun).
  std::optional<double> others_before_cpus;
  std::optional<double> stolen_seconds;  ///< steal time on the watched CPUs (virtual machines)
  std::optional<double> load_before;     ///< 1-minute load average before
  std::optional<double> load_after;      ///< and after
  /// CPU time of the measured program itself (its processes, as waited for); none where not
  /// known (e.g. ranks started by srun).
  std::optional<double> program_cpu_seconds;
  int threads = 0;  ///< OpenMP threads per rank of the point; 0: not known
};

/// Where busy_findings draws the line.
struct BusyLimits {
  double spread = 0.10;              ///< (max - min) / median of the repetitions
  double others_cpus = 0.25;         ///< CPUs taken by others beyond those the point left free
  double others_min_seconds = 0.05;  ///< less CPU time than this is accounting noise (ticks)
  double stolen = 0.05;              ///< steal time as a fraction of the watched CPU time
  /// A program that keeps less than this fraction of its cores busy, while the cores it left
  /// unused stayed idle, did not use them (its threads, or its ranks).
  double used = 0.6;
};

/// Whether `finding` (one of busy_findings') says the program did not use its cores (rather
/// than that others took them).
[[nodiscard]] bool is_unused_cores_finding(const std::string& finding);

/// Why a point's times are not to be trusted, one sentence each (the worst sample of each
/// kind); empty when nothing was seen. `spread` and `runs` are the point's.
[[nodiscard]] std::vector<std::string> busy_findings(const std::vector<BusySample>& samples,
                                                     double spread, std::size_t runs,
                                                     const BusyLimits& limits = {});

/// A sample as JSON: every field, null where not measured.
[[nodiscard]] nlohmann::json busy_sample_json(const BusySample& sample);

/// A sample read back from busy_sample_json's form (missing fields: zero or none). Throws
/// nlohmann::json's exceptions on fields of the wrong type.
[[nodiscard]] BusySample busy_sample_from_json(const nlohmann::json& j);

/// The limits as JSON.
[[nodiscard]] nlohmann::json busy_limits_json(const BusyLimits& limits);

}  // namespace hpar
