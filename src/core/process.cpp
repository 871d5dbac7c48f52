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
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
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

/// The command's standard input (spec.stdin_path, else /dev/null), output and error, opened
/// here (close-on-exec) and closed when the start is done. Throws RuntimeError when one cannot
/// be opened.
struct CommandFiles {
  int fds[3] = {-1, -1, -1};
  explicit CommandFiles(const ProcessSpec& spec) {
    const std::string in = spec.stdin_path.empty() ? "/dev/null" : spec.stdin_path;
    fds[0] = ::open(in.c_str(), O_RDONLY | O_CLOEXEC);
    if (fds[0] < 0) {
      throw RuntimeError("cannot read " + quote_for_message(in) + ": " + std::strerror(errno));
    }
    try {
      fds[1] = open_output(spec.stdout_path);
      fds[2] = open_output(spec.stderr_path);
    } catch (...) {
      close_all();
      throw;
    }
  }
  CommandFiles(const CommandFiles&) = delete;
  CommandFiles& operator=(const CommandFiles&) = delete;
  ~CommandFiles() { close_all(); }
  void close_all() noexcept {
    for (int& fd : fds) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
  }
};

/// What the child of clone_spawn does before it becomes the command; it shares the parent's
/// memory (CLONE_VM | CLONE_VFORK, as posix_spawn does) and calls only system calls.
struct ChildPlan {
  const char* path = nullptr;      ///< the program, resolved in PATH
  char* const* argv = nullptr;     ///< its arguments
  char* const* sh_argv = nullptr;  ///< /bin/sh PATH ARGS..., for a file without #!
  char* const* envp = nullptr;
  int in_fd = -1;
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
  const bool ready = setpgid(0, 0) == 0 && prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 &&
                     getppid() == plan->parent && place_fd(plan->in_fd, 0) &&
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
                const int (&fds)[3], const std::string& dir) {
  std::string path = argv[0].find('/') != std::string::npos ? argv[0] : find_program(argv[0]);
  if (path.empty()) return ENOENT;
  std::vector<std::string> args = argv;
  std::vector<std::string> sh{"/bin/sh", path};
  sh.insert(sh.end(), argv.begin() + 1, argv.end());
  auto arg_ptrs = pointers(args);
  auto sh_ptrs = pointers(sh);
  auto env_ptrs = pointers(env);
  ChildPlan plan{path.c_str(),   arg_ptrs.data(),
                 sh_ptrs.data(), env_ptrs.data(),
                 fds[0],         fds[1],
                 fds[2],         dir.empty() ? nullptr : dir.c_str(),
                 getpid(),       0};
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
                      std::vector<std::string>& env, const int (&fds)[3], const std::string& dir) {
  for (int tries = 0;; ++tries) {
    const int rc = clone_spawn(pid, argv, env, fds, dir);
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
};

/// Starts the command in a process group of its own. A start that fails writes its reason to
/// the command's stderr file. Throws RuntimeError when an output file cannot be made or the
/// CPUs cannot be set.
Started spawn(const ProcessSpec& spec) {
  if (spec.argv.empty()) throw RuntimeError("no command to start");
  const CommandFiles files(spec);
  const int out_fd = files.fds[1];
  const int err_fd = files.fds[2];
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, files.fds[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  if (!spec.working_directory.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, spec.working_directory.c_str());
  }
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
    started.error =
        spec.die_with_parent
            ? clone_spawn_again(started.pid, spec.argv, env, files.fds, spec.working_directory)
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
  if (!pin_error.empty()) throw RuntimeError(pin_error);
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

/// After a TERM: waits until no process of the group `pgid` is left (the leader reaped) or
/// `grace` seconds after `term_sent` pass, then KILLs what is left.
void end_group(pid_t pgid, Clock::time_point term_sent, double grace) {
  while (kill(-pgid, 0) == 0 && seconds_between(term_sent, Clock::now()) < grace) {
    const timespec nap{0, 10'000'000L};  // 10 ms
    nanosleep(&nap, nullptr);
  }
  kill(-pgid, SIGKILL);  // ESRCH when the group is gone
}

/// Whether the child has ended (without reaping it: its pid, and so its group id, stay taken).
bool has_ended(pid_t pid) {
  siginfo_t info{};
  if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno != EINTR;  // ECHILD: nothing to wait for
  }
  return info.si_pid == pid;
}

/// Waits up to `ms` milliseconds for the child to end (the pidfd becomes readable), or naps
/// when there is no pidfd. A signal cuts the wait short.
void wait_a_while(int pidfd, int ms) {
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    (void)poll(&p, 1, ms);
  } else {
    const timespec nap{0, 2'000'000L};  // 2 ms
    nanosleep(&nap, nullptr);
  }
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
  const Clock::time_point start = Clock::now();
  const Started started = spawn(spec);
  if (started.error != 0) {
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
    wait_a_while(pidfd, ms);
  }
  outcome.seconds = seconds_between(start, Clock::now());
  // What the command left running in its group is killed (ESRCH when nothing); after a TERM
  // the group has the rest of the grace to end, as a wrapper's program saves its state.
  if (!term_sent) kill(-pid, SIGKILL);
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  if (pidfd >= 0) close(pidfd);
  if (term_sent) end_group(pid, *term_sent, spec.kill_grace_seconds);
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

}  // namespace hpar
