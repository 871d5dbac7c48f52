// SPDX-License-Identifier: BSD-3-Clause
// The Slurm script writer (include/hpar/launch/slurm_script.hpp): a script's head (#SBATCH
// lines, "Made by"), its kind's comments, its variables and arguments, then the body of its
// slurm/*.sbatch; and the checks of what goes into it.

#include "hpar/launch/slurm_script.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>

#include "hpar/core/errors.hpp"
#include "hpar/core/format.hpp"
#include "hpar/core/parse.hpp"
#include "hpar/core/program.hpp"
#include "hpar/launch/sweep.hpp"

namespace hpar {
namespace {

/// The lines of slurm/hybrid.sbatch from its "---- from here on" marker to the end (a test
/// keeps them equal).
constexpr const char* job_body =
#include "slurm_hybrid_body.inc"  // generated from slurm/hybrid.sbatch by src/launch/CMakeLists.txt
    ;

/// The lines of slurm/sweep.sbatch from its "---- from here on" marker to the end.
constexpr const char* sweep_body =
#include "slurm_sweep_body.inc"  // generated from slurm/sweep.sbatch by src/launch/CMakeLists.txt
    ;

/// The lines of slurm/farm.sbatch from its "---- from here on" marker to the end.
constexpr const char* farm_body =
#include "slurm_farm_body.inc"  // generated from slurm/farm.sbatch by src/launch/CMakeLists.txt
    ;

/// The #SBATCH lines and the "Made by" line; returns whether the script asks for SIGTERM 60 s
/// before the time limit.
bool write_head(std::ostream& o, const SlurmScript& s) {
  o << "#!/bin/bash\n"
    << "#SBATCH --job-name=" << s.job_name << "\n"
    << "#SBATCH --nodes=" << s.nodes << "\n";
  if (s.kind == SlurmScript::Kind::sweep) {
    o << "#SBATCH --exclusive\n";
  } else {
    o << "#SBATCH --ntasks-per-node=" << s.ranks_per_node << "\n"
      << "#SBATCH --cpus-per-task=" << s.threads << "\n";
  }
  if (!s.partition.empty()) o << "#SBATCH --partition=" << s.partition << "\n";
  if (s.time_seconds) o << "#SBATCH --time=" << s.time << "\n";
  // The stop 60 s before the limit; Slurm may send it up to a minute early, so not for short
  // limits (they still get SIGTERM at the limit itself).
  const bool early_stop = !s.time_seconds || *s.time_seconds >= 600;
  if (early_stop) o << "#SBATCH --signal=B:TERM@60\n";
  static constexpr const char* outputs[] = {"hpar-%j.out", "hpar-sweep-%j.out", "hpar-farm-%j.out"};
  o << "#SBATCH --output=" << outputs[static_cast<int>(s.kind)] << "\n#\n# Made by: hpar slurm";
  for (const auto& arg : s.command_line) o << " " << shell_quote(arg);
  o << "\n";
  return early_stop;
}

/// When the stop comes, for the header's "On SIGTERM (...)".
const char* stop_time(bool early_stop) {
  return early_stop ? "60 to 90 s before the time limit" : "at the time limit";
}

/// "# Layout: ..." of a job's or a farm's script; `per_rank`: what a rank runs T of.
void write_layout(std::ostream& o, const SlurmScript& s, const char* per_rank) {
  o << "# Layout: " << s.nodes << " node(s) x " << s.ranks_per_node << " rank(s) per node x "
    << s.threads << " " << per_rank << " per rank, one core each.\n";
  const Placement placement = script_placement(s);
  o << "# Binding: " << command_line_text(binding_environment(placement), {})
    << ", ranks started by\n#   "
    << command_line_text({}, batch_launch_words(s.launcher, placement)) << "\n";
}

void write_job_header(std::ostream& o, const SlurmScript& s, bool early_stop) {
  write_layout(o, s, "OpenMP thread(s)");
  o << "# Submit: sbatch [--chdir=DIR] THIS_FILE. Results in hpar-JOBID.out, the JSON report\n"
       "# in hpar-JOBID.json. Environment knobs: HPAR (the hpar binary), HPAR_LAUNCHER (srun or\n"
       "# mpirun), HPAR_SRUN_MPI (default pmix), HPAR_REPORT_DIR (default: working directory).\n"
       "# On SIGTERM ("
    << stop_time(early_stop)
    << ", scancel --signal=TERM) every rank stops\n"
       "# cleanly, the report is marked incomplete and the job exits 4. More in\n"
       "# slurm/hybrid.sbatch and docs/clusters.md.\n";
}

void write_sweep_header(std::ostream& o, const SlurmScript& s, bool early_stop) {
  o << "# Sweep: " << s.sweep_layouts.size() << " layout(s) on " << s.nodes << " node(s)";
  if (s.sweep_cores) o << " of " << *s.sweep_cores << " cores";
  o << ":";
  for (const auto& l : s.sweep_layouts) o << " " << l;
  o << "\n";
  for (const auto& l : s.sweep_left_out) o << "#   left out " << l << "\n";
  o << "# Submit: sbatch [--chdir=DIR] THIS_FILE. The table in hpar-sweep-JOBID.out, the study\n"
       "# in hpar-sweep-JOBID.json (.csv, .png), every launch's output in hpar-sweep-JOBID.logs/.\n"
       "# Environment knobs: HPAR, HPAR_LAUNCHER (srun, mpirun or auto), HPAR_SRUN_MPI, "
       "HPAR_REPORT_DIR,\n"
       "# HPAR_SWEEP_LOGS. On SIGTERM ("
    << stop_time(early_stop)
    << ", scancel --signal=TERM)\n"
       "# the launch in progress stops, the points done are written (\"complete\": false) and\n"
       "# the job exits 4. More in slurm/sweep.sbatch and docs/studies.md.\n";
}

void write_farm_header(std::ostream& o, const SlurmScript& s, bool early_stop) {
  write_layout(o, s, "slot(s)");
  o << "# Submit: sbatch [--chdir=DIR] THIS_FILE. The tasks' output in input order (or in\n"
       "# --output FILE) in hpar-farm-JOBID.out, the JSON report in hpar-farm-JOBID.json.\n"
       "# Environment knobs: HPAR, HPAR_LAUNCHER (srun or mpirun), HPAR_SRUN_MPI, HPAR_REPORT_DIR";
  if (s.checkpoint.empty()) {
    o << ",\n# HPAR_CHECKPOINT=DIR (finished tasks recorded, a later job resumes them), "
         "HPAR_RESUBMIT=N.\n";
  } else {
    o << ",\n# HPAR_RESUBMIT=N (a job stopped at the time limit submits this script again).\n"
         "# Checkpoint: "
      << shell_quote(s.checkpoint) << " (--resume is added when it holds one).\n";
  }
  o << "# On SIGTERM (" << stop_time(early_stop)
    << ", scancel --signal=TERM) the running tasks\n"
       "# are ended, the finished ones' output is kept, the report is marked incomplete and the\n"
       "# job exits 4. More in slurm/farm.sbatch and docs/clusters.md.\n";
}

/// The script's variables (the binary, the launcher from HPAR_LAUNCHER, the report directory,
/// the checkpoint), its arguments (`set --`), then its body.
void write_tail(std::ostream& o, const SlurmScript& s) {
  const bool sweep = s.kind == SlurmScript::Kind::sweep;
  const bool farm = s.kind == SlurmScript::Kind::farm;
  o << "# ---- your environment: module load lines (and exports) go here, e.g. ----\n"
       "# module load openmpi\n"
       "# ---- end of your environment ----\n"
       "set -u\n"
    << "hpar=${HPAR:-" << shell_quote(s.hpar_binary) << "}\n"
    << (sweep ? "sweep_launcher" : "launcher") << "=${HPAR_LAUNCHER:-" << launcher_name(s.launcher)
    << "}\n"
    << "report_dir=${HPAR_REPORT_DIR:-.}\n";
  if (!s.checkpoint.empty()) o << "HPAR_CHECKPOINT=" << shell_quote(s.checkpoint) << "\n";
  o << "set --";
  const auto first = s.arguments.begin() + (farm && !s.arguments.empty() ? 1 : 0);
  for (auto arg = first; arg != s.arguments.end(); ++arg) o << " " << shell_quote(*arg);
  o << "\n\n" << (sweep ? sweep_body : farm ? farm_body : job_body);
}

/// Output of a shell command, or nothing when it cannot run or fails.
std::optional<std::string> command_output(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return std::nullopt;
  std::string out;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe.get())) > 0) out.append(buffer, n);
  const int status = pclose(pipe.release());
  if (status != 0) return std::nullopt;
  return out;
}

