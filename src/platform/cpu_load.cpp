// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/platform/cpu_load.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

namespace hpar {
namespace {

std::optional<std::string> read_text(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The whitespace-separated fields of `line`.
std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t p = 0;
  while (p < line.size()) {
    const std::size_t begin = line.find_first_not_of(" \t", p);
    if (begin == std::string_view::npos) break;
    const std::size_t end = std::min(line.find_first_of(" \t", begin), line.size());
    out.push_back(line.substr(begin, end - begin));
    p = end;
  }
  return out;
}

std::optional<unsigned long long> number(std::string_view text) {
  unsigned long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

CpuTimes parse_cpu_times(std::string_view proc_stat, const std::vector<int>& cpus,
                         double ticks_per_second) {
  CpuTimes times;
  std::size_t p = 0;
  while (p < proc_stat.size()) {
    std::size_t end = proc_stat.find('\n', p);
    if (end == std::string_view::npos) end = proc_stat.size();
    const auto fields = fields_of(proc_stat.substr(p, end - p));
    p = end + 1;
    // "cpuN user nice system idle iowait irq softirq steal ..." (the "cpu" total line has no N).
    if (fields.size() < 9 || !fields[0].starts_with("cpu") || fields[0].size() == 3) continue;
    const auto cpu = number(fields[0].substr(3));
    if (!cpu) continue;
    if (!cpus.empty() &&
        std::find(cpus.begin(), cpus.end(), static_cast<int>(*cpu)) == cpus.end()) {
      continue;
    }
    unsigned long long tick[8] = {};
    bool ok = true;
    for (int k = 0; k < 8; ++k) {
      const auto v = number(fields[static_cast<std::size_t>(k) + 1]);
      ok = ok && v.has_value();
      tick[k] = v.value_or(0);
    }
    if (!ok) continue;
    const auto seconds = [&](unsigned long long t) {
      return static_cast<double>(t) / ticks_per_second;
    };
    times.busy += seconds(tick[0] + tick[1] + tick[2] + tick[5] + tick[6]);
    times.idle += seconds(tick[3] + tick[4]);
    times.steal += seconds(tick[7]);
    ++times.cpus;
  }
  return times;
}

std::optional<CpuTimes> read_cpu_times(const std::vector<int>& cpus) {
  const auto text = read_text("/proc/stat");
  const long ticks = sysconf(_SC_CLK_TCK);
  if (!text || ticks <= 0) return std::nullopt;
  CpuTimes times = parse_cpu_times(*text, cpus, static_cast<double>(ticks));
  if (times.cpus == 0) return std::nullopt;
  return times;
}

std::optional<double> parse_load_average(std::string_view proc_loadavg) {
  const auto fields = fields_of(proc_loadavg.substr(0, proc_loadavg.find('\n')));
  if (fields.empty()) return std::nullopt;
  double value = 0.0;
  const std::string first(fields[0]);
  std::size_t used = 0;
  try {
    value = std::stod(first, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != first.size() || !(value >= 0.0)) return std::nullopt;
  return value;
}

std::optional<double> read_load_average() {
  const auto text = read_text("/proc/loadavg");
  if (!text) return std::nullopt;
  return parse_load_average(*text);
}

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

}  // namespace hpar
