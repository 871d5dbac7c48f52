// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The command line: subcommands, shared option groups, parsing of `run`-style arguments.

#include <boost/mpi/communicator.hpp>
#include <boost/program_options.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hpar/engine/engine.hpp"
#include "hpar/report/report.hpp"

namespace hpar {

/// Entry point on every rank: parses `args` (argv without the program name), runs the
/// subcommand with `jobs` as the program's jobs (find_job, `list`; a RegistryScope for the
/// call), prints errors once (rank 0) and returns the exit code every rank agrees on. Two jobs
/// of one name, or a job option that hpar takes itself, end it at once with exit code 2.
int cli_main(const boost::mpi::communicator& world, const std::vector<std::string>& args,
             std::span<const JobInfo> jobs);

/// Entry point of the commands that are not MPI processes: those that start MPI programs
/// themselves (`hpar sweep`) and those that only read files (`hpar farm-status`, with a farm
/// among `jobs`): runs the command named by `args` and returns its exit code (errors printed
/// as cli_main prints them), or nothing when `args` name another command (then the caller
/// starts MPI and calls cli_main).
[[nodiscard]] std::optional<int> cli_main_without_mpi(const std::vector<std::string>& args,
                                                      std::span<const JobInfo> jobs = {});

/// A parsed `run`-style command line: a job, its options and the engine's options.
struct ParsedRun {
  const JobInfo* job = nullptr;
  boost::program_options::variables_map vm;  ///< job options and the shared ones
  RunOptions run;
  bool help = false;  ///< --help was given: print job_help(*job) and stop
};

/// Layout options every job-running command takes: --threads, --schedule, --distribution;
/// with `job`, its own defaults for them (a farm's dynamic ones), as --help shows them.
[[nodiscard]] boost::program_options::options_description layout_options(
    const JobInfo* job = nullptr);

/// Throws UsageError when `job` declares an option that a job-running command takes itself:
/// the layout options, --config, --help, or one of `extra` (the command's own).
void check_option_names(const JobInfo& job,
                        const boost::program_options::options_description& extra);

/// Parses `JOB [options]` with the job's options, the layout options and `extra`; reads
/// --config FILE (INI, same option names; the command line wins). Throws UsageError.
[[nodiscard]] ParsedRun parse_job_command(std::span<const std::string> args,
                                          const boost::program_options::options_description& extra);

/// Help text of one job: summary, its options with defaults, and the shared options.
[[nodiscard]] std::string job_help(const JobInfo& job,
                                   const boost::program_options::options_description& extra);

/// Throws RuntimeError when MPI provides only MPI_THREAD_SINGLE: running jobs needs FUNNELED.
void require_funneled();

/// What produced a run of `hpar COMMAND ARGS...`, for its reports: the command line, the MPI
/// library and the thread level it provides.
[[nodiscard]] RunContext run_context(std::string_view command, std::span<const std::string> args);

/// Prints `hpar: warning: ...` lines on rank 0's stderr for an unsound layout and returns them
/// (on rank 0; empty elsewhere). Collective.
std::vector<std::string> warn_about_layout(const boost::mpi::communicator& comm, int threads);

}  // namespace hpar
