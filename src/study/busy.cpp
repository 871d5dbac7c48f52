// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/study/busy.hpp"

#include <algorithm>

#include "hpar/core/format.hpp"

namespace hpar {
namespace {

/// "on HOST " or nothing.
std::string on_host(const BusySample& s) {
  return s.host.empty() ? std::string() : "on " + s.host + " ";
}

/// CPUs the point left free on the host, and how the sentence names them.
std::string left_free(const BusySample& s) {
  const int free = std::max(0, s.cpus - s.cpus_in_use);
  if (free == 0) return "while the point needed all " + std::to_string(s.cpus) + " CPU(s)";
  return "more than the " + std::to_string(free) + " CPU(s) of " + std::to_string(s.cpus) +
         " the point left free";
}

/// CPUs beyond those the point left free that others used on average, given their CPU time.
double excess_cpus(const BusySample& s, double others_cpus) {
  return others_cpus - std::max(0, s.cpus - s.cpus_in_use);
}

/// The sample that most exceeds the limit by `measure` (none when no sample does).
template <class Measure>
const BusySample* worst(const std::vector<BusySample>& samples, double limit, Measure measure) {
  const BusySample* found = nullptr;
  double most = limit;
  for (const auto& s : samples) {
    const std::optional<double> m = measure(s);
    if (m && *m > most) {
      most = *m;
      found = &s;
    }
  }
  return found;
}

/// How the finding of a program that left its cores idle begins.
constexpr const char* unused_cores_words = "the program kept only ";

/// The fraction of its cores the program did NOT use in `s`, when the cores it left unused
/// stayed idle (others did not take them); none when not known or not meaningful.
std::optional<double> unused_fraction(const BusySample& s) {
  if (!s.program_cpu_seconds || !s.others_cpu_seconds || !(s.seconds >= 0.2) || s.cpus_in_use < 2) {
    return std::nullopt;
  }
  const double given = s.seconds * s.cpus_in_use;
  const double unused = given - *s.program_cpu_seconds;
  const double idle = s.seconds * s.cpus - *s.program_cpu_seconds - *s.others_cpu_seconds;
  if (!(unused > 0.0) || idle < 0.5 * unused) return std::nullopt;  // others took them
  return unused / given;
}

/// The finding of a program that left its cores idle.
std::string unused_cores_finding(const BusySample& s) {
  const double cpus = *s.program_cpu_seconds / s.seconds;
  return unused_cores_words + format_fixed(cpus, 2) + " of its " + std::to_string(s.cpus_in_use) +
         " cores busy (" + format_fixed(100.0 * cpus / s.cpus_in_use, 0) + " %) " + on_host(s) +
         "during " + s.what + ", while the others stayed idle: " +
         (s.threads > 1 ? "the program did not use its threads (is it built with OpenMP, and "
                          "does it honour OMP_NUM_THREADS?)"
                        : "its ranks sat idle");
}

nlohmann::json optional(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

std::vector<std::string> busy_findings(const std::vector<BusySample>& samples, double spread,
                                       std::size_t runs, const BusyLimits& limits) {
  std::vector<std::string> out;
  if (runs >= 2 && spread > limits.spread) {
    out.push_back("spread " + format_fixed(100.0 * spread, 1) + " % between its " +
                  std::to_string(runs) + " runs (limit " + format_fixed(100.0 * limits.spread, 0) +
                  " %)");
  }
  const auto during = [&](const BusySample& s) -> std::optional<double> {
    if (!s.others_cpu_seconds || !(s.seconds > 0.0)) return std::nullopt;
    if (*s.others_cpu_seconds < limits.others_min_seconds) return std::nullopt;
    return excess_cpus(s, *s.others_cpu_seconds / s.seconds);
  };
  if (const BusySample* s = worst(samples, limits.others_cpus, during)) {
    out.push_back("other processes used " + format_fixed(*s->others_cpu_seconds / s->seconds, 2) +
                  " CPU(s) " + on_host(*s) + "during " + s->what + ", " + left_free(*s));
  }
  const auto before = [&](const BusySample& s) -> std::optional<double> {
    if (!s.others_before_cpus) return std::nullopt;
    return excess_cpus(s, *s.others_before_cpus);
  };
  if (const BusySample* s = worst(samples, limits.others_cpus, before)) {
    out.push_back("other processes kept " + format_fixed(*s->others_before_cpus, 2) + " CPU(s) " +
                  on_host(*s) + "busy just before " + s->what + ", " + left_free(*s));
  }
  if (const BusySample* s = worst(samples, 1.0 - limits.used, unused_fraction)) {
    out.push_back(unused_cores_finding(*s));
  }
  const auto stolen = [&](const BusySample& s) -> std::optional<double> {
    if (!s.stolen_seconds || !(s.seconds > 0.0) || s.cpus <= 0) return std::nullopt;
    return *s.stolen_seconds / (s.seconds * s.cpus);
  };
  if (const BusySample* s = worst(samples, limits.stolen, stolen)) {
    out.push_back("the hypervisor stole " + format_fixed(100.0 * *stolen(*s), 1) +
                  " % of the CPU time " + on_host(*s) + "during " + s->what + " (steal)");
  }
  return out;
}

bool is_unused_cores_finding(const std::string& finding) {
  return finding.starts_with(unused_cores_words);
}

nlohmann::json busy_sample_json(const BusySample& s) {
  return {{"host", s.host},
          {"what", s.what},
          {"seconds", s.seconds},
          {"cpus", s.cpus},
          {"cpus_in_use", s.cpus_in_use},
          {"others_cpu_seconds", optional(s.others_cpu_seconds)},
          {"others_before_cpus", optional(s.others_before_cpus)},
          {"stolen_seconds", optional(s.stolen_seconds)},
          {"load_before", optional(s.load_before)},
          {"load_after", optional(s.load_after)},
          {"program_cpu_seconds", optional(s.program_cpu_seconds)},
          {"threads", s.threads}};
}

BusySample busy_sample_from_json(const nlohmann::json& j) {
  const auto optional_of = [&](const char* name) -> std::optional<double> {
    if (!j.contains(name) || j[name].is_null()) return std::nullopt;
    return j[name].get<double>();
  };
  BusySample s;
  s.host = j.value("host", std::string());
  s.what = j.value("what", std::string());
  s.seconds = j.value("seconds", 0.0);
  s.cpus = j.value("cpus", 0);
  s.cpus_in_use = j.value("cpus_in_use", 0);
  s.others_cpu_seconds = optional_of("others_cpu_seconds");
  s.others_before_cpus = optional_of("others_before_cpus");
  s.stolen_seconds = optional_of("stolen_seconds");
  s.load_before = optional_of("load_before");
  s.load_after = optional_of("load_after");
  s.program_cpu_seconds = optional_of("program_cpu_seconds");
  s.threads = j.value("threads", 0);
  return s;
}

nlohmann::json busy_limits_json(const BusyLimits& limits) {
  return {{"spread", limits.spread},
          {"others_cpus", limits.others_cpus},
          {"others_min_seconds", limits.others_min_seconds},
          {"stolen", limits.stolen},
          {"used", limits.used}};
}

}  // namespace hpar
