// SPDX-License-Identifier: BSD-3-Clause
// `hpar slurm JOB --nodes N --ranks-per-node R --threads T [--time] [--partition] [job options]`:
// prints a ready sbatch script for that hybrid layout (`hpar slurm sweep ... -- PROGRAM` one
// that runs `hpar sweep` on whole nodes, `hpar slurm farm ... -- COMMAND` one that runs the
// farm). Reads like a table of contents: parse the options into a SlurmScript -> check the
// job's options as `hpar run` will (the sweep's as `hpar sweep` will) -> check the layout fits
// the nodes (--cores-per-node, else sinfo) -> print the script, which the writer in
// src/launch/slurm_script.cpp makes.

#include <algorithm>
#include <iostream>
#include <numeric>

#include "commands.hpp"
#include "hpar/cli/cli.hpp"
#include "hpar/comm/steps.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/program.hpp"
#include "hpar/launch/slurm_script.hpp"
#include "slurm_options.hpp"

namespace po = boost::program_options;

namespace hpar {
namespace {

using Kind = SlurmScript::Kind;

/// Checks the job's options as `hpar run` will on the cluster: the same parser, then the job
/// built from them (which checks their values) for N x R ranks of T threads, a rank with T CPUs
/// of its own (--cpu-bind=cores); returns what was parsed.
ParsedRun check_job_options(const SlurmScript& script) {
  ParsedRun parsed = parse_job_command(script.arguments, passed_on_options());
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
  const auto ranks = script.nodes * script.ranks_per_node;
  if (ranks > 1U << 24) throw UsageError("more than 2^24 ranks");
  JobContext context{static_cast<int>(ranks), static_cast<int>(script.threads)};
  context.cpus.resize(script.threads);
  std::iota(context.cpus.begin(), context.cpus.end(), 0);
  [[maybe_unused]] const auto job = parsed.job->make(parsed.vm, context);
  return parsed;
}

/// The kind of script `args` ask for, or UsageError for a job that does not exist.
Kind script_kind(std::span<const std::string> args) {
  if (args[0] == "sweep") return Kind::sweep;
  if (args[0] == "farm" && find_job("farm") != nullptr) return Kind::farm;
  if (args[0].starts_with("-"))
    throw UsageError("name the job first: hpar slurm JOB --nodes N ...");
  if (find_job(args[0]) == nullptr) {
    throw UsageError("unknown job " + quote_for_message(args[0]) + " (see 'hpar list')");
  }
  return Kind::job;
}

/// Whether `args` ask for help: --help before the first "--" (after it, the command's own).
bool asks_help(std::span<const std::string> args) {
  const auto dashes = std::find(args.begin(), args.end(), "--");
  return std::find(args.begin(), dashes, "--help") != dashes;
}

}  // namespace

int slurm_command(const boost::mpi::communicator& world, std::span<const std::string> args) {
  if (args.empty()) {
    throw UsageError("missing job name: hpar slurm JOB --nodes N --ranks-per-node R --threads T");
  }
  const bool top_help = args[0] == "--help" || args[0] == "-h";
  const Kind kind = top_help ? Kind::job : script_kind(args);
  if (top_help || asks_help(args)) {
    if (world.rank() == 0) {
      std::cout << in_program_words(slurm_help());
      if (!top_help && kind != Kind::sweep) {
        std::cout << "\n" << job_help(*find_job(args[0]), po::options_description());
      }
    }
    return 0;
  }
  // Parse and check on every rank alike; ask sinfo and print on rank 0 only.
  SlurmScript script = on_every_rank(world, [&] {
    SlurmScript s = parse_slurm_script(kind, args);
    if (kind == Kind::sweep) return s;
    const ParsedRun parsed = check_job_options(s);
    if (!s.checkpoint.empty()) refuse_outputs_in_checkpoint(parsed.vm, s.checkpoint);
    return s;
  });
  on_root(world, [&] {
    if (kind == Kind::sweep) {
      script.sweep_cores = sweep_node_cores(script);
      const SweepCheck check =
          check_sweep(script.arguments, static_cast<int>(script.nodes),
                      script.sweep_cores ? static_cast<int>(*script.sweep_cores) : 1 << 20);
      script.sweep_layouts = check.layouts;
      script.sweep_left_out = check.left_out;
    } else {
      check_slurm_fit(script);
    }
    std::cout << slurm_script_text(script) << std::flush;
  });
  return 0;
}

}  // namespace hpar
