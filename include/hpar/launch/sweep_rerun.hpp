// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// `hpar sweep --rerun STUDY.json`: which points of a sweep's study to launch again (those whose
// launches failed, those not reached before a stop, those whose times are not to be trusted),
// and the points it keeps, read back from the document as the study holds them. Pure functions
// of the study document, and the merge of the rerun's points into it (cmd_sweep.cpp launches).

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "hpar/launch/sweep_run.hpp"
#include "hpar/study/study.hpp"

namespace hpar {

/// A point of a study to launch again, and why.
struct RerunChoice {
  std::string layout;  ///< "RxT SCHEDULE", as the study names it
  std::string why;     ///< e.g. "a launch failed", "its times are not to be trusted"
};

/// The arguments of the `hpar sweep` that wrote `doc` (its command line after "hpar sweep").
/// Throws UsageError naming `path` when `doc` is not an hpar-study/1 document of `hpar sweep`.
[[nodiscard]] std::vector<std::string> sweep_arguments_of(const nlohmann::json& doc,
                                                          const std::string& path);

/// The layouts of `planned` ("RxT SCHEDULE", the sweep's plan in order) that `doc` asks to run
/// again: those with no point (every launch failed, or the sweep stopped before them), those
/// with a failed launch, and those whose times are not trusted ("busy": {"trusted": false}).
/// A point that failed verification is the program's answer: not chosen.
[[nodiscard]] std::vector<RerunChoice> rerun_choices(const nlohmann::json& doc,
                                                     const std::vector<std::string>& planned);

/// The points of `doc` except those named in `leave_out`, read back as the study holds them:
/// each run with its time, result lines and verification (from the point's launches where they
/// say so, else the point's), the busy samples, and the point's other fields as its extra.
/// Throws UsageError naming `path` when a point lacks its fields.
[[nodiscard]] std::vector<StudyPoint> kept_points(const nlohmann::json& doc,
                                                  const std::set<std::string>& leave_out,
                                                  const std::string& path);

/// What a rerun point replaced: the old point's times, its busy findings and its failed
/// launches, for the new point's "rerun" field.
[[nodiscard]] nlohmann::json replaced_record(const nlohmann::json& doc, const RerunChoice& choice);

/// The names of the planned points ("RxT SCHEDULE"), in order.
[[nodiscard]] std::vector<std::string> planned_names(const SweepPlan& plan);

/// The cores the study's sweep planned its layouts for (so that the rerun plans the same),
/// else `otherwise` (this host's).
[[nodiscard]] SweepCapacity capacity_of(const nlohmann::json& doc, const SweepCapacity& otherwise);

/// Merges the rerun's points into the study `old`: each point rerun (done, or failed) replaces
/// the old one and says what it replaced; the others are kept as they were; the study's
/// failures at the points not rerun are kept; the rerun joins the study's "reruns".
void merge_rerun(const nlohmann::json& old, const std::string& path,
                 const std::vector<RerunChoice>& choices, int repeat, SweepState& state);

}  // namespace hpar