/// "the default partition" or "partition NAME", for messages.
std::string partition_words(const std::string& partition) {
  return partition.empty() ? "the default partition" : "partition " + partition;
}

}  // namespace

std::string slurm_script_text(const SlurmScript& script) {
  std::ostringstream o;
  const bool early_stop = write_head(o, script);
  switch (script.kind) {
    case SlurmScript::Kind::job:
      write_job_header(o, script, early_stop);
      break;
    case SlurmScript::Kind::sweep:
      write_sweep_header(o, script, early_stop);
      break;
    case SlurmScript::Kind::farm:
      write_farm_header(o, script, early_stop);
      break;
  }
  write_tail(o, script);
  return o.str();
}

Placement script_placement(const SlurmScript& script) {
  return {.ranks = static_cast<int>(script.nodes * script.ranks_per_node),
          .ranks_per_node = static_cast<int>(script.ranks_per_node),
          .threads = static_cast<int>(script.threads)};
}

std::uint64_t parse_time_limit(const std::string& text) {
  static const std::regex format(R"((?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?)");
  std::smatch m;
  if (text.size() > 16 || !std::regex_match(text, m, format)) {
    throw UsageError("bad --time " + quote_for_message(text) +
                     ": expected MIN, MIN:SEC, H:MIN:SEC, D-H, D-H:MIN or D-H:MIN:SEC");
  }
  auto field = [&](int i) { return m[i].matched ? std::stoull(m[i].str()) : 0ULL; };
  const bool days = m[1].matched;
  const int fields = 1 + (m[3].matched ? 1 : 0) + (m[4].matched ? 1 : 0);
  std::uint64_t h = 0, min = 0, s = 0;
  if (days) {  // D-H[:MIN[:SEC]]
    h = field(1) * 24 + field(2);
    min = field(3);
    s = field(4);
  } else if (fields == 1) {  // MIN
    min = field(2);
  } else if (fields == 2) {  // MIN:SEC
    min = field(2);
    s = field(3);
  } else {  // H:MIN:SEC
    h = field(2);
    min = field(3);
    s = field(4);
  }
  const bool bounded_fields = s < 60 && (fields == 1 && !days ? true : min < 60);
  const std::uint64_t total = h * 3600 + min * 60 + s;
  if (!bounded_fields || total == 0) {
    throw UsageError("bad --time " + quote_for_message(text) +
                     ": minutes and seconds go up to 59, total above 0");
  }
  return total;
}

