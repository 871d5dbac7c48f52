// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// One report structure (a JSON document, schema "hpar-report/1") and its terminal view.

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hpar/core/files.hpp"
#include "hpar/core/format.hpp"
#include "hpar/engine/engine.hpp"

namespace hpar {

/// Name and version of the report schema; studies refuse reports they do not understand.
inline constexpr const char* report_schema = "hpar-report/1";

/// What produced a run, besides the run itself.
struct RunContext {
  std::vector<std::string> command_line;
  std::string mpi_library;   ///< first line of MPI_Get_library_version
  std::string thread_level;  ///< MPI thread level provided (e.g. "funneled")
  std::vector<std::string> warnings;
};

/// How the binary was built (filled in at configure time).
struct BuildInfo {
  std::string version;
  std::string compiler;
  std::string flags;
  std::string build_type;
  std::string git_revision;
  std::string arch;   ///< HPAR_ARCH as configured: native, portable or a -march value
  std::string march;  ///< what the compiler made of it, e.g. znver3 or x86-64
};
/// This binary's build information.
[[nodiscard]] const BuildInfo& build_info();

/// What the binary was built for and what it runs with on this CPU (the report's "target"):
/// arch (HPAR_ARCH), march (the compiler's name for it), code_simd (the level all code is
/// compiled for), kernel_simd (the level the hot kernels run with here), cpu_simd (this CPU's).
[[nodiscard]] nlohmann::json target_json();

/// A target_json() object in one line: "native (znver3); SIMD x86-64-v4 (AVX-512), kernels
/// x86-64-v4 (AVX-512), CPU x86-64-v4 (AVX-512)".
[[nodiscard]] std::string target_text(const nlohmann::json& target);

/// Environment variables whose names start with one of `prefixes`, sorted by name.
[[nodiscard]] nlohmann::json environment_with(const std::vector<std::string>& prefixes);

/// The report document of a run (rank 0's record). Output time is added by the caller.
[[nodiscard]] nlohmann::json make_report(const RunRecord& record, const RunContext& context);

/// The terminal view of a report: layout, work, phase table, imbalance, throughput, verdict.
void print_report(std::ostream& out, const nlohmann::json& report);

}  // namespace hpar
