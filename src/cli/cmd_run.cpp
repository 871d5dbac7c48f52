// SPDX-License-Identifier: BSD-3-Clause
// `hpar run JOB [options]`: the driver. Reads like a table of contents:
// parse -> check layout -> run (partition, compute, gather, verify) -> output -> report.

#include <mpi.h>
#include <algorithm>
#include <cstdlib>

#include <filesystem>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "hpar/cli/cli.hpp"
#include "hpar/cli/identity.hpp"
#include "hpar/cli/options.hpp"
#include "hpar/cli/steps.hpp"
#include "hpar/comm/steps.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/files.hpp"
#include "hpar/core/format.hpp"
#include "hpar/core/parse.hpp"
#include "hpar/core/program.hpp"
#include "hpar/observe/progress.hpp"
#include "hpar/observe/status_file.hpp"
#include "hpar/observe/trace.hpp"
#include "hpar/report/report.hpp"
#include "standard_input.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace hpar {

/// The checkpoint directory is the checkpoint's alone: an empty name, or an output file written
/// into it (a report over its manifest), is refused.
void refuse_outputs_in_checkpoint(const po::variables_map& vm, const std::string& dir) {
  if (dir.empty()) throw UsageError("--checkpoint needs a directory (it was given '')");
  std::error_code ec;
  const fs::path home = fs::weakly_canonical(fs::absolute(dir, ec), ec);
  for (const char* name : {"output", "report-json", "trace", "status-file"}) {
    if (vm.count(name) == 0U) continue;
    const std::string path = vm[name].as<std::string>();
    if (path == "-") continue;
    const fs::path where = fs::weakly_canonical(fs::absolute(path, ec), ec).parent_path();
    if (!ec && where == home) {
      throw UsageError("--" + std::string(name) + " " + quote_for_message(path) +
                       " is inside the checkpoint directory " + quote_for_message(dir) +
                       ": write it elsewhere");
    }
  }
}

