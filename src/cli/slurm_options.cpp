// SPDX-License-Identifier: BSD-3-Clause
// The options of `hpar slurm`, their help, and their reading into a SlurmScript
// (slurm_options.hpp): the batch settings every script takes, a job's or a farm's layout, a
// farm's checkpoint, and the words passed on to `hpar run`, `hpar sweep` or the farm.

#include "slurm_options.hpp"

#include <algorithm>
#include <sstream>

#include "hpar/cli/options.hpp"
#include "hpar/core/errors.hpp"

namespace po = boost::program_options;

namespace hpar {

using Kind = SlurmScript::Kind;

namespace {

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

/// The settings of add_batch_options, checked, into `s`.
void parse_batch_settings(const po::variables_map& vm, const std::string& default_name,
                          SlurmScript& s) {
  s.nodes = count_option(vm, "nodes", 1, 100000);
  if (vm.count("cores-per-node") != 0U) {
    s.cores_per_node = count_option(vm, "cores-per-node", 1, 1U << 20);
  }
  if (vm.count("time") != 0U) {
    s.time = vm["time"].as<std::string>();
    s.time_seconds = parse_time_limit(s.time);
  }
  if (vm.count("partition") != 0U) {
    s.partition = vm["partition"].as<std::string>();
    check_slurm_name("partition", s.partition);
  }
  s.job_name = vm.count("job-name") != 0U ? vm["job-name"].as<std::string>() : default_name;
  check_slurm_name("job-name", s.job_name);
  s.launcher = parse_batch_launcher(vm["launcher"].as<std::string>());
  s.hpar_binary = this_program_path();
}

/// The layout (--nodes, --ranks-per-node, --threads, all required) and the batch settings of
/// `vm` into `s`; `command` names the command in messages.
void parse_layout(const po::variables_map& vm, const std::string& command,
                  const std::string& default_name, SlurmScript& s) {
  for (const char* required : {"nodes", "ranks-per-node", "threads"}) {
    if (vm.count(required) == 0U) {
      throw UsageError("'" + command + "' needs --" + required +
                       " (the layout: --nodes N --ranks-per-node R --threads T)");
    }
  }
  parse_batch_settings(vm, default_name, s);
  s.ranks_per_node = count_option(vm, "ranks-per-node", 1, 4096);
  s.threads = count_option(vm, "threads", 1, 4096);
}

/// A farm's --checkpoint DIR (the script adds --resume itself) into `s`.
void parse_checkpoint(const po::variables_map& vm, SlurmScript& s) {
  if (vm.count("resume") != 0U) {
    throw UsageError(
        "leave out --resume: the script resumes by itself when the --checkpoint DIR holds a "
        "checkpoint");
  }
  if (vm.count("checkpoint") != 0U) {
    s.checkpoint = vm["checkpoint"].as<std::string>();
    if (s.checkpoint.empty()) throw UsageError("--checkpoint needs a directory (it was given '')");
  }
}

}  // namespace

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

SlurmScript parse_slurm_script(Kind kind, std::span<const std::string> args) {
  refuse_control_characters(args);
  SlurmScript s{.kind = kind, .command_line = {args.begin(), args.end()}};
  const auto dashes =
      kind == Kind::job
          ? args.size()
          : static_cast<std::size_t>(std::find(args.begin(), args.end(), "--") - args.begin());
  const po::options_description options = kind == Kind::job     ? slurm_options()
                                          : kind == Kind::sweep ? slurm_sweep_options()
                                                                : slurm_farm_options();
  const ParsedOptions parsed =
      parse_options(args.subspan(1, dashes - 1), options, {.pass_on_unknown = true});
  if (kind == Kind::sweep) {
    if (parsed.vm.count("nodes") == 0U) {
      throw UsageError("'hpar slurm sweep' needs --nodes N (whole nodes for the sweep)");
    }
    parse_batch_settings(parsed.vm, "hpar-sweep", s);
  } else if (kind == Kind::farm) {
    parse_layout(parsed.vm, "hpar slurm farm", "hpar-farm", s);
    parse_checkpoint(parsed.vm, s);
    s.arguments = {"farm"};
  } else {
    parse_layout(parsed.vm, "hpar slurm", "hpar-" + args[0], s);
    s.arguments = {args[0]};
  }
  s.arguments.insert(s.arguments.end(), parsed.passed_on.begin(), parsed.passed_on.end());
  s.arguments.insert(s.arguments.end(), args.begin() + static_cast<std::ptrdiff_t>(dashes),
                     args.end());
  return s;
}

}  // namespace hpar
