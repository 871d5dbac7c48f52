// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/core/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>

#include "hpar/core/errors.hpp"

extern char** environ;

namespace hpar {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

/// This process's environment with the variables of `set` put in (replacing any of the name),
/// without the launcher's variables unless `launcher` (launcher_variable).
std::vector<std::string> environment_with(
    const std::vector<std::pair<std::string, std::string>>& set, bool launcher) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    const bool replaced =
        std::any_of(set.begin(), set.end(), [&](const auto& kv) { return kv.first == name; });
    if (!replaced && (launcher || !launcher_variable(name))) out.push_back(entry);
  }
  for (const auto& [name, value] : set) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

/// Opens (creates, truncates) one of the command's output files, close-on-exec here.
int open_output(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw RuntimeError("cannot create " + quote_for_message(path) + ": " + std::strerror(errno));
  }
  return fd;
}

/// Where one of the command's output streams goes: the end it writes to, and the end this
/// process reads (a pipe, when the stream is captured; -1 for a file). Both close-on-exec here.
struct Stream {
  int write_fd = -1;
  int read_fd = -1;
};

Stream open_stream(const std::string& path, const CapturedOutput* capture) {
  if (capture == nullptr) return {open_output(path), -1};
  int ends[2] = {-1, -1};
  if (::pipe2(ends, O_CLOEXEC) != 0) {
    throw RuntimeError("cannot make a pipe for a command's output: " +
                       std::string(std::strerror(errno)));
  }
  (void)::fcntl(ends[0], F_SETFL, O_NONBLOCK);
  return {ends[1], ends[0]};
}

/// The command's standard input (`path`, close-on-exec here), or -1 for /dev/null. Throws
/// RuntimeError when it cannot be read, after closing the streams already made.
int open_input(const std::string& path, std::initializer_list<Stream> made) {
  if (path.empty()) return -1;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    for (const Stream& s : made) {
      for (const int end : {s.write_fd, s.read_fd}) {
        if (end >= 0) ::close(end);
      }
    }
    throw RuntimeError("cannot read " + quote_for_message(path) + ": " + std::strerror(error));
  }
  return fd;
}

/// What the child of clone_spawn does before it becomes the command; it shares the parent's
/// memory (CLONE_VM | CLONE_VFORK, as posix_spawn does) and calls only system calls.
struct ChildPlan {
  const char* path = nullptr;      ///< the program, resolved in PATH
  char* const* argv = nullptr;     ///< its arguments
  char* const* sh_argv = nullptr;  ///< /bin/sh PATH ARGS..., for a file without #!
  char* const* envp = nullptr;
  int in_fd = -1;  ///< the command's stdin; -1: /dev/null
  int out_fd = -1;
  int err_fd = -1;
  const char* dir = nullptr;  ///< the working directory; null: the parent's
  pid_t parent = 0;
  int error = 0;  ///< set by the child when it cannot become the command
};

/// Puts `fd` at `target` for the command (close-on-exec off).
bool place_fd(int fd, int target) {
  if (fd == target) return fcntl(fd, F_SETFD, 0) == 0;
  return dup2(fd, target) == target;
}

/// Not instrumented by AddressSanitizer: it runs on a stack of our own in the parent's memory,
/// and its frames' red zones would stay poisoned in the shadow after the exec.
__attribute__((no_sanitize("address"))) int become_command(void* arg) {
  auto* plan = static_cast<ChildPlan*>(arg);
  // The parent's handlers must not run in this child (they share memory): caught signals and
  // the ones a command expects at their default go to SIG_DFL; ignored ones stay ignored.
  struct sigaction standard {};
  standard.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) {
    struct sigaction now {};
    if (s == SIGKILL || s == SIGSTOP || sigaction(s, nullptr, &now) != 0) continue;
    const bool reset = s == SIGTERM || s == SIGINT || s == SIGPIPE || s == SIGHUP;
    if (reset || now.sa_handler != SIG_IGN) sigaction(s, &standard, nullptr);
  }
  const int in_fd = plan->in_fd >= 0 ? plan->in_fd : open("/dev/null", O_RDONLY | O_CLOEXEC);
  const bool ready = setpgid(0, 0) == 0 && prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 &&
                     getppid() == plan->parent && in_fd >= 0 && place_fd(in_fd, 0) &&
                     place_fd(plan->out_fd, 1) && place_fd(plan->err_fd, 2) &&
                     (plan->dir == nullptr || chdir(plan->dir) == 0);
  if (ready) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(plan->path, plan->argv, plan->envp);
    if (errno == ENOEXEC) execve("/bin/sh", plan->sh_argv, plan->envp);
  }
  plan->error = errno != 0 ? errno : ECHILD;
  _exit(127);
}