namespace {

po::options_description run_output_options() {
  po::options_description d("Output options");
  d.add_options()("output", po::value<std::string>()->value_name("FILE"),
                  "write the job's ordered output to FILE instead of stdout (atomically; by "
                  "every rank in parallel with MPI-IO when every rank sees FILE's directory)")(
      "output-buffer", po::value<std::string>()->default_value("64Mi")->value_name("BYTES"),
      "ordered output a rank holds in memory while it waits for its turn; past it, a "
      "temporary spill file (in FILE's directory, else $TMPDIR)")(
      "report-json", po::value<std::string>()->value_name("FILE"),
      "also write the report as JSON (schema hpar-report/1)")("no-report",
                                                              "print results only, no report")(
      "trace", po::value<std::string>()->value_name("FILE.json"),
      "write a Chrome trace of the run: a track per rank and thread (Perfetto, chrome://tracing)")(
      "progress", po::value<std::string>()->default_value("auto")->value_name("auto|on|off"),
      "progress lines on stderr: auto = when stderr is a terminal and the run takes a while")(
      "status-file", po::value<std::string>()->value_name("FILE"),
      "keep FILE up to date with the run's state (key: value lines: state, done, failed, "
      "running, left, total, eta), rewritten atomically by rank 0 every 2 s and at the end")(
      "checkpoint", po::value<std::string>()->value_name("DIR"),
      "record every finished block in DIR (a directory every rank sees), so that a run stopped "
      "by a signal or a time limit can be resumed")(
      "resume",
      "continue the checkpoint in --checkpoint DIR: finished blocks are not computed "
      "again, and the results are the same bits as an uninterrupted run's")(
      "resume-failed",
      "as --resume, and run again what the checkpoint holds as failed (the farm: the failed "
      "tasks, and those a --halt left unrun); the succeeded keep their output");
  return d;
}

/// What a checkpoint must match on resume: the job's options as they count (a number by its
/// value, an input file by its content; none that changes no result) and hpar's version.
/// Layout, output and checkpoint options may change between attempts.
void set_checkpoint_identity(const ParsedRun& parsed, CheckpointOptions& checkpoint) {
  RunIdentity identity = job_identity(*parsed.job, parsed.vm);
  identity.values.emplace_back("hpar version",
                               build_info().version + " " + build_info().git_revision);
  checkpoint.identity = std::move(identity.values);
  checkpoint.identity_labels = std::move(identity.labels);
}

/// Where the run's ordered output goes and its checkpoint, from the output options.
void set_destinations(ParsedRun& parsed) {
  const auto& vm = parsed.vm;
  parsed.run.ordered.buffer_bytes =
      parse_size(vm["output-buffer"].as<std::string>(), "--output-buffer");
  if (vm.count("output") != 0U) {
    parsed.run.ordered.kind = OrderedDestination::Kind::file;
    parsed.run.ordered.path = vm["output"].as<std::string>();
  } else {  // streamed to standard output while the blocks finish
    parsed.run.ordered.kind = OrderedDestination::Kind::standard_output;
  }
  for (const char* resume : {"resume", "resume-failed"}) {
    if (vm.count(resume) != 0U && vm.count("checkpoint") == 0U) {
      throw UsageError(std::string("--") + resume +
                       " needs --checkpoint DIR (the checkpoint to continue)");
    }
  }
  if (vm.count("checkpoint") != 0U) {
    parsed.run.checkpoint.dir = vm["checkpoint"].as<std::string>();
    refuse_outputs_in_checkpoint(vm, parsed.run.checkpoint.dir);
    parsed.run.checkpoint.resume_failed = vm.count("resume-failed") != 0U;
    parsed.run.checkpoint.resume = vm.count("resume") != 0U || parsed.run.checkpoint.resume_failed;
    set_checkpoint_identity(parsed, parsed.run.checkpoint);
  }
}

/// The launcher that started this run as a user would type it ("mpirun -np 4"), from the
/// variables it gives its ranks; "" for a singleton.
std::string launcher_prefix(int ranks) {
  const auto set = [](const char* name) { return std::getenv(name) != nullptr; };
  const std::string n = std::to_string(ranks);
  if (set("SLURM_STEP_ID") && set("SLURM_PROCID")) return "srun -n " + n;
  if (set("OMPI_COMM_WORLD_SIZE")) return "mpirun -np " + n;
  if (set("PMI_RANK") || set("PMIX_RANK")) return "mpiexec -n " + n;
  return ranks > 1 ? "mpirun -np " + n : "";
}

/// Rank 0, after a stop: how to go on from the checkpoint, as a command that works as printed:
/// the launcher first, --resume among the options (before a farm's `-- COMMAND`).
void print_resume_hint(const RunRecord& record, const RunContext& context) {
  if (!record.checkpoint.enabled) return;
  std::vector<std::string> words = context.command_line;
  const bool has_resume = std::find(words.begin(), words.end(), "--resume") != words.end();
  if (!has_resume) words.insert(std::find(words.begin(), words.end(), "--"), "--resume");
  std::string command = launcher_prefix(record.ranks);
  for (const auto& word : words) append_word(command, shell_quote(word));
  std::cerr << program_name() + ": the checkpoint in " << record.checkpoint.dir
            << " holds every finished block; resume with (any ranks x threads):\n  " << command
            << "\n";
}

/// Exit code of a finished run: incomplete (or stopped while its outputs were written) >
/// verification failure > success.
ExitCode outcome(const RunRecord& record, bool stopped) {
  if (!record.complete || stopped) return ExitCode::interrupted;
  if (record.result.verification.status == Verification::Status::fail) {
    return ExitCode::verification;
  }
  return ExitCode::ok;
}

/// Rank 0: the result lines (the ordered output went to stdout or --output as blocks
/// finished) and the trace. After a stop signal (`stopped`: on any rank before this phase; or
/// on rank 0 now, even while the trace is written) the trace is not written. Returns the
/// seconds it took.
double emit_results(const RunRecord& record, const ParsedRun& parsed, const nlohmann::json& trace,
                    bool stopped) {
  const double t_output = MPI_Wtime();
  if (record.complete) {
    for (const auto& line : record.result.lines) std::cout << line << "\n";
    if (record.plan.ordered_output && !record.plan.ordered_to_finish &&
        parsed.vm.count("output") != 0U) {
      std::cout << "result: wrote " << record.ordered_stats.bytes << " bytes to "
                << one_line_message(parsed.vm["output"].as<std::string>(), 200)
                << (record.ordered_stats.parallel ? " (every rank, MPI-IO)" : "") << "\n";
    }
  }
  std::cout.flush();
  if (parsed.vm.count("trace") != 0U) {
    bool written = false;
    try {
      written = !stopped && write_if_asked(parsed.vm, "trace", [&] { return trace.dump() + "\n"; });
    } catch (const Error& e) {
      if (e.code() != ExitCode::interrupted) throw;  // else: the report follows, incomplete
    }
    if (!written) {
      std::cerr << program_name() + ": note: stopped by a signal: --trace "
                << quote_for_message(parsed.vm["trace"].as<std::string>()) << " not written\n";
    }
  }
  return MPI_Wtime() - t_output;
}

/// Rank 0: the report on the terminal and in --report-json, marked incomplete ("complete":
/// false, "stopped_during": "output") when a stop signal came during the output phase
/// (`stopped`, on any rank) or comes now. Returns the exit code.
int emit_report(const RunRecord& record, const ParsedRun& parsed, const RunContext& context,
                double output_seconds, bool stopped) {
  auto report = make_report(record, context);
  report["phases"]["output"] = {
      {"min", output_seconds}, {"avg", output_seconds}, {"max", output_seconds}};
  report["phases"]["total"]["max"] = record.total.max + output_seconds;
  stopped = stopped || stop_requested();
  if (stopped && record.complete) {
    report["complete"] = false;
    report["stopped_during"] = "output";
  }
  if (parsed.vm.count("no-report") == 0U) print_report(std::cout, report);
  std::cout.flush();
  if (parsed.vm.count("report-json") != 0U) {  // the report is written even after a stop
    write_output(parsed.vm["report-json"].as<std::string>(), report.dump(2) + "\n");
  }
  return static_cast<int>(outcome(record, stopped || stop_requested()));
}

/// The run itself; a run that a stop ends in an error leaves `status` (rank 0's --status-file)
/// saying "stopped" (any other error: "failed", as the StatusFile's destructor writes).
RunRecord run_and_tell(const boost::mpi::communicator& world, const ParsedRun& parsed,
                       StatusFile* status) {
  try {
    return run_job(world, *parsed.job, parsed.vm, parsed.run);
  } catch (const Error& e) {
    if (status != nullptr && e.code() == ExitCode::interrupted) status->close("stopped");
    throw;
  }
}

}  // namespace

