// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Starting a command and waiting for it, as a launcher does: posix_spawn (never fork or
/// system), the command in a process group of its own so that it can be stopped whole, its
/// output in files or captured through pipes, a time limit, and a stop on request (TERM to the
/// group, KILL after a grace).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hpar {

/// A command's output as it arrives through a pipe: in memory up to a bound, and past it in an
/// unlinked temporary file in $TMPDIR (else /tmp), so that any size passes with bounded memory
/// and nothing is left on disk, whatever ends the process.
class CapturedOutput {
 public:
  static constexpr std::uint64_t default_memory = std::uint64_t{64} << 20;  ///< 64 MiB
  explicit CapturedOutput(std::uint64_t memory_bytes = default_memory);
  CapturedOutput(const CapturedOutput&) = delete;
  CapturedOutput& operator=(const CapturedOutput&) = delete;
  ~CapturedOutput();

  /// Adds bytes at the end; throws RuntimeError when the temporary file cannot take them.
  void append(std::string_view bytes);
  /// Empties it (for the next attempt of a command).
  void clear();
  [[nodiscard]] std::uint64_t size() const noexcept { return memory_.size() + file_size_; }
  /// Whether it went past its memory bound into its temporary file.
  [[nodiscard]] bool spilled() const noexcept { return fd_ >= 0 && file_size_ > 0; }
  /// The whole output (read back from the temporary file where it spilled); then empty.
  [[nodiscard]] std::string take();
  /// The last byte, or -1 when it is empty.
  [[nodiscard]] int last_byte() const;
  /// Writes the whole output to `fd` in pieces (bounded memory); throws RuntimeError when a
  /// write fails. Keeps the output.
  void write_to(int fd) const;

 private:
  std::uint64_t limit_;
  std::string memory_;
  int fd_ = -1;
  std::uint64_t file_size_ = 0;
};

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
  /// When set, that stream goes through a pipe into it instead of its file (the path is then
  /// unused): read while the command runs, so a command may write any amount; a process the
  /// command leaves behind cannot write into a later command's output. Cleared first.
  CapturedOutput* stdout_capture = nullptr;
  CapturedOutput* stderr_capture = nullptr;
  /// When it becomes readable (hpar/core/chores.hpp's wake fd), the wait reads it empty and
  /// asks `should_stop` at once; -1: none.
  int wake_fd = -1;
  /// The file the command reads as its standard input; empty: /dev/null.
  std::string stdin_path;
  /// The directory the command starts in; empty: this process's.
  std::string working_directory;
  /// When the command ended by itself and processes of its group run on (a background job, a
  /// daemon that stayed in the group): TERM to them, KILL this much later.
  double leftover_grace_seconds = 1.0;
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
  /// Processes of its group ran on after it ended by itself, and were ended (TERM, KILL after
  /// ProcessSpec::leftover_grace_seconds). Not a failure: the exit code stands.
  bool left_processes = false;

  /// Exited with 0.
  [[nodiscard]] bool ok() const noexcept { return end == End::exited && exit_code == 0; }
  /// "exit code 3", "killed by signal 9 (Killed)", "timed out after 60 s", "stopped".
  [[nodiscard]] std::string describe(double timeout_seconds) const;
};

/// Starts `spec` (stdin from /dev/null) in a new process group and waits until it ends. When
/// `should_stop` returns true (it is asked at least every 100 ms) or the time limit passes, the
/// group gets SIGTERM and, kill_grace_seconds later, SIGKILL. When the command has ended, what
/// is left of its group is ended (left_processes), so that nothing it started in its group runs
/// on; a process that left the group (setsid) is not followed. Throws RuntimeError
/// naming the program when it cannot be started (not found, not executable, an output file
/// that cannot be created).
[[nodiscard]] ProcessOutcome run_process(const ProcessSpec& spec,
                                         const std::function<bool()>& should_stop);

/// What a worker answered to one input (Worker::ask).
struct WorkerReply {
  enum class Kind {
    ok,         ///< an `ok` frame: `bytes` is the result
    error,      ///< an `err` frame: the input failed, `bytes` is the worker's message
    protocol,   ///< not a frame (`problem` says what came); the worker was ended
    died,       ///< the worker ended before it answered (`exit` says how)
    timed_out,  ///< no answer within the time limit; the worker was ended
    stopped,    ///< the caller asked to stop; the worker was ended
  };
  Kind kind = Kind::ok;
  std::string bytes;
  std::string problem;   ///< for protocol: what was wrong, e.g. "an answer without a frame"
  ProcessOutcome exit;   ///< for died (and the kinds that ended the worker): how it ended
  double seconds = 0.0;  ///< from sending the input to the answer (monotonic clock)
};

/// A command started once and fed inputs over a pipe, one answer per input (hpar farm
/// --worker; the protocol is docs/workers.md): hpar writes `<len>\n<bytes>`, the worker
/// answers `ok <len>\n<bytes>` or `err <len>\n<bytes>`. Its stdin and stdout are pipes to
/// this process, its stderr is this process's. It runs in a process group of its own and is
/// KILLed when the thread that started it ends (PR_SET_PDEATHSIG). Not thread-safe: one
/// thread talks to one worker.
class Worker {
 public:
  /// Starts `spec` (argv, environment, launcher_environment, cpus, kill_grace_seconds; the
  /// output paths and captures are not used). Throws RuntimeError when it cannot be started.
  explicit Worker(const ProcessSpec& spec);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  /// finish(kill_grace_seconds) unless done.
  ~Worker();

  /// send(input), then receive(...): one input, one answer.
  WorkerReply ask(std::string_view input, double timeout_seconds, double poll_seconds,
                  const std::function<bool()>& should_stop);
  /// Queues `input`'s frame for the worker without waiting: receive() writes it while it
  /// waits, reading the answers meanwhile, so that neither side blocks on a full pipe.
  /// Several inputs may be sent before their answers.
  void send(std::string_view input);
  /// Waits for the answer to the oldest input sent and not yet answered, at most
  /// `timeout_seconds` (0: no limit) from now, asking `should_stop` every `poll_seconds` at
  /// most. A reply other than ok or error ends the worker (TERM to its group, KILL after the
  /// grace): running() is then false and the inputs still waiting are lost (waiting() is 0).
  WorkerReply receive(double timeout_seconds, double poll_seconds,
                      const std::function<bool()>& should_stop);
  /// Inputs sent and not yet answered.
  [[nodiscard]] std::size_t waiting() const noexcept;
  /// Whether the worker is still there to ask.
  [[nodiscard]] bool running() const noexcept;
  [[nodiscard]] int pid() const noexcept;
  /// Closes its stdin (it sees the end of the inputs), waits up to `grace_seconds` for it to
  /// exit, then TERMs and KILLs its group. Returns how it ended.
  ProcessOutcome finish(double grace_seconds);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// The folder that holds hpar's Python helper (hpar_worker.py): share/hpar/python beside the
/// running binary's bin/ (an installed hpar) or under its folder (a build tree); empty when
/// there is none.
[[nodiscard]] std::string python_helper_dir();

/// The path of `program` as posix_spawnp would find it (through PATH unless it contains a
/// slash), if it is an executable file; empty otherwise.
[[nodiscard]] std::string find_program(const std::string& program);

/// The last `lines` lines of the text file at `path` (empty when it cannot be read).
[[nodiscard]] std::vector<std::string> last_lines(const std::string& path, std::size_t lines);

}  // namespace hpar