/// Starts the command as posix_spawn does, and besides asks the kernel to KILL it when the
/// thread that started it ends (PR_SET_PDEATHSIG: a rank that dies takes its tasks along),
/// which posix_spawn cannot. Returns 0 or the errno of the start.
int clone_spawn(pid_t& pid, const std::vector<std::string>& argv, std::vector<std::string>& env,
                int out_fd, int err_fd, int in_fd, const char* dir) {
  std::string path = argv[0].find('/') != std::string::npos ? argv[0] : find_program(argv[0]);
  if (path.empty()) return ENOENT;
  std::vector<std::string> args = argv;
  std::vector<std::string> sh{"/bin/sh", path};
  sh.insert(sh.end(), argv.begin() + 1, argv.end());
  auto arg_ptrs = pointers(args);
  auto sh_ptrs = pointers(sh);
  auto env_ptrs = pointers(env);
  ChildPlan plan;
  plan.path = path.c_str();
  plan.argv = arg_ptrs.data();
  plan.sh_argv = sh_ptrs.data();
  plan.envp = env_ptrs.data();
  plan.in_fd = in_fd;
  plan.out_fd = out_fd;
  plan.err_fd = err_fd;
  plan.dir = dir;
  plan.parent = getpid();
  constexpr std::size_t stack_bytes = std::size_t{256} * 1024;
  void* stack = mmap(nullptr, stack_bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return errno;
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  pid = clone(become_command, static_cast<char*>(stack) + stack_bytes,
              CLONE_VM | CLONE_VFORK | SIGCHLD, &plan);
  const int error = pid < 0 ? errno : plan.error;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  munmap(stack, stack_bytes);
  if (pid > 0 && error != 0) {
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  return error;
}

/// clone_spawn, EAGAIN tried again as in spawn_with_fallbacks.
int clone_spawn_again(pid_t& pid, const std::vector<std::string>& argv,
                      std::vector<std::string>& env, int out_fd, int err_fd, int in_fd = -1,
                      const char* dir = nullptr) {
  for (int tries = 0;; ++tries) {
    const int rc = clone_spawn(pid, argv, env, out_fd, err_fd, in_fd, dir);
    if (rc != EAGAIN || tries == 7) return rc;
    const timespec nap{0, 10'000'000L << std::min(tries, 5)};
    nanosleep(&nap, nullptr);
  }
}

/// posix_spawnp, with execvp's fallbacks: a file without #! (ENOEXEC) runs with /bin/sh, and
/// EAGAIN (no process slot for now) is tried again, up to 8 times over about 2.5 s.
int spawn_with_fallbacks(pid_t& pid, std::vector<std::string> args,
                         const posix_spawn_file_actions_t* actions, const posix_spawnattr_t* attr,
                         std::vector<std::string>& env) {
  for (int tries = 0;; ++tries) {
    int rc = posix_spawnp(&pid, args[0].c_str(), actions, attr, pointers(args).data(),
                          pointers(env).data());
    if (rc == ENOEXEC) {
      const std::string path = find_program(args[0]);
      std::vector<std::string> sh{"/bin/sh", path.empty() ? args[0] : path};
      sh.insert(sh.end(), args.begin() + 1, args.end());
      rc = posix_spawn(&pid, "/bin/sh", actions, attr, pointers(sh).data(), pointers(env).data());
    }
    if (rc != EAGAIN || tries == 7) return rc;
    const timespec nap{0, 10'000'000L << std::min(tries, 5)};
    nanosleep(&nap, nullptr);
  }
}

/// The CPU mask of the calling thread, set for a spawn and restored after (the child inherits
/// it).
class PinnedForSpawn {
 public:
  PinnedForSpawn(const std::vector<int>& cpus, const std::string& program) {
    if (cpus.empty() || sched_getaffinity(0, sizeof own_, &own_) != 0) return;
    cpu_set_t wanted;
    CPU_ZERO(&wanted);
    for (const int cpu : cpus) CPU_SET(cpu, &wanted);
    if (sched_setaffinity(0, sizeof wanted, &wanted) != 0) {
      throw RuntimeError("cannot pin '" + program + "' to its CPUs: " + std::strerror(errno));
    }
    pinned_ = true;
  }
  PinnedForSpawn(const PinnedForSpawn&) = delete;
  PinnedForSpawn& operator=(const PinnedForSpawn&) = delete;
  ~PinnedForSpawn() {
    if (pinned_) sched_setaffinity(0, sizeof own_, &own_);
  }

 private:
  cpu_set_t own_{};
  bool pinned_ = false;
};

/// A started command: its pid, or the errno of a start that failed (pid -1).
struct Started {
  pid_t pid = -1;
  int error = 0;
  int out_read = -1;  ///< the read ends of captured streams (-1: a file or none)
  int err_read = -1;
};

/// Starts the command in a process group of its own. A start that fails writes its reason to
/// the command's stderr file. Throws RuntimeError when an output file cannot be made or the
/// CPUs cannot be set.
Started spawn(const ProcessSpec& spec) {
  if (spec.argv.empty()) throw RuntimeError("no command to start");
  const Stream out = open_stream(spec.stdout_path, spec.stdout_capture);
  Stream err;
  try {
    err = open_stream(spec.stderr_path, spec.stderr_capture);
  } catch (...) {
    close(out.write_fd);
    if (out.read_fd >= 0) close(out.read_fd);
    throw;
  }
  const int out_fd = out.write_fd;
  const int err_fd = err.write_fd;
  const int in_fd = open_input(spec.stdin_path, {out, err});
  const char* dir = spec.working_directory.empty() ? nullptr : spec.working_directory.c_str();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (in_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, in_fd, STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  if (dir != nullptr) posix_spawn_file_actions_addchdir_np(&actions, dir);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (const int s : {SIGTERM, SIGINT, SIGPIPE, SIGHUP}) sigaddset(&defaults, s);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::vector<std::string> env = environment_with(spec.environment, spec.launcher_environment);
  Started started;
  std::string pin_error;
  try {
    const PinnedForSpawn pinned(spec.cpus, spec.argv[0]);
    started.error = spec.die_with_parent
                        ? clone_spawn_again(started.pid, spec.argv, env, out_fd, err_fd, in_fd, dir)
                        : spawn_with_fallbacks(started.pid, spec.argv, &actions, &attr, env);
  } catch (const RuntimeError& e) {
    pin_error = e.what();
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (started.error > 0) {
    const std::string why = "hpar: cannot start " + quote_for_message(spec.argv[0]) + ": " +
                            std::strerror(started.error) + "\n";
    (void)!::write(err_fd, why.data(), why.size());
  }
  close(out_fd);
  close(err_fd);
  if (in_fd >= 0) close(in_fd);
  started.out_read = out.read_fd;
  started.err_read = err.read_fd;
  if (!pin_error.empty()) {
    for (const int fd : {started.out_read, started.err_read}) {
      if (fd >= 0) close(fd);
    }
    throw RuntimeError(pin_error);
  }
  if (started.error != 0) started.pid = -1;
  return started;
}

/// How a shell reports a command it could not start: 127 not found, 126 not executable.
ProcessOutcome failed_start(int error) {
  ProcessOutcome outcome;
  const bool missing =
      error == ENOENT || error == ENOTDIR || error == ELOOP || error == ENAMETOOLONG;
  outcome.exit_code = missing ? 127 : 126;
  return outcome;
}

/// Whether a process of the group `pgid` still runs (a zombie does not: an orphan's new parent,
/// pid 1 of a container, may never reap it). The cheap kill(0) first; /proc only when it finds
/// the group.
bool group_runs(pid_t pgid) {
  if (kill(-pgid, 0) != 0) return false;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const std::size_t close = line.rfind(')');  // the command name may itself hold ')'
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    char state = '?';
    long parent = 0;
    long group = 0;
    if ((rest >> state >> parent >> group) && group == pgid && state != 'Z' && state != 'X') {
      return true;
    }
  }
  return false;
}

/// Whether the child has ended (without reaping it: its pid, and so its group id, stay taken).
bool has_ended(pid_t pid) {
  siginfo_t info{};
  if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno != EINTR;  // ECHILD: nothing to wait for
  }
  return info.si_pid == pid;
}

/// The read ends of a command's captured streams and the captures their bytes go to.
class Pipes {
 public:
  Pipes(const Started& started, const ProcessSpec& spec)
      : fds_{started.out_read, started.err_read}, into_{spec.stdout_capture, spec.stderr_capture} {}
  Pipes(const Pipes&) = delete;
  Pipes& operator=(const Pipes&) = delete;
  ~Pipes() { close_all(); }

  /// Adds the open read ends to a poll list.
  void add_to(std::vector<pollfd>& list) const {
    for (const int fd : fds_) {
      if (fd >= 0) list.push_back({fd, POLLIN, 0});
    }
  }
  /// Reads what has arrived, at most `most` bytes a stream (so that a wait stays responsive);
  /// a stream whose writers are all gone is closed.
  void read_ready(std::size_t most = std::size_t{4} << 20) {
    for (std::size_t i = 0; i < fds_.size(); ++i) {
      for (std::size_t got = 0; fds_[i] >= 0 && got < most;) {
        if (buffer_.empty()) buffer_.resize(std::size_t{256} << 10);
        const ssize_t n = ::read(fds_[i], buffer_.data(), buffer_.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) {  // end of file (or an error): nothing more will come
          ::close(fds_[i]);
          fds_[i] = -1;
          break;
        }
        into_[i]->append(std::string_view(buffer_.data(), static_cast<std::size_t>(n)));
        got += static_cast<std::size_t>(n);
      }
    }
  }
  /// Reads everything there is now and closes: what a process left behind writes later goes
  /// nowhere (it gets EPIPE), never into a later command's output.
  void drain_and_close() {
    read_ready(SIZE_MAX);
    close_all();
  }

 private:
  void close_all() {
    for (int& fd : fds_) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
  }
  std::array<int, 2> fds_;
  std::array<CapturedOutput*, 2> into_;
  std::vector<char> buffer_;
};

/// Waits up to `ms` milliseconds for the child to end (the pidfd becomes readable) or output
/// to arrive (read at once), or at most 2 ms when there is no pidfd. A signal cuts it short.
void wait_a_while(int pidfd, Pipes& pipes, int ms, int wake_fd = -1) {
  std::vector<pollfd> list;
  if (pidfd >= 0) list.push_back({pidfd, POLLIN, 0});
  if (wake_fd >= 0) list.push_back({wake_fd, POLLIN, 0});
  pipes.add_to(list);
  if (pidfd < 0) ms = std::min(ms, 2);
  if (list.empty()) {
    const timespec nap{0, 2'000'000L};  // 2 ms
    nanosleep(&nap, nullptr);
  } else {
    (void)poll(list.data(), list.size(), ms);
  }
  if (wake_fd >= 0) {  // read empty: the caller asks its question now
    std::uint64_t count = 0;
    (void)!::read(wake_fd, &count, sizeof count);
  }
  pipes.read_ready();
}

/// After a TERM: waits until no process of the group `pgid` runs (the leader reaped) or
/// `grace` seconds after `term_sent` pass, then KILLs what is left.
void end_group(pid_t pgid, Clock::time_point term_sent, double grace, Pipes& pipes) {
  while (group_runs(pgid) && seconds_between(term_sent, Clock::now()) < grace) {
    wait_a_while(-1, pipes, 10);  // what the group writes meanwhile is read: none blocks on it
  }
  kill(-pgid, SIGKILL);  // ESRCH when the group is gone
}

/// After the leader `pgid` was reaped: what still runs in its group (a background process of
/// the command, a daemon that did not leave the group) gets TERM (and CONT, should it be
/// stopped), then KILL `grace` seconds later if it is still there. True when there was any.
/// The group's id cannot be taken by a new process while a member is left, and the kernel
/// hands out pids in turn, so the signals reach no stranger.
bool end_leftovers(pid_t pgid, double grace, Pipes& pipes) {
  if (!group_runs(pgid)) return false;
  const Clock::time_point now = Clock::now();
  kill(-pgid, SIGTERM);
  kill(-pgid, SIGCONT);
  end_group(pgid, now, grace, pipes);
  return true;
}

/// The outcome's exit code or signal and CPU time from the reaped child's status.
void settle_outcome(ProcessOutcome& outcome, int status, const rusage& usage) {
  const auto cpu = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec);
  };
  outcome.cpu_seconds = cpu(usage.ru_utime) + cpu(usage.ru_stime);
  if (outcome.end == ProcessOutcome::End::exited) {
    if (WIFEXITED(status)) {
      outcome.exit_code = WEXITSTATUS(status);
    } else {
      outcome.end = ProcessOutcome::End::signalled;
      outcome.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
  } else {
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    outcome.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
}

/// Waits for the command to end, reading its captured output meanwhile; sends the TERM (and
/// KILL after the grace) of a time limit or a stop. Returns when the TERM was sent, if it was.
std::optional<Clock::time_point> wait_for_end(const ProcessSpec& spec, pid_t pid, int pidfd,
                                              Pipes& pipes,
                                              const std::function<bool()>& should_stop,
                                              Clock::time_point start, ProcessOutcome& outcome) {
  std::optional<Clock::time_point> term_sent;
  bool killed = false;
  while (!has_ended(pid)) {
    const Clock::time_point now = Clock::now();
    if (!term_sent) {
      const bool timed_out =
          spec.timeout_seconds > 0.0 && seconds_between(start, now) >= spec.timeout_seconds;
      if (timed_out || (should_stop && should_stop())) {
        outcome.end = timed_out ? ProcessOutcome::End::timed_out : ProcessOutcome::End::stopped;
        kill(-pid, SIGTERM);
        term_sent = now;
      }
    } else if (!killed && seconds_between(*term_sent, now) >= spec.kill_grace_seconds) {
      kill(-pid, SIGKILL);
      killed = true;
    }
    const int most = std::clamp(static_cast<int>(spec.poll_seconds * 1000.0), 1, 100);
    int ms = most;
    if (!term_sent && spec.timeout_seconds > 0.0) {
      const double left = spec.timeout_seconds - seconds_between(start, now);
      // Clamped as a double first: a long limit's milliseconds do not fit an int.
      ms = static_cast<int>(std::clamp(left * 1000.0 + 1.0, 1.0, static_cast<double>(most)));
    }
    wait_a_while(pidfd, pipes, ms, spec.wake_fd);
  }
  return term_sent;
}

}  // namespace

bool launcher_variable(std::string_view name) {
  if (name.starts_with("OMPI_")) {
    if (name.starts_with("OMPI_ALLOW_RUN_AS_ROOT")) return false;
    if (!name.starts_with("OMPI_MCA_")) return true;
    const std::string_view mca = name.substr(9);
    constexpr std::string_view own[] = {"orte_", "ess", "pmix", "initial_wdir",
                                        "shmem_RUNTIME_QUERY_hint"};
    return std::any_of(std::begin(own), std::end(own),
                       [&](std::string_view o) { return mca.starts_with(o); });
  }
  constexpr std::string_view prefixes[] = {"PMIX_",     "PMI_",           "PRTE_",
                                           "HYDRA_",    "HYDI_",          "SLURM_STEP",
                                           "SLURM_PMI", "SLURM_CPU_BIND", "SLURM_SRUN_COMM_"};
  constexpr std::string_view names[] = {
      "MPI_LOCALNRANKS",         "MPI_LOCALRANKID", "SLURM_PROCID",
      "SLURM_LOCALID",           "SLURM_TASK_PID",  "SLURM_GTIDS",
      "SLURM_LAUNCH_NODE_IPADDR"};
  return std::any_of(std::begin(prefixes), std::end(prefixes),
                     [&](std::string_view p) { return name.starts_with(p); }) ||
         std::find(std::begin(names), std::end(names), name) != std::end(names);
}

std::string ProcessOutcome::describe(double timeout_seconds) const {
  switch (end) {
    case End::exited:
      return "exit code " + std::to_string(exit_code);
    case End::signalled:
      return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
    case End::timed_out: {
      std::ostringstream o;
      o << "timed out after " << timeout_seconds << " s";
      return o.str();
    }
    case End::stopped:
      return "stopped";
  }
  return "?";
}

ProcessOutcome run_process(const ProcessSpec& spec, const std::function<bool()>& should_stop) {
  for (CapturedOutput* capture : {spec.stdout_capture, spec.stderr_capture}) {
    if (capture != nullptr) capture->clear();
  }
  const Clock::time_point start = Clock::now();
  const Started started = spawn(spec);
  Pipes pipes(started, spec);
  if (started.error != 0) {
    pipes.drain_and_close();  // the reason, written to the command's stderr
    if (!spec.failed_start_exits) {
      throw RuntimeError("cannot start " + quote_for_message(spec.argv[0]) + ": " +
                         std::strerror(started.error));
    }
    ProcessOutcome outcome = failed_start(started.error);
    outcome.seconds = seconds_between(start, Clock::now());
    return outcome;
  }
  const pid_t pid = started.pid;
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  ProcessOutcome outcome;
  std::optional<Clock::time_point> term_sent;
  int status = 0;
  rusage usage{};
  try {
    term_sent = wait_for_end(spec, pid, pidfd, pipes, should_stop, start, outcome);
  } catch (...) {  // the output could not be kept (a full disk): nothing of it runs on
    kill(-pid, SIGKILL);
    while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    if (pidfd >= 0) close(pidfd);
    throw;
  }
  outcome.seconds = seconds_between(start, Clock::now());
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  if (pidfd >= 0) close(pidfd);
  // What the command left running in its group is ended; after our TERM the group has the
  // rest of the grace to end, as a wrapper's program saves its state.
  if (term_sent) {
    end_group(pid, *term_sent, spec.kill_grace_seconds, pipes);
  } else {
    outcome.left_processes = end_leftovers(pid, spec.leftover_grace_seconds, pipes);
  }
  pipes.drain_and_close();
  settle_outcome(outcome, status, usage);
  return outcome;
}

std::string find_program(const std::string& program) {
  const auto executable = [](const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
  };
  if (program.empty()) return "";
  if (program.find('/') != std::string::npos) return executable(program) ? program : "";
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
    if (executable(candidate)) return candidate;
  }
  return "";
}

