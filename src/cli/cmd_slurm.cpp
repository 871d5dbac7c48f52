// SPDX-License-Identifier: BSD-3-Clause
// `hpar slurm JOB --nodes N --ranks-per-node R --threads T [--time] [--partition] [job options]`:
// prints a ready sbatch script for that hybrid layout. Reads like a table of contents:
// parse the layout -> check the job's options as `hpar run` will -> check the layout fits the
// nodes (--cores-per-node, else sinfo) -> print the script.
//
// The script is slurm/hybrid.sbatch with the layout in its #SBATCH lines and the job in its
// arguments: the lines from its "---- from here on the same" marker to the end are the same
// text (tests/cli/slurm_cases.sh compares them), so both stop and report the same way.
// `hpar slurm sweep` prints slurm/sweep.sbatch, `hpar slurm farm ... -- COMMAND` prints
// slurm/farm.sbatch, the same way.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <regex>
#include <sstream>

#include "commands.hpp"
#include "hpar/cli/cli.hpp"
#include "hpar/cli/options.hpp"
#include "hpar/cli/steps.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/format.hpp"
#include "hpar/core/parse.hpp"
#include "hpar/core/program.hpp"

namespace po = boost::program_options;

namespace hpar {
namespace {

/// The layout and the Slurm settings of the script (of a sweep: the nodes and the settings).
struct SlurmRequest {
  std::uint64_t nodes = 1;
  std::uint64_t ranks_per_node = 1;
  std::uint64_t threads = 1;
  std::optional<std::uint64_t> cores_per_node;  ///< --cores-per-node, else ask sinfo
  std::optional<std::uint64_t> time_seconds;    ///< --time, in seconds
  std::string time;                             ///< --time as given
  std::string partition;
  std::string job_name;
  std::string launcher = "srun";
  std::vector<std::string> job_args;  ///< JOB and the options passed on to `hpar run` (a
                                      ///< sweep's: hpar sweep's options, "--", the program; a
                                      ///< farm's: its options, "--", the command)
  std::string checkpoint;             ///< a farm's --checkpoint DIR ("": none)
};

/// What every script needs besides its layout: time, partition, cores of a node, launcher, name.
void add_batch_options(po::options_description& d, const char* name_default) {
  d.add_options()("time", po::value<std::string>()->value_name("LIMIT"),
                  "time limit as sbatch takes it: MIN, MIN:SEC, H:MIN:SEC, D-H, D-H:MIN or "
                  "D-H:MIN:SEC (default: the partition's)")(
      "partition", po::value<std::string>()->value_name("NAME"),
      "partition (default: the cluster's default partition)")(
      "cores-per-node", po::value<std::string>()->value_name("C"),
      "cores of a node, to check the layout against (default: ask sinfo)")(
      "launcher", po::value<std::string>()->value_name("srun|mpirun")->default_value("srun"),
      "how the script starts the ranks: srun --mpi=pmix --cpu-bind=cores, or Open MPI's mpirun")(
      "job-name", po::value<std::string>()->value_name("NAME"), name_default);
}

po::options_description slurm_options() {
  po::options_description d("Slurm options");
  d.add_options()("nodes", po::value<std::string>()->value_name("N"), "nodes (required)")(
      "ranks-per-node", po::value<std::string>()->value_name("R"),
      "MPI ranks per node, Slurm tasks (required)")(
      "threads", po::value<std::string>()->value_name("T"),
      "OpenMP threads per rank, Slurm CPUs per task (required)");
  add_batch_options(d, "Slurm job name (default: hpar-JOB)");
  return d;
}

/// The options of `hpar slurm sweep`: the nodes and the batch settings; the rest is hpar sweep's.
po::options_description slurm_sweep_options() {
  po::options_description d("Slurm options of a sweep script");
  d.add_options()("nodes", po::value<std::string>()->value_name("N"),
                  "whole nodes the sweep may use (required)");
  add_batch_options(d, "Slurm job name (default: hpar-sweep)");
  return d;
}

/// The checkpoint options of `hpar slurm farm` (the script adds --resume itself).
po::options_description farm_checkpoint_options() {
  po::options_description d("Checkpoint options of a farm script");
  d.add_options()("checkpoint", po::value<std::string>()->value_name("DIR"),
                  "record every finished task in DIR (a directory every node sees); the script "
                  "resumes it when DIR holds a checkpoint (a resubmitted job, HPAR_RESUBMIT)")(
      "resume", "(not here: the script adds it when the --checkpoint DIR holds a checkpoint)");
  return d;
}

/// The options of `hpar slurm farm` besides the farm's: the layout, the batch settings and the
/// checkpoint.
po::options_description slurm_farm_options() {
  po::options_description d;
  d.add(slurm_options()).add(farm_checkpoint_options());
  return d;
}

/// The options of `hpar run` besides the job's and the layout's, as the script passes them on.
po::options_description passed_on_options() {
  po::options_description d("Options passed on to hpar run");
  d.add_options()("output", po::value<std::string>()->value_name("FILE"),
                  "write the job's ordered output to FILE (atomically)")(
      "report-json", po::value<std::string>()->value_name("FILE"),
      "(not here: the script writes hpar-JOBID.json, see HPAR_REPORT_DIR)")(
      "no-report", "no terminal report in the job's output")(
      "trace", po::value<std::string>()->value_name("FILE.json"), "write a Chrome trace")(
      "progress", po::value<std::string>()->default_value("auto")->value_name("auto|on|off"),
      "progress lines on stderr")(
      "status-file", po::value<std::string>()->value_name("FILE"),
      "keep FILE (where the login node sees it) up to date with the run's state");
  return d;
}

std::string slurm_help() {
  std::ostringstream o;
  o << "hpar slurm JOB --nodes N --ranks-per-node R --threads T [options] [job options]:\n"
       "print a ready sbatch script for that layout\n\n"
       "The script runs 'hpar run JOB [job options]' on N nodes with R ranks per node and T\n"
       "OpenMP threads per rank (one core each), writes the JSON report to hpar-JOBID.json and,\n"
       "on SIGTERM (time limit, scancel --signal=TERM), stops every rank cleanly with an\n"
       "incomplete report (exit 4). The job's options are checked here as 'hpar run' will check\n"
       "them, and a layout that does not fit the nodes (R x T above their cores, from\n"
       "--cores-per-node or from sinfo) is refused, so a mistake costs no queue wait.\n"
       "Submit with: hpar slurm ... > job.sbatch && sbatch job.sbatch\n\n"
    << slurm_options() << "\n"
    << passed_on_options() << "\n"
    << "Run 'hpar help JOB' for the job's own options.\n\n"
    << "hpar slurm sweep --nodes N [options] [sweep options] -- PROGRAM [ARG...]:\n"
       "print a ready sbatch script (slurm/sweep.sbatch) that runs 'hpar sweep' on N whole\n"
       "nodes (--exclusive); the sweep's options are checked here as 'hpar sweep' will check\n"
       "them, and its layouts against the nodes' cores (--cores-per-node, else sinfo).\n\n"
    << slurm_sweep_options() << "\n"
    << "Run 'hpar sweep --help' for the sweep's own options.\n\n"
    << "hpar slurm farm --nodes N --ranks-per-node R --threads T [options] [farm options]\n"
       "  -- COMMAND [ARG...]:\n"
       "print a ready sbatch script (slurm/farm.sbatch) that runs 'hpar run farm [farm options]\n"
       "-- COMMAND [ARG...]' on N x R ranks of T slots; the farm's options and the command are\n"
       "checked here as 'hpar run farm' will check them, the layout against the nodes' cores.\n"
       "With --checkpoint DIR, a job stopped by the time limit (exit 4) leaves its finished\n"
       "tasks in DIR and a later one (HPAR_RESUBMIT=N resubmits it) runs only the rest.\n\n"
       "The Slurm options are those of 'hpar slurm JOB' above (job name default hpar-farm).\n\n"
    << farm_checkpoint_options() << "\n"
    << "Run 'hpar help farm' for the farm's own options.\n";
  return o.str();
}

/// Seconds of a time limit in one of sbatch's formats; UsageError otherwise.
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

/// Refuses arguments that cannot go into a batch script.
void refuse_control_characters(std::span<const std::string> args) {
  for (const auto& arg : args) {
    if (std::any_of(arg.begin(), arg.end(), [](char c) { return c >= 0 && c < ' '; })) {
      throw UsageError(
          "an argument with a control character (e.g. a newline) cannot go into a "
          "batch script");
    }
  }
}

/// The settings of add_batch_options, checked, into `request`.
void parse_batch_settings(const po::variables_map& vm, const std::string& default_name,
                          SlurmRequest& request) {
  request.nodes = count_option(vm, "nodes", 1, 100000);
  if (vm.count("cores-per-node") != 0U) {
    request.cores_per_node = count_option(vm, "cores-per-node", 1, 1U << 20);
  }
  if (vm.count("time") != 0U) {
    request.time = vm["time"].as<std::string>();
    request.time_seconds = parse_time_limit(request.time);
  }
  static const std::regex name_chars(R"([A-Za-z0-9_.,+-]+)");
  if (vm.count("partition") != 0U) {
    request.partition = vm["partition"].as<std::string>();
    if (!std::regex_match(request.partition, name_chars)) {
      throw UsageError("bad --partition " + quote_for_message(request.partition) +
                       ": letters, digits and _ . , + - only");
    }
  }
  request.job_name = vm.count("job-name") != 0U ? vm["job-name"].as<std::string>() : default_name;
  if (!std::regex_match(request.job_name, name_chars)) {
    throw UsageError("bad --job-name " + quote_for_message(request.job_name) +
                     ": letters, digits and _ . , + - only");
  }
  request.launcher = vm["launcher"].as<std::string>();
  if (request.launcher != "srun" && request.launcher != "mpirun") {
    throw UsageError("--launcher must be srun or mpirun, not " +
                     quote_for_message(request.launcher));
  }
}

/// The layout (--nodes, --ranks-per-node, --threads, all required) and the batch settings of
/// `vm` into `request`; `command` names the command in messages.
void parse_layout(const po::variables_map& vm, const std::string& command,
                  const std::string& default_name, SlurmRequest& request) {
  for (const char* required : {"nodes", "ranks-per-node", "threads"}) {
    if (vm.count(required) == 0U) {
      throw UsageError("'" + command + "' needs --" + required +
                       " (the layout: --nodes N --ranks-per-node R --threads T)");
    }
  }
  parse_batch_settings(vm, default_name, request);
  request.ranks_per_node = count_option(vm, "ranks-per-node", 1, 4096);
  request.threads = count_option(vm, "threads", 1, 4096);
}

/// Splits `args` (JOB first) into the Slurm request and the tokens passed on to `hpar run`.
SlurmRequest parse_request(std::span<const std::string> args) {
  refuse_control_characters(args);
  SlurmRequest request;
  const ParsedOptions parsed =
      parse_options(args.subspan(1), slurm_options(), {.pass_on_unknown = true});
  parse_layout(parsed.vm, "hpar slurm", "hpar-" + args[0], request);
  request.job_args.push_back(args[0]);
  request.job_args.insert(request.job_args.end(), parsed.passed_on.begin(), parsed.passed_on.end());
  return request;
}

/// Checks the job's options as `hpar run` will on the cluster: the same parser, then the job
/// built from them (which checks their values) for N x R ranks of T threads, a rank with T CPUs
/// of its own (--cpu-bind=cores); returns what was parsed.
ParsedRun check_job_options(const SlurmRequest& request) {
  ParsedRun parsed = parse_job_command(request.job_args, passed_on_options());
  if (parsed.vm.count("threads") != 0U) {
    throw UsageError(
        "give the threads with --threads on the command line, not in --config: "
        "the script sets them from Slurm's CPUs per task");
  }
  if (parsed.vm.count("report-json") != 0U) {
    throw UsageError(
        "the script writes the JSON report to hpar-JOBID.json; choose its directory "
        "with HPAR_REPORT_DIR instead of --report-json");
  }
  const auto ranks = request.nodes * request.ranks_per_node;
  if (ranks > 1U << 24) throw UsageError("more than 2^24 ranks");
  JobContext context{static_cast<int>(ranks), static_cast<int>(request.threads)};
  context.cpus.resize(request.threads);
  std::iota(context.cpus.begin(), context.cpus.end(), 0);
  [[maybe_unused]] const auto job = parsed.job->make(parsed.vm, context);
  return parsed;
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

/// Cores of each node of the partition (the default one when `partition` is empty), from
/// sinfo; nothing when Slurm cannot be reached.
std::optional<std::vector<std::uint64_t>> cores_from_sinfo(const std::string& partition) {
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

/// Refuses a layout whose ranks x threads do not fit the cores of enough nodes.
void check_fit(const SlurmRequest& request) {
  const auto per_node = request.ranks_per_node * request.threads;
  const std::string layout = std::to_string(request.ranks_per_node) + " ranks x " +
                             std::to_string(request.threads) +
                             " threads = " + std::to_string(per_node) + " cores per node";
  if (request.cores_per_node) {
    if (per_node > *request.cores_per_node) {
      throw UsageError("the layout does not fit a node: " + layout + ", but a node has " +
                       std::to_string(*request.cores_per_node) + " (--cores-per-node)");
    }
    return;
  }
  const auto nodes = cores_from_sinfo(request.partition);
  const std::string where =
      request.partition.empty() ? "the default partition" : "partition " + request.partition;
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
  if (fitting < request.nodes) {
    throw UsageError("the layout needs " + std::to_string(request.nodes) + " nodes with " +
                     std::to_string(per_node) + " cores, but " + where + " has " +
                     std::to_string(fitting) + " (sinfo)");
  }
}

/// The lines of slurm/hybrid.sbatch from its "---- from here on" marker to the end (a test
/// keeps them equal).
constexpr const char* script_body =
#include "slurm_hybrid_body.inc"  // generated from slurm/hybrid.sbatch by src/cli/CMakeLists.txt
    ;

/// The path of this hpar binary, for the script's default HPAR.
std::string this_binary() {
  std::error_code error;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string("hpar") : path.string();
}

/// The #SBATCH lines (`layout`: the lines between --nodes and --partition) and the "Made by"
/// line; returns whether the script asks for SIGTERM 60 s before the time limit.
bool write_head(std::ostream& o, const SlurmRequest& request, const std::string& layout,
                const std::string& output, std::span<const std::string> command_line) {
  o << "#!/bin/bash\n"
    << "#SBATCH --job-name=" << request.job_name << "\n"
    << "#SBATCH --nodes=" << request.nodes << "\n"
    << layout;
  if (!request.partition.empty()) o << "#SBATCH --partition=" << request.partition << "\n";
  if (request.time_seconds) o << "#SBATCH --time=" << request.time << "\n";
  // The stop 60 s before the limit; Slurm may send it up to a minute early, so not for short
  // limits (they still get SIGTERM at the limit itself).
  const bool early_stop = !request.time_seconds || *request.time_seconds >= 600;
  if (early_stop) o << "#SBATCH --signal=B:TERM@60\n";
  o << "#SBATCH --output=" << output << "\n#\n# Made by: hpar slurm";
  for (const auto& arg : command_line) o << " " << shell_quote(arg);
  o << "\n";
  return early_stop;
}

/// The script's variables (the binary, `launcher_variable` from HPAR_LAUNCHER, the report
/// directory), its arguments (`set --`), then `body`.
void write_tail(std::ostream& o, const char* launcher_variable, const SlurmRequest& request,
                const char* body) {
  o << "# ---- your environment: module load lines (and exports) go here, e.g. ----\n"
       "# module load openmpi\n"
       "# ---- end of your environment ----\n"
       "set -u\n"
    << "hpar=${HPAR:-" << shell_quote(this_binary()) << "}\n"
    << launcher_variable << "=${HPAR_LAUNCHER:-" << request.launcher << "}\n"
    << "report_dir=${HPAR_REPORT_DIR:-.}\n";
  if (!request.checkpoint.empty())
    o << "HPAR_CHECKPOINT=" << shell_quote(request.checkpoint) << "\n";
  o << "set --";
  for (const auto& arg : request.job_args) o << " " << shell_quote(arg);
  o << "\n\n" << body;
}

/// The sbatch script for `request`, with `command_line` in its header.
std::string make_script(const SlurmRequest& request, std::span<const std::string> command_line) {
  std::ostringstream o;
  const bool early_stop =
      write_head(o, request,
                 "#SBATCH --ntasks-per-node=" + std::to_string(request.ranks_per_node) +
                     "\n#SBATCH --cpus-per-task=" + std::to_string(request.threads) + "\n",
                 "hpar-%j.out", command_line);
  o << "# Layout: " << request.nodes << " node(s) x " << request.ranks_per_node
    << " rank(s) per node x " << request.threads << " OpenMP thread(s) per rank, one core each.\n"
    << "# Submit: sbatch [--chdir=DIR] THIS_FILE. Results in hpar-JOBID.out, the JSON report\n"
       "# in hpar-JOBID.json. Environment knobs: HPAR (the hpar binary), HPAR_LAUNCHER (srun or\n"
       "# mpirun), HPAR_SRUN_MPI (default pmix), HPAR_REPORT_DIR (default: working directory).\n"
       "# On SIGTERM ("
    << (early_stop ? "60 to 90 s before the time limit" : "at the time limit")
    << ", scancel --signal=TERM) every rank stops\n"
       "# cleanly, the report is marked incomplete and the job exits 4. More in\n"
       "# slurm/hybrid.sbatch and docs/clusters.md.\n";
  write_tail(o, "launcher", request, script_body);
  return o.str();
}

/// The lines of slurm/sweep.sbatch from its "---- from here on" marker to the end.
constexpr const char* sweep_script_body =
#include "slurm_sweep_body.inc"  // generated from slurm/sweep.sbatch by src/cli/CMakeLists.txt
    ;

/// `hpar slurm sweep`'s request: the nodes and batch settings, and in job_args hpar sweep's
/// options, "--" and the program.
SlurmRequest parse_sweep_request(std::span<const std::string> args) {
  refuse_control_characters(args);
  const auto dashes =
      static_cast<std::size_t>(std::find(args.begin(), args.end(), "--") - args.begin());
  const ParsedOptions parsed =
      parse_options(args.first(dashes), slurm_sweep_options(), {.pass_on_unknown = true});
  if (parsed.vm.count("nodes") == 0U) {
    throw UsageError("'hpar slurm sweep' needs --nodes N (whole nodes for the sweep)");
  }
  SlurmRequest request;
  parse_batch_settings(parsed.vm, "hpar-sweep", request);
  request.job_args = parsed.passed_on;
  request.job_args.insert(request.job_args.end(),
                          args.begin() + static_cast<std::ptrdiff_t>(dashes), args.end());
  return request;
}

/// The cores of each of the sweep's nodes: --cores-per-node, else the N-th largest node of the
/// partition (sinfo), so that N nodes have that many; nothing (with a warning) when unknown.
std::optional<std::uint64_t> sweep_cores_per_node(const SlurmRequest& request) {
  if (request.cores_per_node) return request.cores_per_node;
  auto nodes = cores_from_sinfo(request.partition);
  const std::string where =
      request.partition.empty() ? "the default partition" : "partition " + request.partition;
  if (!nodes) {
    std::cerr << program_name() + ": warning: cannot ask sinfo for the cores of " << where
              << ": give --cores-per-node to check the sweep's layouts against them\n";
    return std::nullopt;
  }
  if (nodes->size() < request.nodes) {
    throw UsageError("the sweep needs " + std::to_string(request.nodes) + " nodes, but " + where +
                     " has " + std::to_string(nodes->size()) + " (sinfo)");
  }
  std::sort(nodes->rbegin(), nodes->rend());
  return (*nodes)[request.nodes - 1];
}

/// The sweep script: slurm/sweep.sbatch's body, for `request` (whose layouts are `check`'s).
std::string make_sweep_script(const SlurmRequest& request, const SweepCheck& check,
                              std::optional<std::uint64_t> cores,
                              std::span<const std::string> command_line) {
  std::ostringstream o;
  const bool early_stop =
      write_head(o, request, "#SBATCH --exclusive\n", "hpar-sweep-%j.out", command_line);
  o << "# Sweep: " << check.layouts.size() << " layout(s) on " << request.nodes << " node(s)";
  if (cores) o << " of " << *cores << " cores";
  o << ":";
  for (const auto& l : check.layouts) o << " " << l;
  o << "\n";
  for (const auto& l : check.left_out) o << "#   left out " << l << "\n";
  o << "# Submit: sbatch [--chdir=DIR] THIS_FILE. The table in hpar-sweep-JOBID.out, the study\n"
       "# in hpar-sweep-JOBID.json (.csv, .png), every launch's output in hpar-sweep-JOBID.logs/.\n"
       "# Environment knobs: HPAR, HPAR_LAUNCHER (srun, mpirun or auto), HPAR_SRUN_MPI, "
       "HPAR_REPORT_DIR,\n"
       "# HPAR_SWEEP_LOGS. On SIGTERM ("
    << (early_stop ? "60 to 90 s before the time limit" : "at the time limit")
    << ", scancel --signal=TERM)\n"
       "# the launch in progress stops, the points done are written (\"complete\": false) and\n"
       "# the job exits 4. More in slurm/sweep.sbatch and docs/studies.md.\n";
  write_tail(o, "sweep_launcher", request, sweep_script_body);
  return o.str();
}

/// `hpar slurm sweep --nodes N [...] [sweep options] -- PROGRAM [ARG...]`.
int slurm_sweep(const boost::mpi::communicator& world, std::span<const std::string> args) {
  if (std::find(args.begin(), args.end(), "--help") != args.end() &&
      std::find(args.begin(), args.end(), "--") == args.end()) {
    if (world.rank() == 0) std::cout << in_program_words(slurm_help());
    return 0;
  }
  const SlurmRequest request = on_every_rank(world, [&] { return parse_sweep_request(args); });
  on_root(world, [&] {
    const auto cores = sweep_cores_per_node(request);
    const SweepCheck check = check_sweep(request.job_args, static_cast<int>(request.nodes),
                                         cores ? static_cast<int>(*cores) : 1 << 20);
    std::vector<std::string> command_line{"sweep"};
    command_line.insert(command_line.end(), args.begin(), args.end());
    std::cout << make_sweep_script(request, check, cores, command_line) << std::flush;
  });
  return 0;
}

/// The lines of slurm/farm.sbatch from its "---- from here on" marker to the end.
constexpr const char* farm_script_body =
#include "slurm_farm_body.inc"  // generated from slurm/farm.sbatch by src/cli/CMakeLists.txt
    ;

/// `hpar slurm farm`'s request: the layout, batch settings and checkpoint, and in job_args
/// "farm", the farm's options, "--" and the command (the words after the first "--" are the
/// command's, whatever they look like).
SlurmRequest parse_farm_request(std::span<const std::string> args) {
  refuse_control_characters(args);
  const auto dashes =
      static_cast<std::size_t>(std::find(args.begin(), args.end(), "--") - args.begin());
  const ParsedOptions parsed =
      parse_options(args.first(dashes), slurm_farm_options(), {.pass_on_unknown = true});
  SlurmRequest request;
  parse_layout(parsed.vm, "hpar slurm farm", "hpar-farm", request);
  if (parsed.vm.count("resume") != 0U) {
    throw UsageError(
        "leave out --resume: the script resumes by itself when the --checkpoint DIR holds a "
        "checkpoint");
  }
  if (parsed.vm.count("checkpoint") != 0U) {
    request.checkpoint = parsed.vm["checkpoint"].as<std::string>();
    if (request.checkpoint.empty()) {
      throw UsageError("--checkpoint needs a directory (it was given '')");
    }
  }
  request.job_args = {"farm"};
  request.job_args.insert(request.job_args.end(), parsed.passed_on.begin(), parsed.passed_on.end());
  request.job_args.insert(request.job_args.end(),
                          args.begin() + static_cast<std::ptrdiff_t>(dashes), args.end());
  return request;
}

/// The farm script: slurm/farm.sbatch's body, with the farm's options and command in `set --`
/// (job_args without the job's name: the body runs `hpar run farm "$@"`).
std::string make_farm_script(SlurmRequest request, std::span<const std::string> command_line) {
  std::ostringstream o;
  const bool early_stop =
      write_head(o, request,
                 "#SBATCH --ntasks-per-node=" + std::to_string(request.ranks_per_node) +
                     "\n#SBATCH --cpus-per-task=" + std::to_string(request.threads) + "\n",
                 "hpar-farm-%j.out", command_line);
  o << "# Layout: " << request.nodes << " node(s) x " << request.ranks_per_node
    << " rank(s) per node x " << request.threads << " slot(s) per rank, one core each.\n"
    << "# Submit: sbatch [--chdir=DIR] THIS_FILE. The tasks' output in input order (or in\n"
       "# --output FILE) in hpar-farm-JOBID.out, the JSON report in hpar-farm-JOBID.json.\n"
       "# Environment knobs: HPAR, HPAR_LAUNCHER (srun or mpirun), HPAR_SRUN_MPI, HPAR_REPORT_DIR";
  if (request.checkpoint.empty()) {
    o << ",\n# HPAR_CHECKPOINT=DIR (finished tasks recorded, a later job resumes them), "
         "HPAR_RESUBMIT=N.\n";
  } else {
    o << ",\n# HPAR_RESUBMIT=N (a job stopped at the time limit submits this script again).\n"
         "# Checkpoint: "
      << shell_quote(request.checkpoint) << " (--resume is added when it holds one).\n";
  }
  o << "# On SIGTERM (" << (early_stop ? "60 to 90 s before the time limit" : "at the time limit")
    << ", scancel --signal=TERM) the running tasks\n"
       "# are ended, the finished ones' output is kept, the report is marked incomplete and the\n"
       "# job exits 4. More in slurm/farm.sbatch and docs/clusters.md.\n";
  request.job_args.erase(request.job_args.begin());
  write_tail(o, "launcher", request, farm_script_body);
  return o.str();
}

/// `hpar slurm farm --nodes N --ranks-per-node R --threads T [...] -- COMMAND [ARG...]`.
int slurm_farm(const boost::mpi::communicator& world, std::span<const std::string> args) {
  const auto dashes = std::find(args.begin(), args.end(), "--");
  if (std::find(args.begin(), dashes, "--help") != dashes) {
    if (world.rank() == 0) {
      std::cout << in_program_words(slurm_help()) << "\n"
                << job_help(*find_job("farm"), po::options_description());
    }
    return 0;
  }
  const SlurmRequest request = on_every_rank(world, [&] {
    SlurmRequest r = parse_farm_request(args);
    const ParsedRun parsed = check_job_options(r);
    if (!r.checkpoint.empty()) refuse_outputs_in_checkpoint(parsed.vm, r.checkpoint);
    return r;
  });
  on_root(world, [&] {
    check_fit(request);
    std::vector<std::string> command_line{"farm"};
    command_line.insert(command_line.end(), args.begin(), args.end());
    std::cout << make_farm_script(request, command_line) << std::flush;
  });
  return 0;
}

}  // namespace

int slurm_command(const boost::mpi::communicator& world, std::span<const std::string> args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    if (!args.empty()) {
      if (world.rank() == 0) std::cout << in_program_words(slurm_help());
      return 0;
    }
    throw UsageError("missing job name: hpar slurm JOB --nodes N --ranks-per-node R --threads T");
  }
  if (args[0] == "sweep") return slurm_sweep(world, args.subspan(1));
  if (args[0] == "farm" && find_job("farm") != nullptr) return slurm_farm(world, args.subspan(1));
  if (args[0].starts_with("-"))
    throw UsageError("name the job first: hpar slurm JOB --nodes N ...");
  if (find_job(args[0]) == nullptr) {
    throw UsageError("unknown job " + quote_for_message(args[0]) + " (see 'hpar list')");
  }
  if (std::find(args.begin(), args.end(), "--help") != args.end()) {
    if (world.rank() == 0)
      std::cout << in_program_words(slurm_help()) << "\n"
                << job_help(*find_job(args[0]), po::options_description());
    return 0;
  }

  // Parse and check on every rank alike; ask sinfo and print on rank 0 only.
  const SlurmRequest request = on_every_rank(world, [&] {
    SlurmRequest r = parse_request(args);
    check_job_options(r);
    return r;
  });
  on_root(world, [&] {
    check_fit(request);
    std::cout << make_script(request, args) << std::flush;
  });
  return 0;
}

}  // namespace hpar
