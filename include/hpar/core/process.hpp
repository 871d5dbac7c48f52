// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Starting a command and waiting for it, as a launcher does: posix_spawn (never fork or
/// system), the command in a process group of its own so that it can be stopped whole, its
/// output in files, a time limit, and a stop on request (TERM to the group, KILL after a grace).

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hpar {

/// A command to start.
struct ProcessSpec {
  std::vector<std::string> argv;  ///< the program (looked up in PATH) and its arguments
  /// Variables set (or replaced) in the environment the command inherits from this process.
  std::vector<std::pair<std::string, std::string>> environment;
  std::string stdout_path;          ///< created or truncated; the command's standard output
  std::string stderr_path;          ///< created or truncated; its standard error
  double timeout_seconds = 0.0;     ///< wall-time limit; 0: none
  double kill_grace_seconds = 5.0;  ///< after SIGTERM to the group, SIGKILL this much later
  /// The CPUs the command may run on (it inherits them; they are set on the starting thread
  /// for the spawn and restored after); empty: the starting thread's own.
  std::vector<int> cpus;
  /// Whether the command inherits the launcher's own variables (see launcher_variable); false:
  /// the environment the user gave this process, as a nested mpirun or srun needs it.
  bool launcher_environment = true;
  /// A program that cannot be started: true, it ends as a shell's would (exit 127 when it is
  /// not found, 126 when it cannot be executed; the reason in its stderr file); false:
  /// run_process throws RuntimeError. Either way ENOEXEC (a script without #!) runs it with
  /// /bin/sh as execvp does, and EAGAIN is tried again a few times.
  bool failed_start_exits = false;
  /// The command is KILLed when the thread that started it ends (PR_SET_PDEATHSIG), e.g. when
  /// a rank is killed: its tasks do not run on.
  bool die_with_parent = false;
  /// How often (seconds, at most) the wait asks `should_stop` while the command runs.
  double poll_seconds = 0.1;
  /// The file the command reads as its standard input; empty: /dev/null.
  std::string stdin_path;
  /// The directory the command starts in; empty: this process's.
  std::string working_directory;
};

/// Whether `name` is a variable that an MPI launcher or a Slurm step sets for its ranks (not
/// one the user set): Open MPI's OMPI_* (but OMPI_ALLOW_RUN_AS_ROOT* and the user's
/// OMPI_MCA_*; Open MPI's own OMPI_MCA_orte_*, _ess*, _pmix*, _initial_wdir and
/// _shmem_RUNTIME_QUERY_hint are the launcher's), PMIX_*, PMI_*, PRTE_*, HYDRA_*, HYDI_*,
/// MPI_LOCALNRANKS, MPI_LOCALRANKID, and Slurm's per-step and per-task SLURM_STEP*,
/// SLURM_PROCID, SLURM_LOCALID, SLURM_NODEID, SLURM_TASK_PID, SLURM_GTIDS, SLURM_CPU_BIND*,
/// SLURM_SRUN_COMM_*, SLURM_LAUNCH_NODE_IPADDR, SLURM_PMIX*, SLURM_PMI*.
[[nodiscard]] bool launcher_variable(std::string_view name);

/// How a command ended.
struct ProcessOutcome {
  enum class End {
    exited,     ///< it exited (exit_code)
    signalled,  ///< a signal ended it (signal), not one of ours
    timed_out,  ///< it ran past the time limit and was stopped
    stopped,    ///< the caller asked to stop it (e.g. a SIGTERM of this process)
  };
  End end = End::exited;
  int exit_code = 0;         ///< when exited
  int signal = 0;            ///< the signal that ended it, when it did not exit
  double seconds = 0.0;      ///< wall time from start to exit, seconds (monotonic clock)
  double cpu_seconds = 0.0;  ///< user + system CPU time of the command and of the descendants
                             ///< it waited for (e.g. the ranks an mpirun started)

  /// Exited with 0.
  [[nodiscard]] bool ok() const noexcept { return end == End::exited && exit_code == 0; }
  /// "exit code 3", "killed by signal 9 (Killed)", "timed out after 60 s", "stopped".
  [[nodiscard]] std::string describe(double timeout_seconds) const;
};

/// Starts `spec` (stdin from spec.stdin_path, else /dev/null) in a new process group and waits
/// until it ends. When `should_stop` returns true (it is asked at least every 100 ms) or the time
/// limit passes, the group gets SIGTERM and, kill_grace_seconds later, SIGKILL. When the command
/// has ended, what is left of its group is killed, so that nothing it started runs on. Throws
/// RuntimeError naming the program when it cannot be started (not found, not executable, an output
/// file that cannot be created).
[[nodiscard]] ProcessOutcome run_process(const ProcessSpec& spec,
                                         const std::function<bool()>& should_stop);

/// The path of `program` as posix_spawnp would find it (through PATH unless it contains a
/// slash), if it is an executable file; empty otherwise.
[[nodiscard]] std::string find_program(const std::string& program);

/// The last `lines` lines of the text file at `path` (empty when it cannot be read).
[[nodiscard]] std::vector<std::string> last_lines(const std::string& path, std::size_t lines);

}  // namespace hpar