std::vector<std::string> last_lines(const std::string& path, std::size_t lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in || lines == 0) return {};
  constexpr std::streamoff window = std::streamoff{64} * 1024;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff from = std::max<std::streamoff>(0, size - window);
  in.seekg(from);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> all;
  std::istringstream split(text);
  std::string line;
  bool first = true;
  while (std::getline(split, line)) {
    if (first && from > 0) {  // the window began inside this line
      first = false;
      continue;
    }
    first = false;
    if (line.size() > 300) line = line.substr(0, 300) + "...";
    all.push_back(line);
  }
  if (all.size() > lines) all.erase(all.begin(), all.end() - static_cast<std::ptrdiff_t>(lines));
  return all;
}

// ---- Workers: a command kept running, fed inputs over a pipe (hpar farm --worker) ----

namespace {

/// SIGPIPE blocked on the calling thread while this lives (a write to a worker that has gone
/// fails with EPIPE instead of ending hpar); one that such a write raised is taken off first.
class NoSigpipe {
 public:
  NoSigpipe() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  NoSigpipe(const NoSigpipe&) = delete;
  NoSigpipe& operator=(const NoSigpipe&) = delete;
  ~NoSigpipe() {
    const timespec zero{0, 0};
    while (sigtimedwait(&pipe_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_{};
  sigset_t old_{};
};

/// The longest frame header a worker may write ("err 1099511627776\n" fits) and the largest
/// answer it may announce (1 TiB: beyond it the number is taken as garbage).
constexpr std::size_t most_header_bytes = 32;
constexpr std::uint64_t most_answer_bytes = std::uint64_t{1} << 40;

enum class Parse { complete, partial, bad };

/// A few bytes of what a worker wrote, for a message: quoted, cut after 40 bytes.
std::string shown(std::string_view bytes) {
  const bool cut = bytes.size() > 40;
  return quote_for_message(bytes.substr(0, 40)) + (cut ? "..." : "");
}

/// Whether `text` (no newline in it) can still become a frame header "ok LEN" / "err LEN".
bool header_so_far(std::string_view text, bool complete) {
  std::string_view digits;
  if (text.starts_with("ok ")) {
    digits = text.substr(3);
  } else if (text.starts_with("err ")) {
    digits = text.substr(4);
  } else {
    return !complete && (std::string_view("ok ").starts_with(text) ||
                         std::string_view("err ").starts_with(text));
  }
  if (digits.find_first_not_of("0123456789") != std::string_view::npos) return false;
  return !complete || !digits.empty();
}

/// Reads one frame from the start of `buffer` into `reply` (kind and bytes; `used`: the bytes
/// it took), or says that more bytes are needed, or what is wrong (reply.problem).
Parse parse_frame(std::string_view buffer, WorkerReply& reply, std::size_t& used) {
  const auto newline = buffer.find('\n');
  const std::string_view head = buffer.substr(0, newline);
  if (newline > most_header_bytes) {  // npos too: no newline yet
    if (buffer.size() <= most_header_bytes && header_so_far(head, false)) return Parse::partial;
    reply.problem = "an answer without a frame: " + shown(buffer) + " (expected 'ok LEN' or " +
                    "'err LEN', a newline and LEN bytes)";
    return Parse::bad;
  }
  if (!header_so_far(head, true)) {
    reply.problem = "an answer without a frame: " + shown(buffer) + " (expected 'ok LEN' or " +
                    "'err LEN', a newline and LEN bytes)";
    return Parse::bad;
  }
  const bool ok = head.starts_with("ok ");
  const std::string digits(head.substr(ok ? 3 : 4));
  const std::uint64_t length = digits.size() > 13 ? most_answer_bytes + 1 : std::stoull(digits);
  if (length > most_answer_bytes) {
    reply.problem = "an answer of " + digits + " bytes announced (at most 2^40)";
    return Parse::bad;
  }
  if (buffer.size() - newline - 1 < length) return Parse::partial;
  reply.kind = ok ? WorkerReply::Kind::ok : WorkerReply::Kind::error;
  reply.bytes = std::string(buffer.substr(newline + 1, length));
  used = newline + 1 + length;
  return Parse::complete;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

struct Worker::State {
  pid_t pid = -1;
  int pidfd = -1;
  int to = -1;         ///< the worker's stdin, our end (non-blocking)
  int from = -1;       ///< the worker's stdout, our end (non-blocking)
  double grace = 5.0;  ///< after a TERM, KILL this much later
  std::string buffer;  ///< bytes read; from `head` on not yet taken by an answer
  std::size_t head = 0;
  std::string outbox;  ///< frames not yet written whole (from `sent` on)
  std::size_t sent = 0;
  std::size_t asked = 0;  ///< inputs sent and not yet answered
  std::string stray;      ///< bytes that came when nothing was asked (a protocol error)
  ProcessOutcome outcome;

  /// Drops the written part of the outbox once it is large or all written.
  void trim_outbox() {
    if (sent == outbox.size()) {
      outbox.clear();
      sent = 0;
    } else if (sent > 65536) {
      outbox.erase(0, sent);
      sent = 0;
    }
  }

  /// The bytes read and not yet taken.
  [[nodiscard]] std::string_view unread() const { return std::string_view(buffer).substr(head); }

  /// The answer parsed into `reply` (its frame the next `used` bytes read), taken.
  /// `start`: when the wait for it began (none: it was there already, the wait took no time).
  void take(WorkerReply& reply, std::size_t used, std::optional<Clock::time_point> start) {
    head += used;
    if (head == buffer.size()) {
      buffer.clear();
      head = 0;
    } else if (head > 65536) {
      buffer.erase(0, head);
      head = 0;
    }
    --asked;
    reply.seconds = start ? seconds_between(*start, Clock::now()) : 0.0;
  }

  /// Waits (asking `wait` between naps) until the worker has ended or `seconds` pass; true
  /// when it has ended.
  bool wait_end(double seconds, const std::function<bool()>& wait) const {
    const Clock::time_point from_now = Clock::now();
    while (!has_ended(pid)) {
      if (seconds_between(from_now, Clock::now()) >= seconds) return false;
      pollfd end{pidfd, POLLIN, 0};
      (void)poll(&end, pidfd >= 0 ? 1 : 0, pidfd >= 0 ? 10 : 2);
      if (wait) (void)wait();
    }
    return true;
  }

  /// Reaps the ended worker, kills what is left of its group, closes the pipes.
  void reap(bool termed) {
    if (!termed) kill(-pid, SIGKILL);  // while the ended leader holds the group's id
    int status = 0;
    rusage usage{};
    while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    settle_outcome(outcome, status, usage);
    close_fd(pidfd);
    close_fd(to);
    close_fd(from);
    pid = -1;
  }

  /// Ends the worker: `patience` seconds for it to end by itself, then TERM to its group and
  /// KILL `grace` seconds later. `how` is how the outcome counts it.
  void end(double patience, ProcessOutcome::End how, const std::function<bool()>& wait) {
    if (pid < 0) return;
    outcome.end = how;
    bool termed = false;
    if (!wait_end(patience, wait)) {
      kill(-pid, SIGTERM);
      termed = true;
      if (!wait_end(grace, wait)) kill(-pid, SIGKILL);
    }
    reap(termed);
  }
};

Worker::Worker(const ProcessSpec& spec) : state_(std::make_unique<State>()) {
  if (spec.argv.empty()) throw RuntimeError("no command to start");
  State& st = *state_;
  st.grace = spec.kill_grace_seconds;
  std::array<int, 2> in{-1, -1};
  std::array<int, 2> out{-1, -1};
  if (pipe2(in.data(), O_CLOEXEC) != 0 || pipe2(out.data(), O_CLOEXEC) != 0) {
    const std::string why = std::strerror(errno);
    for (int fd : {in[0], in[1]}) close_fd(fd);
    throw RuntimeError("cannot make a pipe for worker " + quote_for_message(spec.argv[0]) + ": " +
                       why);
  }
  std::vector<std::string> env = environment_with(spec.environment, spec.launcher_environment);
  int error = 0;
  std::string pin_error;
  try {
    const PinnedForSpawn pinned(spec.cpus, spec.argv[0]);
    error = clone_spawn_again(st.pid, spec.argv, env, out[1], STDERR_FILENO, in[0]);
  } catch (const RuntimeError& e) {
    pin_error = e.what();
  }
  ::close(in[0]);
  ::close(out[1]);
  st.to = in[1];
  st.from = out[0];
  if (!pin_error.empty() || error != 0) {
    close_fd(st.to);
    close_fd(st.from);
    st.pid = -1;  // none started, or clone_spawn reaped it
    throw RuntimeError(!pin_error.empty()
                           ? pin_error
                           : "cannot start worker " + quote_for_message(spec.argv[0]) + ": " +
                                 std::strerror(error));
  }
  for (const int fd : {st.to, st.from}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  st.pidfd = static_cast<int>(syscall(SYS_pidfd_open, st.pid, 0));
}

Worker::~Worker() {
  if (state_ && state_->pid > 0) (void)finish(state_->grace);
}

bool Worker::running() const noexcept {
  return state_->pid > 0;
}

int Worker::pid() const noexcept {
  return state_->pid;
}

ProcessOutcome Worker::finish(double grace_seconds) {
  State& st = *state_;
  if (st.pid < 0) return st.outcome;
  close_fd(st.to);  // the end of the inputs
  st.end(grace_seconds, ProcessOutcome::End::exited, nullptr);
  return st.outcome;
}

namespace {

/// Writes what it can of `out` from `sent` on to the non-blocking `fd`; false when the reader
/// has gone (EPIPE).
bool send_some(int fd, const std::string& out, std::size_t& sent) {
  while (sent < out.size()) {
    const ssize_t n = ::write(fd, out.data() + sent, out.size() - sent);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
  return true;
}

/// Reads what is there from the non-blocking `fd` onto `buffer`; false at the end of the file
/// (or an error: the same, nothing more will come).
bool receive_some(int fd, std::string& buffer) {
  thread_local std::vector<char> chunk(65536);  // not zeroed on every call
  for (;;) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n > 0) {
      buffer.append(chunk.data(), static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

}  // namespace

void Worker::send(std::string_view input) {
  State& st = *state_;
  if (st.asked == 0 && !st.unread().empty() && st.stray.empty()) {
    st.stray = "bytes after its previous answer: " + shown(st.unread());
  }
  ++st.asked;
  if (st.pid < 0 || st.to < 0) return;
  // Written by receive(), which waits with SIGPIPE held: one write for a batch.
  st.outbox.append(std::to_string(input.size())).append(1, '\n').append(input);
}

std::size_t Worker::waiting() const noexcept {
  return state_->asked;
}

WorkerReply Worker::ask(std::string_view input, double timeout_seconds, double poll_seconds,
                        const std::function<bool()>& should_stop) {
  send(input);
  return receive(timeout_seconds, poll_seconds, should_stop);
}

WorkerReply Worker::receive(double timeout_seconds, double poll_seconds,
                            const std::function<bool()>& should_stop) {
  State& st = *state_;
  WorkerReply reply;
  std::size_t used = 0;  ///< the length of the answer's frame, once it is whole
  if (st.pid >= 0 && st.asked != 0 && st.stray.empty() && !st.unread().empty() &&
      parse_frame(st.unread(), reply, used) == Parse::complete &&
      (st.sent == st.outbox.size() || st.asked > 1)) {  // answered already: no system call
    st.take(reply, used, std::nullopt);
    return reply;
  }
  reply = WorkerReply();
  used = 0;
  const Clock::time_point start = Clock::now();
  const auto done = [&](WorkerReply::Kind kind, ProcessOutcome::End how, double patience) {
    reply.kind = kind;
    st.end(patience, how, should_stop);
    st.asked = 0;
    reply.exit = st.outcome;
    reply.seconds = seconds_between(start, Clock::now());
    return reply;
  };
  if (st.pid < 0 || st.asked == 0) {
    return done(WorkerReply::Kind::died, ProcessOutcome::End::exited, 0.0);
  }
  if (!st.stray.empty()) {
    reply.problem = st.stray;
    return done(WorkerReply::Kind::protocol, ProcessOutcome::End::exited, 0.0);
  }
  const NoSigpipe no_sigpipe;
  const int most_ms = std::clamp(static_cast<int>(poll_seconds * 1000.0), 1, 100);
  for (;;) {
    if (st.to >= 0 && st.sent < st.outbox.size() && !send_some(st.to, st.outbox, st.sent)) {
      close_fd(st.to);
    }
    st.trim_outbox();
    const bool ended = has_ended(st.pid);  // before the read: what it wrote is in the pipe
    const bool open = receive_some(st.from, st.buffer);
    if (used == 0 && !st.unread().empty() && parse_frame(st.unread(), reply, used) == Parse::bad) {
      return done(WorkerReply::Kind::protocol, ProcessOutcome::End::exited, 0.0);
    }
    // An answer counts once its input is sent whole (a worker may answer before it has read
    // all of it), or the worker will read no more.
    if (used != 0 && (st.asked > 1 || st.sent == st.outbox.size() || st.to < 0 || ended || !open)) {
      st.take(reply, used, start);
      return reply;
    }
    // Its stdout closed, or it ended (drained above): it will not answer.
    if (!open || ended) {
      if (!st.unread().empty()) reply.problem = "an answer cut short: " + shown(st.unread());
      st.buffer.clear();
      st.head = 0;
      return done(WorkerReply::Kind::died, ProcessOutcome::End::exited, 1.0);
    }
    const double elapsed = seconds_between(start, Clock::now());
    if (timeout_seconds > 0.0 && elapsed >= timeout_seconds) {
      return done(WorkerReply::Kind::timed_out, ProcessOutcome::End::timed_out, 0.0);
    }
    if (should_stop && should_stop()) {
      return done(WorkerReply::Kind::stopped, ProcessOutcome::End::stopped, 0.0);
    }
    int ms = most_ms;
    if (timeout_seconds > 0.0) {
      ms = static_cast<int>(std::clamp((timeout_seconds - elapsed) * 1000.0 + 1.0, 1.0,
                                       static_cast<double>(most_ms)));
    }
    const bool sending = st.to >= 0 && st.sent < st.outbox.size();
    std::array<pollfd, 3> fds{pollfd{st.from, POLLIN, 0}, pollfd{st.pidfd, POLLIN, 0},
                              pollfd{st.to, POLLOUT, 0}};
    (void)poll(fds.data(), st.pidfd >= 0 ? (sending ? 3 : 2) : 1, ms);
  }
}

std::string python_helper_dir() {
  std::error_code error;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return "";
  const std::filesystem::path bin = exe.parent_path();
  for (const auto& dir : {bin.parent_path() / "share/hpar/python", bin / "share/hpar/python"}) {
    if (std::filesystem::is_regular_file(dir / "hpar_worker.py", error)) {
      return dir.lexically_normal().string();
    }
  }
  return "";
}

}  // namespace hpar
