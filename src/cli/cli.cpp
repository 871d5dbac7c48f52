// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/cli/cli.hpp"

#include <mpi.h>

#include <algorithm>
#include <boost/mpi/collectives.hpp>
#include <csignal>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <vector>

#include "commands.hpp"
#include "hpar/cli/options.hpp"
#include "hpar/comm/steps.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/parse.hpp"
#include "hpar/core/process.hpp"
#include "hpar/core/program.hpp"
#include "hpar/engine/signals.hpp"
#include "hpar/platform/layout.hpp"
#include "hpar/report/report.hpp"

namespace po = boost::program_options;

namespace hpar {
namespace {

/// A subcommand as `hpar help` lists it.
struct Command {
  std::string_view name;
  std::string_view synopsis;
  std::string_view summary;
  int (*main)(const boost::mpi::communicator&, std::span<const std::string>);
};

int list_command(const boost::mpi::communicator& world, std::span<const std::string> args);
int help_command(const boost::mpi::communicator& world, std::span<const std::string> args);
int worker_path_command(const boost::mpi::communicator& world, std::span<const std::string> args);

/// Every subcommand, in the order `hpar help` shows them.
constexpr Command commands[] = {
    {"run", "run JOB [options]", "run a job over all ranks and threads, print results and report",
     run_command},
    {"scale", "scale JOB --mode M", "scaling study: the job at many ranks x threads, one launch",
     scale_command},
    {"affinity", "affinity [--threads T]", "where each rank's threads run, and what to fix",
     affinity_command},
    {"plot", "plot STUDY.json -o PNG", "draw a saved scaling study with gnuplot", plot_command},
    {"slurm", "slurm JOB --nodes N ...", "print an sbatch script for a layout, checked to fit",
     slurm_command},
    {"collect", "collect DIR|FILE...", "merge the reports of separate runs into a study",
     collect_command},
    {"sweep", "sweep [opts] -- PROGRAM", "scaling study of any MPI + OpenMP program, launched",
     sweep_command},
    {"farm", "farm [opts] -- COMMAND", "short for 'run farm': your command once per input",
     farm_command},
    {"farm-status", "farm-status DIR", "tasks done, failed and left in a farm's checkpoint",
     farm_status_command},
    {"worker-path", "worker-path", "the folder of the Python helper for 'farm --worker'",
     worker_path_command},
    {"list", "list", "list the jobs with a one-line description", list_command},
    {"help", "help [JOB]", "show this help, or a job's options", help_command},
};

/// Whether the program has command `c`: `farm` (short for 'run farm') only with a farm job.
bool has_command(const Command& c) {
  return (c.name != "farm" && c.name != "worker-path" && c.name != "farm-status") ||
         find_job("farm") != nullptr;
}

std::string general_help() {
  const Program& p = program();
  std::ostringstream o;
  o << "usage: mpirun -np RANKS " << p.name << " COMMAND [options]\n\ncommands:\n";
  for (const auto& c : commands) {
    if (!has_command(c)) continue;
    // Two spaces at least between synopsis and summary: cmake/hpar_docs.sh splits there.
    o << "  " << std::left << std::setw(22) << c.synopsis << "  " << c.summary << "\n";
  }
  o << "\nglobal options:\n  --help                  show this help\n"
       "  --version               show version and build information\n\n"
       "exit status:\n"
       "  0  success (verification passed)\n"
       "  1  a failure on some rank during the run\n"
       "  2  bad usage or bad input\n"
       "  3  the job ran but its answer failed verification\n"
       "  4  stopped early by SIGTERM or SIGINT: the report is marked incomplete\n\n"
       "Each MPI rank handles a slice of the job's work items with OpenMP threads; rank 0\n"
       "gathers the results. Run 'hpar help JOB' for a job's options.\n";
  // The title is not in the program's words: "built on hpar" is hpar.
  const std::string title =
      p.name == "hpar" ? "hpar " + build_info().version + ": hybrid MPI + OpenMP parallel runner"
                       : p.name + (p.version.empty() ? "" : " " + p.version) + ": built on hpar " +
                             build_info().version + ", the hybrid MPI + OpenMP parallel runner";
  return title + "\n\n" + in_program_words(o.str());
}

std::string version_text() {
  const auto& b = build_info();
  const Program& p = program();
  // A program of one's own: its name and version first, then the hpar it is built on.
  const std::string first = p.name == "hpar" ? "hpar " + b.version + " ("
                                             : p.name + (p.version.empty() ? "" : " " + p.version) +
                                                   " (hpar " + b.version + ", ";
  return first + b.git_revision + ", " + b.build_type + ", " + b.compiler +
         ")\ntarget: " + target_text(target_json()) + "\n" + mpi_library_version() + "\n";
}

int list_command(const boost::mpi::communicator& world, std::span<const std::string> args) {
  (void)parse_options(args, po::options_description());  // refuses stray words and options
  if (world.rank() == 0) {
    for (const auto& job : job_registry()) {
      std::cout << std::left << std::setw(12) << job.name << job.summary << "\n";
    }
  }
  return 0;
}

/// `hpar worker-path`: the folder of hpar_worker.py, for PYTHONPATH (workers of `hpar farm
/// --worker` get it on theirs).
int worker_path_command(const boost::mpi::communicator& world, std::span<const std::string> args) {
  (void)parse_options(args, po::options_description());
  const std::string dir = python_helper_dir();
  if (dir.empty()) {
    throw RuntimeError(
        "hpar's Python helper hpar_worker.py is not beside this program (looked "
        "in share/hpar/python beside its bin/ and its own folder)");
  }
  if (world.rank() == 0) std::cout << dir << "\n";
  return 0;
}

int help_command(const boost::mpi::communicator& world, std::span<const std::string> args) {
  const auto words =
      parse_options(args, po::options_description(), {.words = true, .most_words = 1}).words;
  std::string text = general_help();
  if (words.size() == 1) {
    const JobInfo* job = find_job(words[0]);
    if (job == nullptr) {
      throw UsageError("unknown job " + quote_for_message(words[0]) + " (see 'hpar list')");
    }
    text = job_help(*job, po::options_description());
  }
  if (world.rank() == 0) std::cout << text;
  return 0;
}

const char* usage_hint(std::span<const std::string> args) {
  if (args.size() >= 2 && (args[0] == "run") && find_job(args[1]) != nullptr) {
    return nullptr;  // the job is known: point at its help below
  }
  if (!args.empty() && args[0] == "sweep") return "try 'hpar sweep --help' for usage";
  return "try 'hpar help' for usage";
}

/// Prints `e` (one line, made safe; for bad usage a hint) on stderr; returns its exit code.
int print_error(const Error& e, std::span<const std::string> rest) {
  std::cout.flush();
  // hpar's messages name `hpar` where they point at a command: in the program's words.
  const std::string& name = program_name();
  std::cerr << name + ": error: " << in_program_words(one_line_message(e.what())) << "\n";
  if (e.code() == ExitCode::usage) {
    const char* hint = usage_hint(rest);
    if (hint != nullptr) {
      std::cerr << name + ": " << in_program_words(hint) << "\n";
    } else {
      std::cerr << name + ": try '" << name << " help " << rest[1] << "' for the job's options\n";
    }
  }
  return static_cast<int>(e.code());
}

}  // namespace

po::options_description layout_options(const JobInfo* job) {
  const auto pick = [](const std::string& own, const char* hpar_default) {
    return own.empty() ? std::string(hpar_default) : own;
  };
  const std::string schedule = pick(job ? job->default_schedule : "", "static");
  const std::string distribution = pick(job ? job->default_distribution : "", "block");
  po::options_description d("Layout options");
  d.add_options()("threads", po::value<std::string>()->value_name("T"),
                  "OpenMP threads per rank (default: OMP_NUM_THREADS, else the CPUs in the rank's "
                  "affinity mask)")(
      "schedule", po::value<std::string>()->default_value(schedule)->value_name("KIND[,CHUNK]"),
      "how threads take blocks: static, dynamic or guided, CHUNK blocks at a time")(
      "distribution",
      po::value<std::string>()->default_value(distribution)->value_name("block|cyclic|dynamic"),
      "how blocks are dealt to ranks: contiguous slices, round robin, or at run time to whichever "
      "rank is free (dynamic balances any load; mandelbrot rows, a farm's tasks)");
  return d;
}

void check_option_names(const JobInfo& job, const po::options_description& extra) {
  po::options_description own;
  job.add_options(own);
  po::options_description shared;
  shared.add(layout_options()).add(extra);
  shared.add_options()("config", "")("help", "");
  for (const auto& option : own.options()) {
    const std::string& name = option->long_name();
    if (shared.find_nothrow(name, false) != nullptr) {
      throw UsageError("job '" + job.name + "' declares --" + name +
                       ", an option hpar itself takes: give the job's option another name");
    }
  }
}

ParsedRun parse_job_command(std::span<const std::string> args,
                            const po::options_description& extra) {
  if (args.empty() || args[0].starts_with("-")) {
    if (!args.empty() && args[0] == "--help") {
      throw UsageError("name a job before --help, e.g. 'hpar run numbers --help'");
    }
    throw UsageError("missing job name (see 'hpar list')");
  }
  ParsedRun parsed;
  parsed.job = find_job(args[0]);
  if (parsed.job == nullptr)
    throw UsageError("unknown job " + quote_for_message(args[0]) + " (see 'hpar list')");

  check_option_names(*parsed.job, extra);
  po::options_description job_opts(std::string(parsed.job->name) + " options");
  parsed.job->add_options(job_opts);
  po::options_description all;
  all.add(job_opts).add(layout_options(parsed.job)).add(extra);
  all.add_options()("config", po::value<std::string>()->value_name("FILE"),
                    "read options from an INI file (name = value; the command line wins)")(
      "help", "show this job's options");
  // The words after "--" go to the job's trailing option (the farm's command), if it has one.
  auto options_end = std::find(args.begin() + 1, args.end(), std::string("--"));
  std::vector<std::string> trailing(options_end == args.end() ? options_end : options_end + 1,
                                    args.end());
  if (options_end != args.end() && parsed.job->trailing_words.empty()) {
    throw UsageError("job '" + parsed.job->name + "' takes no words after '--'");
  }
  // No positional arguments after the job: a stray word is an error, not ignored.
  parsed.vm =
      parse_options(args.subspan(1, static_cast<std::size_t>(options_end - args.begin()) - 1), all,
                    {.config_file = true})
          .vm;
  if (!parsed.job->trailing_words.empty()) {
    const std::string& name = parsed.job->trailing_words;
    if (parsed.vm.count(name) != 0U && !trailing.empty()) {
      throw UsageError("give --" + name + " or the words after '--', not both");
    }
    if (!trailing.empty()) parsed.vm.insert_or_assign(name, po::variable_value(trailing, false));
  }
  parsed.help = parsed.vm.count("help") != 0U;
  parsed.run.threads = threads_option(parsed.vm);
  // The job's own layout defaults are the options' defaults (layout_options(job)).
  parsed.run.schedule = Schedule::parse(parsed.vm["schedule"].as<std::string>());
  parsed.run.distribution = parse_distribution(parsed.vm["distribution"].as<std::string>());
  return parsed;
}

std::string job_help(const JobInfo& job, const po::options_description& extra) {
  po::options_description job_opts(std::string(job.name) + " options");
  job.add_options(job_opts);
  std::ostringstream o;
  o << program_name() << " run " << job.name << " [options]: " << job.summary << "\n\n"
    << job_opts << "\n"
    << layout_options(&job) << "\n";
  if (!extra.options().empty()) o << extra << "\n";
  o << "  --config FILE         read options from an INI file (the command line wins)\n";
  if (!job.notes.empty()) o << "\n" << job.notes << "\n";
  return o.str();
}

void require_funneled() {
  if (thread_level_name() == "single") {
    throw RuntimeError("MPI provides only MPI_THREAD_SINGLE; hpar needs MPI_THREAD_FUNNELED");
  }
}

RunContext run_context(std::string_view command, std::span<const std::string> args) {
  RunContext context;
  context.command_line = {program_name(), std::string(command)};
  context.command_line.insert(context.command_line.end(), args.begin(), args.end());
  context.mpi_library = mpi_library_version();
  context.thread_level = thread_level_name();
  return context;
}

std::vector<std::string> warn_about_layout(const boost::mpi::communicator& comm, int threads) {
  const auto placements = gather_placements(comm, threads);
  if (comm.rank() != 0) return {};
  auto warnings = layout_warnings(placements);
  for (const auto& w : warnings) std::cerr << program_name() + ": warning: " << w << "\n";
  return warnings;
}

namespace {

/// The last resort for a failure outside the agreed steps (std::bad_alloc in a collective,
/// say): the other ranks may be waiting in a collective that this rank will never join, so the
/// job is ended with MPI_Abort and the failure's exit code (1), after one clear line from the
/// rank that failed. Never an uncaught exception (std::terminate, SIGABRT, a backtrace).
[[noreturn]] void end_every_rank(const boost::mpi::communicator& world,
                                 const std::exception_ptr& failure) {
  const auto [code, message] = describe(failure);
  std::cout.flush();
  std::cerr << program_name() + ": error: rank " << world.rank() << ": "
            << one_line_message(message)
            << " (outside the steps the ranks agree on: ending every rank)" << std::endl;
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

extern "C" void on_forwarded_stop(int /*signal*/) {
  request_stop();
}

/// SIGUSR1 asks for a clean stop as SIGTERM does. Open MPI's mpirun passes SIGUSR1 on to the
/// ranks and then exits with their exit code (4); a SIGTERM or SIGINT of mpirun itself always
/// makes it exit 1 (it kills the job, see docs/errors.md).
void install_forwarded_stop_handler() {
  struct sigaction action = {};
  action.sa_handler = on_forwarded_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGUSR1, &action, nullptr);
}

}  // namespace

int cli_main(const boost::mpi::communicator& world, const std::vector<std::string>& args,
             std::span<const JobInfo> jobs) {
  install_forwarded_stop_handler();
  std::span<const std::string> rest(args);
  Registry registry;
  std::optional<RegistryScope> program_jobs;  // the jobs every command sees, for this call
  try {
    // Every rank holds the same list: a bad one fails the same way everywhere, no collective.
    registry = Registry(std::vector<JobInfo>(jobs.begin(), jobs.end()));
    for (const auto& job : registry.jobs()) check_option_names(job, po::options_description());
    program_jobs.emplace(registry);
    if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h" || rest[0] == "--version")) {
      on_every_rank(world,
                    [&] { (void)parse_options(rest.subspan(1), po::options_description()); });
      if (world.rank() == 0)
        std::cout << (rest[0] == "--version" ? version_text() : general_help());
      return 0;
    }
    const Command* command = on_every_rank(world, [&] {
      if (rest.empty()) throw UsageError("missing command");
      for (const auto& c : commands) {
        if (c.name == rest[0] && has_command(c)) return &c;
      }
      throw UsageError("unknown command " + quote_for_message(rest[0]));
    });
    return command->main(world, rest.subspan(1));
  } catch (const Error& e) {
    if (world.rank() == 0) return print_error(e, rest);
    return static_cast<int>(e.code());
  } catch (...) {
    end_every_rank(world, std::current_exception());
  }
}

std::optional<int> cli_main_without_mpi(const std::vector<std::string>& args,
                                        std::span<const JobInfo> jobs) {
  if (args.empty()) return std::nullopt;
  const bool farm =
      std::any_of(jobs.begin(), jobs.end(), [](const JobInfo& job) { return job.name == "farm"; });
  if (args[0] != "sweep" && (args[0] != "farm-status" || !farm)) return std::nullopt;
  const std::span<const std::string> rest(args);
  try {
    if (args[0] == "farm-status") {
      std::cout << farm_status(rest.subspan(1), jobs);
      return 0;
    }
    return sweep_main(rest.subspan(1));
  } catch (const Error& e) {
    return print_error(e, rest);
  }
}

}  // namespace hpar