int run_command(const boost::mpi::communicator& world, std::span<const std::string> args) {
  // Parse: every rank the same way; agree in case a config file is unreadable on one rank.
  ProgressMode progress_mode = ProgressMode::automatic;
  const std::vector<std::string> words = share_standard_input(world, args);  // "--input-file -"
  ParsedRun parsed = on_every_rank(world, [&] {
    ParsedRun p = parse_job_command(words, run_output_options());
    progress_mode = parse_progress_mode(p.vm["progress"].as<std::string>());
    if (!p.help) set_destinations(p);
    if (!p.help && p.vm.count("status-file") != 0U && world.rank() == 0) {
      StatusFile::check(p.vm["status-file"].as<std::string>());  // agreed: every rank exits 2
    }
    return p;
  });
  if (parsed.help) {
    if (world.rank() == 0) std::cout << job_help(*parsed.job, run_output_options());
    return 0;
  }
  share_standard_input(world, parsed.vm);  // "input-file = -" in a --config file
  require_funneled();

  // Layout check (warnings only), then the run itself.
  RunContext context = run_context("run", args);
  context.warnings = warn_about_layout(world, parsed.run.threads);
  // Tracing and progress are off unless asked for; progress is printed by rank 0 only.
  const bool tracing = parsed.vm.count("trace") != 0U;
  TraceRecorder trace;
  if (tracing) parsed.run.observers.add(&trace);
  const bool terminal = stderr_reaches_terminal();
  ProgressMeter progress(std::cerr, terminal && progress_mode == ProgressMode::automatic,
                         progress_mode == ProgressMode::on ? 0.0 : 3.0, 1.0);
  if (world.rank() == 0 && (progress_mode == ProgressMode::on ||
                            (progress_mode == ProgressMode::automatic && terminal))) {
    parsed.run.observers.add(&progress);
  }
  std::unique_ptr<StatusFile> status;
  if (world.rank() == 0 && parsed.vm.count("status-file") != 0U) {
    status =
        std::make_unique<StatusFile>(parsed.vm["status-file"].as<std::string>(), parsed.job->name);
    parsed.run.observers.add(status.get());
  }
  if (tracing) {
    world.barrier();
    trace.start();
  }
  const RunRecord record = run_and_tell(world, parsed, status.get());
  nlohmann::json trace_doc;
  if (tracing) trace_doc = gather_trace(world, trace, host_name());

  // Output, then the report, on rank 0; every rank ends with rank 0's verdict, or with 4 when
  // a stop signal reached any rank before the output phase or during it (the report, written
  // last, then says it is incomplete).
  double output_seconds = 0.0;
  const bool stopped_before = stop_requested_anywhere(world);
  on_root(world, [&] { output_seconds = emit_results(record, parsed, trace_doc, stopped_before); });
  const bool stopped = stop_requested_anywhere(world);
  int code =
      on_root(world, [&] { return emit_report(record, parsed, context, output_seconds, stopped); });
  const bool signalled = stop_requested_anywhere(world);
  if (signalled) code = static_cast<int>(ExitCode::interrupted);
  if (status)
    status->close(code == static_cast<int>(ExitCode::interrupted) ? "stopped" : "complete");
  if (world.rank() == 0 && code == static_cast<int>(ExitCode::verification)) {
    std::cerr << program_name()
              << ": error: verification failed: " << record.result.verification.detail << "\n";
  }
  if (world.rank() == 0 && code == static_cast<int>(ExitCode::interrupted)) {
    std::cerr << program_name() +
                     (record.drained && !signalled
                          ? ": error: drained before the deadline (tasks that could not end "
                            "before it were not started); the report is incomplete\n"
                          : ": error: stopped early by a signal; the report is incomplete\n");
    print_resume_hint(record, context);
  }
  return code;
}

int farm_command(const boost::mpi::communicator& world, std::span<const std::string> args) {
  std::vector<std::string> with_job{"farm"};
  with_job.insert(with_job.end(), args.begin(), args.end());
  return run_command(world, with_job);
}

}  // namespace hpar