void refuse_control_characters(std::span<const std::string> words) {
  for (const auto& word : words) {
    if (std::any_of(word.begin(), word.end(), [](char c) { return c >= 0 && c < ' '; })) {
      throw UsageError(
          "an argument with a control character (e.g. a newline) cannot go into a "
          "batch script");
    }
  }
}

void check_slurm_name(const std::string& option, const std::string& value) {
  static const std::regex name_chars(R"([A-Za-z0-9_.,+-]+)");
  if (!std::regex_match(value, name_chars)) {
    throw UsageError("bad --" + option + " " + quote_for_message(value) +
                     ": letters, digits and _ . , + - only");
  }
}

BatchLauncher parse_batch_launcher(const std::string& text) {
  if (text == "srun") return BatchLauncher::srun;
  if (text == "mpirun") return BatchLauncher::mpirun;
  throw UsageError("--launcher must be srun or mpirun, not " + quote_for_message(text));
}

std::optional<std::vector<std::uint64_t>> sinfo_node_cores(const std::string& partition) {
  // One line per node and partition: name|sockets|cores per socket|partition ("*": default).
  std::string command = "timeout 20 sinfo --noheader --Node --format='%N|%X|%Y|%P'";
  if (!partition.empty()) command += " --partition='" + partition + "'";
  const auto out = command_output(command + " 2>/dev/null");
  if (!out) return std::nullopt;
  std::map<std::string, std::uint64_t> cores;  // a node may be listed once per partition
  std::istringstream lines(*out);
  std::string line;
  while (std::getline(lines, line)) {
    const auto fields = split(line, '|');
    if (fields.size() != 4) continue;
    const std::string part(fields[3]);
    if (partition.empty() && !part.ends_with("*")) continue;
    try {
      cores[std::string(fields[0])] =
          parse_count(fields[1], "sockets") * parse_count(fields[2], "cores");
    } catch (const UsageError&) {
      continue;  // a node whose topology sinfo does not know
    }
  }
  if (cores.empty()) return std::nullopt;
  std::vector<std::uint64_t> list;
  for (const auto& [name, count] : cores) list.push_back(count);
  return list;
}

