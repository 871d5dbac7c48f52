// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/core/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
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

/// This process's environment with the variables of `set` put in (replacing any of the name).
std::vector<std::string> environment_with(
    const std::vector<std::pair<std::string, std::string>>& set) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    const bool replaced =
        std::any_of(set.begin(), set.end(), [&](const auto& kv) { return kv.first == name; });
    if (!replaced) out.push_back(entry);
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

/// Starts the command in a process group of its own; returns its pid. Throws RuntimeError.
pid_t spawn(const ProcessSpec& spec) {
  if (spec.argv.empty()) throw RuntimeError("no command to start");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, spec.stdout_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, spec.stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
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
  std::vector<std::string> args = spec.argv;
  std::vector<std::string> env = environment_with(spec.environment);
  // The child inherits the starting thread's CPU mask: set it for the spawn, then restore it.
  cpu_set_t own;
  CPU_ZERO(&own);
  const bool pin = !spec.cpus.empty() && sched_getaffinity(0, sizeof own, &own) == 0;
  if (pin) {
    cpu_set_t wanted;
    CPU_ZERO(&wanted);
    for (const int cpu : spec.cpus) CPU_SET(cpu, &wanted);
    if (sched_setaffinity(0, sizeof wanted, &wanted) != 0) {
      posix_spawn_file_actions_destroy(&actions);
      posix_spawnattr_destroy(&attr);
      throw RuntimeError("cannot pin '" + spec.argv[0] + "' to its CPUs: " + std::strerror(errno));
    }
  }
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0].c_str(), &actions, &attr, pointers(args).data(),
                              pointers(env).data());
  if (pin) sched_setaffinity(0, sizeof own, &own);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw RuntimeError("cannot start '" + spec.argv[0] + "': " + std::strerror(rc));
  return pid;
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

}  // namespace

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
  const pid_t pid = spawn(spec);
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
    int ms = 100;
    if (!term_sent && spec.timeout_seconds > 0.0) {
      const double left = spec.timeout_seconds - seconds_between(start, now);
      ms = std::clamp(static_cast<int>(left * 1000.0) + 1, 1, 100);
    }
    wait_a_while(pidfd, ms);
  }
  outcome.seconds = seconds_between(start, Clock::now());
  kill(-pid, SIGKILL);  // what the command left running in its group (ESRCH when nothing)
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  if (pidfd >= 0) close(pidfd);
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
