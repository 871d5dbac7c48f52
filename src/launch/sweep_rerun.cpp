// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/launch/sweep_rerun.hpp"

#include <algorithm>
#include <set>

#include "hpar/core/errors.hpp"
#include "hpar/study/scaling.hpp"

namespace hpar {
namespace {

/// The point of `doc` named `layout`, or null.
const nlohmann::json* point_named(const nlohmann::json& doc, const std::string& layout) {
  for (const auto& p : doc.at("points")) {
    if (layout_name(p.at("ranks").get<int>(), p.at("threads").get<int>(),
                    p.at("schedule").get<std::string>()) == layout) {
      return &p;
    }
  }
  return nullptr;
}

/// The failed launches of `doc` at `layout`.
nlohmann::json failures_at(const nlohmann::json& doc, const std::string& layout) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : doc.value("failed", nlohmann::json::array())) {
    if (f.value("layout", std::string()) == layout) out.push_back(f);
  }
  return out;
}

/// The runs of a point's document: from its launches when each successful one has its result
/// and verification (sweeps since --rerun), else every time with the point's median run's.
std::vector<StudyRun> runs_of(const nlohmann::json& p) {
  const auto seconds = p.at("seconds").get<std::vector<double>>();
  std::vector<StudyRun> runs;
  for (const auto& l : p.value("launches", nlohmann::json::array())) {
    if (!l.contains("seconds") || l["seconds"].is_null() || !l.contains("verification")) continue;
    StudyRun run;
    run.seconds = l["seconds"].get<double>();
    run.result = l.value("result", std::vector<std::string>{});
    run.verification = l["verification"].get<std::string>();
    run.verification_detail = l.value("verification_detail", std::string());
    runs.push_back(std::move(run));
  }
  if (runs.size() == seconds.size()) return runs;
  runs.clear();
  for (const double s : seconds) {
    StudyRun run;
    run.seconds = s;
    run.result = p.value("result", std::vector<std::string>{});
    run.verification = p.value("verification", std::string("none"));
    runs.push_back(std::move(run));
  }
  return runs;
}

/// A point of the document as the study holds it.
StudyPoint point_of(const nlohmann::json& p) {
  StudyPoint point;
  point.ranks = p.at("ranks").get<int>();
  point.threads = p.at("threads").get<int>();
  point.schedule = p.at("schedule").get<std::string>();
  point.runs = runs_of(p);
  if (!point.runs.empty()) point.runs[point.median_run()].report = p.value("report", nullptr);
  if (p.contains("busy") && p["busy"].is_object()) {
    for (const auto& sample : p["busy"].value("samples", nlohmann::json::array())) {
      point.busy.push_back(busy_sample_from_json(sample));
    }
  }
  point.extra = p;  // the sweep's own fields (launches, command, figures); the study's win
  return point;
}

}  // namespace

std::vector<std::string> sweep_arguments_of(const nlohmann::json& doc, const std::string& path) {
  if (!doc.is_object() || doc.value("schema", std::string()) != study_schema) {
    throw UsageError(quote_for_message(path) + " is not a study (" + study_schema +
                     "): --rerun takes the --json file of an 'hpar sweep'");
  }
  const auto& line = doc.value("command_line", nlohmann::json());
  if (!line.is_array() || line.size() < 2 || line[0] != "hpar" || line[1] != "sweep" ||
      !std::all_of(line.begin(), line.end(), [](const auto& w) { return w.is_string(); })) {
    throw UsageError(quote_for_message(path) +
                     " is not the study of an 'hpar sweep' (no sweep command line in it): "
                     "only a sweep's points can be launched again");
  }
  const auto words = line.get<std::vector<std::string>>();
  return {words.begin() + 2, words.end()};
}

std::vector<RerunChoice> rerun_choices(const nlohmann::json& doc,
                                       const std::vector<std::string>& planned) {
  std::vector<RerunChoice> out;
  for (const auto& layout : planned) {
    const nlohmann::json* p = point_named(doc, layout);
    const bool failed = !failures_at(doc, layout).empty();
    if (p == nullptr) {
      out.push_back({layout, failed ? "every launch failed" : "not run (the sweep was stopped)"});
    } else if (failed) {
      out.push_back({layout, "a launch failed"});
    } else if (p->contains("busy") && (*p)["busy"].is_object() &&
               !(*p)["busy"].value("trusted", true)) {
      out.push_back({layout, "its times are not to be trusted"});
    }
  }
  return out;
}

std::vector<StudyPoint> kept_points(const nlohmann::json& doc,
                                    const std::set<std::string>& leave_out,
                                    const std::string& path) {
  try {
    std::vector<StudyPoint> out;
    for (const auto& p : doc.at("points")) {
      StudyPoint point = point_of(p);
      if (leave_out.count(layout_name(point)) == 0U) out.push_back(std::move(point));
    }
    return out;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(quote_for_message(path) + ": not a valid study: " + e.what());
  }
}

nlohmann::json replaced_record(const nlohmann::json& doc, const RerunChoice& choice) {
  const nlohmann::json* p = point_named(doc, choice.layout);
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& f : failures_at(doc, choice.layout)) {
    failures.push_back({{"run", f.value("run", 0)}, {"failure", f.value("failure", "")}});
  }
  return {{"why", choice.why},
          {"seconds",
           p != nullptr ? p->value("seconds", nlohmann::json::array()) : nlohmann::json::array()},
          {"busy_findings", p != nullptr && p->contains("busy")
                                ? (*p)["busy"].value("findings", nlohmann::json::array())
                                : nlohmann::json::array()},
          {"failures", failures}};
}

std::vector<std::string> planned_names(const SweepPlan& plan) {
  std::vector<std::string> names;
  for (const auto& p : plan.points) {
    names.push_back(layout_name(p.layout.ranks, p.layout.threads, p.schedule));
  }
  return names;
}

SweepCapacity capacity_of(const nlohmann::json& doc, const SweepCapacity& otherwise) {
  const auto& c = doc.value("capacity", nlohmann::json());
  if (!c.is_object() || !c.contains("nodes") || !c.contains("cores_per_node")) {
    return otherwise;
  }
  return {c["nodes"].get<int>(), c["cores_per_node"].get<int>(),
          c.value("source", std::string("the study"))};
}

void merge_rerun(const nlohmann::json& old, const std::string& path,
                 const std::vector<RerunChoice>& choices, int repeat, SweepState& state) {
  std::set<std::string> replaced;
  for (const auto& f : state.failed) replaced.insert(f.value("layout", std::string()));
  for (auto& p : state.study.points) {
    replaced.insert(layout_name(p));
    for (const auto& c : choices) {
      if (c.layout == layout_name(p)) p.extra["rerun"] = replaced_record(old, c);
    }
  }
  nlohmann::json failed = nlohmann::json::array();
  for (const auto& f : old.value("failed", nlohmann::json::array())) {
    if (replaced.count(f.value("layout", std::string())) == 0U) failed.push_back(f);
  }
  for (auto& f : state.failed) failed.push_back(std::move(f));
  state.failed = std::move(failed);
  for (auto& p : kept_points(old, replaced, path)) state.study.points.push_back(std::move(p));
  sort_points(state.study);
  state.reruns = old.value("reruns", nlohmann::json::array());
  nlohmann::json points = nlohmann::json::array();
  for (const auto& c : choices) {
    if (replaced.count(c.layout) != 0U) points.push_back({{"layout", c.layout}, {"why", c.why}});
  }
  state.reruns.push_back({{"points", points}, {"repeat", repeat}});
}

}  // namespace hpar