void check_slurm_fit(const SlurmScript& script) {
  const auto per_node = script.ranks_per_node * script.threads;
  const std::string layout = std::to_string(script.ranks_per_node) + " ranks x " +
                             std::to_string(script.threads) +
                             " threads = " + std::to_string(per_node) + " cores per node";
  if (script.cores_per_node) {
    if (per_node > *script.cores_per_node) {
      throw UsageError("the layout does not fit a node: " + layout + ", but a node has " +
                       std::to_string(*script.cores_per_node) + " (--cores-per-node)");
    }
    return;
  }
  const auto nodes = sinfo_node_cores(script.partition);
  const std::string where = partition_words(script.partition);
  if (!nodes) {
    std::cerr << program_name() + ": warning: cannot ask sinfo for the cores of " << where
              << ": give --cores-per-node to check that the layout fits a node\n";
    return;
  }
  std::uint64_t largest = 0;
  std::uint64_t fitting = 0;
  for (const auto cores : *nodes) {
    largest = std::max(largest, cores);
    if (cores >= per_node) ++fitting;
  }
  if (fitting == 0) {
    throw UsageError("the layout does not fit a node: " + layout + ", but the nodes of " + where +
                     " have at most " + std::to_string(largest) + " (sinfo)");
  }
  if (fitting < script.nodes) {
    throw UsageError("the layout needs " + std::to_string(script.nodes) + " nodes with " +
                     std::to_string(per_node) + " cores, but " + where + " has " +
                     std::to_string(fitting) + " (sinfo)");
  }
}

std::optional<std::uint64_t> sweep_node_cores(const SlurmScript& script) {
  if (script.cores_per_node) return script.cores_per_node;
  auto nodes = sinfo_node_cores(script.partition);
  const std::string where = partition_words(script.partition);
  if (!nodes) {
    std::cerr << program_name() + ": warning: cannot ask sinfo for the cores of " << where
              << ": give --cores-per-node to check the sweep's layouts against them\n";
    return std::nullopt;
  }
  if (nodes->size() < script.nodes) {
    throw UsageError("the sweep needs " + std::to_string(script.nodes) + " nodes, but " + where +
                     " has " + std::to_string(nodes->size()) + " (sinfo)");
  }
  std::sort(nodes->rbegin(), nodes->rend());
  return (*nodes)[script.nodes - 1];
}

std::string this_program_path() {
  std::error_code error;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string("hpar") : path.string();
}

}  // namespace hpar
