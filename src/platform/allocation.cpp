// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/platform/allocation.hpp"

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "hpar/core/process.hpp"

namespace hpar {
namespace {

/// A whole number of digits only (no sign, no space), or nothing.
std::optional<std::uint64_t> parse_unsigned_field(std::string_view text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [at, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || at != end) return std::nullopt;
  return value;
}

}  // namespace

std::optional<double> parse_slurm_time_left(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  double days = 0.0;
  if (const auto dash = text.find('-'); dash != std::string_view::npos) {
    const auto d = parse_unsigned_field(text.substr(0, dash));
    if (!d) return std::nullopt;
    days = static_cast<double>(*d);
    text.remove_prefix(dash + 1);
  }
  double seconds = 0.0;
  int fields = 0;
  while (!text.empty() || fields == 0) {
    const auto colon = text.find(':');
    const auto value = parse_unsigned_field(text.substr(0, colon));
    if (!value || ++fields > 3) return std::nullopt;
    seconds = seconds * 60.0 + static_cast<double>(*value);
    if (colon == std::string_view::npos) break;
    text.remove_prefix(colon + 1);
    if (text.empty()) return std::nullopt;  // "12:"
  }
  if (days > 0.0 && fields != 3) return std::nullopt;  // "1-02:03" is not a form of squeue's
  return days * 86400.0 + seconds;
}

double allocation_end() {
  const char* id = std::getenv("SLURM_JOB_ID");
  if (id == nullptr || *id == '\0') return 0.0;
  if (const char* end = std::getenv("SLURM_JOB_END_TIME"); end != nullptr && *end != '\0') {
    if (const auto at = parse_unsigned_field(end); at && *at > 0) return static_cast<double>(*at);
  }
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  ProcessSpec spec;
  spec.argv = {"squeue", "--noheader", "--jobs", id, "--format", "%L"};
  spec.timeout_seconds = 10.0;
  CapturedOutput out;
  CapturedOutput err;
  spec.stdout_capture = &out;
  spec.stderr_capture = &err;
  try {
    const ProcessOutcome outcome = run_process(spec, [] { return false; });
    if (!outcome.ok()) return 0.0;
  } catch (...) {
    return 0.0;  // squeue not found, or not started: unknown (rank 0 must reach the broadcast)
  }
  const auto left = parse_slurm_time_left(out.take());
  return left ? now + *left : 0.0;
}

}  // namespace hpar
