// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/report/report.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <ostream>
#include <sstream>

#include "hpar/core/errors.hpp"
#include "hpar/core/simd.hpp"

extern char** environ;

namespace hpar {
namespace {

nlohmann::json stats_json(const PhaseStats& s) {
  return {{"min", s.min}, {"avg", s.avg}, {"max", s.max}};
}

std::string verdict_name(Verification::Status s) {
  switch (s) {
    case Verification::Status::pass:
      return "PASS";
    case Verification::Status::fail:
      return "FAIL";
    case Verification::Status::none:
      break;
  }
  return "none";
}

std::string seconds_text(double s) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(6) << s;
  return o.str();
}

std::string rate_text(double v) {
  std::ostringstream o;
  o << std::setprecision(4) << v;
  return o.str();
}

}  // namespace

nlohmann::json target_json() {
  const auto& build = build_info();
  return {{"arch", build.arch},
          {"march", build.march},
          {"code_simd", simd_level_name(compiled_simd_level())},
          {"kernel_simd", simd_level_name(kernel_simd_level())},
          {"cpu_simd", simd_level_name(cpu_simd_level())}};
}

std::string target_text(const nlohmann::json& target) {
  return target["arch"].get<std::string>() + " (" + target["march"].get<std::string>() +
         "); SIMD " + target["code_simd"].get<std::string>() + ", kernels " +
         target["kernel_simd"].get<std::string>() + ", CPU " +
         target["cpu_simd"].get<std::string>();
}

nlohmann::json environment_with(const std::vector<std::string>& prefixes) {
  std::map<std::string, std::string> found;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = entry.substr(0, eq);
    for (const auto& p : prefixes) {
      if (name.rfind(p, 0) == 0) found[name] = entry.substr(eq + 1);
    }
  }
  return found;
}

namespace {

/// The "layout" of a report: ranks, threads, schedule, and where each rank ran.
nlohmann::json layout_json(const RunRecord& record) {
  std::map<std::string, std::vector<int>> ranks_by_host;
  nlohmann::json ranks = nlohmann::json::array();
  for (const auto& p : record.placements) {
    ranks_by_host[p.host].push_back(p.rank);
    ranks.push_back(
        {{"rank", p.rank}, {"host", p.host}, {"threads", p.threads}, {"cpus", cpu_ranges(p.cpus)}});
  }
  nlohmann::json hosts = nlohmann::json::array();
  for (const auto& [host, rs] : ranks_by_host) hosts.push_back({{"host", host}, {"ranks", rs}});
  return {{"ranks", record.ranks},
          {"threads_per_rank", record.options.threads},
          {"schedule", record.options.schedule.to_string()},
          {"distribution", to_string(record.options.distribution)},
          {"rank_blocks", record.rank_blocks},
          {"hosts", hosts},
          {"rank_placement", ranks}};
}

/// The run's throughput: the job's own, else the rate of this attempt's own work (a resumed
/// run's restored items took no compute time).
Throughput run_throughput(const RunRecord& record) {
  if (record.result.throughput) return *record.result.throughput;
  const double compute_max = record.compute.max;
  const std::uint64_t computed_items =
      record.items_done - std::min(record.items_done, record.checkpoint.restored_items);
  return {compute_max > 0 ? static_cast<double>(computed_items) / compute_max : 0.0,
          record.plan.item_unit + "/s"};
}

}  // namespace

nlohmann::json make_report(const RunRecord& record, const RunContext& context) {
  const Throughput throughput = run_throughput(record);
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [k, v] : record.result.metrics) metrics[k] = v;
  const auto& build = build_info();
  return {
      {"schema", report_schema},
      {"job", record.job},
      {"complete", record.complete},
      {"stopped_by", record.complete  ? nlohmann::json()
                     : record.drained ? "drain"
                                      : "signal"},
      {"command_line", context.command_line},
      {"layout", layout_json(record)},
      {"mpi", {{"library", context.mpi_library}, {"thread_level", context.thread_level}}},
      {"work",
       {{"items", record.plan.items},
        {"items_done", record.items_done},
        {"item_unit", record.plan.item_unit},
        {"blocks", record.plan.blocks()},
        {"block_items", record.plan.block_items},
        {"passes", record.plan.passes}}},
      {"phases",
       {{"setup", stats_json(record.setup)},
        {"compute", stats_json(record.compute)},
        {"gather", stats_json(record.gather)},
        {"verify", stats_json(record.verify)},
        {"total", stats_json(record.total)}}},
      {"pass_seconds", record.pass_seconds},
      {"imbalance", record.imbalance},
      {"memory", {{"peak_rss_bytes", record.rank_peak_rss}}},
      {"checkpoint", record.checkpoint.enabled
                         ? nlohmann::json{{"dir", record.checkpoint.dir},
                                          {"attempt", record.checkpoint.attempt},
                                          {"resumed", record.checkpoint.attempt > 0},
                                          {"restored_blocks", record.checkpoint.restored_blocks},
                                          {"restored_items", record.checkpoint.restored_items},
                                          {"computed_blocks", record.checkpoint.computed_blocks}}
                         : nlohmann::json(nullptr)},
      {"ordered_output",
       {{"bytes", record.ordered_stats.bytes},
        {"parallel", record.ordered_stats.parallel},
        {"rank0_peak_buffer_bytes", record.ordered_stats.root_peak},
        {"spilled_bytes", record.ordered_stats.spilled}}},
      {"throughput", {{"value", throughput.value}, {"unit", throughput.unit}}},
      {"result", record.result.lines},
      {"metrics", metrics},
      {"verification",
       {{"status", verdict_name(record.result.verification.status)},
        {"detail", record.result.verification.detail}}},
      {"warnings", context.warnings},
      {"environment", environment_with({"OMP_", "SLURM_"})},
      {"build",
       {{"version", build.version},
        {"compiler", build.compiler},
        {"flags", build.flags},
        {"build_type", build.build_type},
        {"git_revision", build.git_revision}}},
      {"target", target_json()},
  };
}

void print_report(std::ostream& out, const nlohmann::json& r) {
  const auto& layout = r["layout"];
  std::string host_list;
  for (const auto& h : layout["hosts"]) {
    host_list += (host_list.empty() ? "" : ", ") + h["host"].get<std::string>() + " (" +
                 std::to_string(h["ranks"].size()) + " ranks)";
  }
  out << "== hpar report: " << r["job"].get<std::string>()
      << (r["complete"].get<bool>() ? ""
          : r.value("stopped_by", nlohmann::json()) == "drain"
              ? " (INCOMPLETE: drained before the deadline)"
              : " (INCOMPLETE: stopped early by a signal)")
      << " ==\n";
  out << "layout       " << layout["ranks"] << " ranks x " << layout["threads_per_rank"]
      << " threads, schedule " << layout["schedule"].get<std::string>() << ", distribution "
      << layout.value("distribution", std::string("block")) << "\n";
  out << "hosts        " << host_list << "\n";
  if (layout.contains("rank_blocks") && layout["rank_blocks"].size() > 1) {
    const auto blocks = layout["rank_blocks"].get<std::vector<std::uint64_t>>();
    const auto [low, high] = std::minmax_element(blocks.begin(), blocks.end());
    double sum = 0.0;
    for (const auto b : blocks) sum += static_cast<double>(b);
    out << "blocks/rank  min " << *low << ", avg " << std::setprecision(4)
        << sum / static_cast<double>(blocks.size()) << std::defaultfloat << ", max " << *high
        << "\n";
  }
  out << "mpi          " << r["mpi"]["library"].get<std::string>() << ", thread level "
      << r["mpi"]["thread_level"].get<std::string>() << "\n";
  if (r.contains("target")) out << "target       " << target_text(r["target"]) << "\n";
  const auto& work = r["work"];
  out << "work         " << work["items_done"] << " of " << work["items"] << " "
      << work["item_unit"].get<std::string>() << " in " << work["blocks"] << " blocks of "
      << work["block_items"] << ", " << work["passes"] << " pass(es)\n";
  if (r.contains("checkpoint") && r["checkpoint"].is_object()) {
    const auto& c = r["checkpoint"];
    out << "checkpoint   " << c["dir"].get<std::string>() << ", attempt "
        << c["attempt"].get<int>() + 1 << ": " << c["restored_blocks"] << " blocks restored, "
        << c["computed_blocks"] << " computed\n";
  }
  out << "phase (s)          min          avg          max\n";
  for (const char* phase : {"setup", "compute", "gather", "verify", "output", "total"}) {
    if (!r["phases"].contains(phase)) continue;
    const auto& p = r["phases"][phase];
    out << "  " << std::left << std::setw(8) << phase << std::right;
    for (const char* k : {"min", "avg", "max"})
      out << std::setw(13) << seconds_text(p[k].get<double>());
    out << "\n";
  }
  out << "imbalance    " << std::fixed << std::setprecision(1)
      << 100.0 * r["imbalance"].get<double>() << " % (compute max/avg - 1)\n"
      << std::defaultfloat;
  if (r.contains("memory") && !r["memory"]["peak_rss_bytes"].empty()) {
    const auto rss = r["memory"]["peak_rss_bytes"].get<std::vector<std::uint64_t>>();
    const auto most = std::max_element(rss.begin(), rss.end());
    constexpr double mib = 1024.0 * 1024.0;
    out << "memory       peak RSS rank 0 " << std::fixed << std::setprecision(1)
        << static_cast<double>(rss.front()) / mib << " MiB";
    if (rss.size() > 1) {
      out << ", most " << static_cast<double>(*most) / mib << " MiB (rank " << most - rss.begin()
          << ")";
    }
    out << std::defaultfloat << "\n";
  }
  out << "throughput   " << rate_text(r["throughput"]["value"].get<double>()) << " "
      << r["throughput"]["unit"].get<std::string>() << "\n";
  for (const auto& [k, v] : r["metrics"].items()) {
    out << std::left << std::setw(13) << k << std::right << v.get<std::string>() << "\n";
  }
  const auto& v = r["verification"];
  out << "verification " << v["status"].get<std::string>();
  if (!v["detail"].get<std::string>().empty()) out << " (" << v["detail"].get<std::string>() << ")";
  out << "\n";
}

}  // namespace hpar
