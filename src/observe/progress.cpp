// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/observe/progress.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>

#include "hpar/core/errors.hpp"
#include "hpar/core/program.hpp"

namespace hpar {
namespace {

/// Whether this process's parent has a terminal as its stderr (/proc/PPID/fd/2 leads to a
/// terminal device). False when it cannot tell (another user's process, no /proc).
bool parent_stderr_is_terminal() {
  const std::string link = "/proc/" + std::to_string(getppid()) + "/fd/2";
  struct stat st {};
  if (::stat(link.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) return false;
  char target[256] = {};
  const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  if (n <= 0) return false;
  const std::string_view name(target, static_cast<std::size_t>(n));
  return name.starts_with("/dev/pts/") || name.starts_with("/dev/tty") || name == "/dev/console";
}

}  // namespace

ProgressMode parse_progress_mode(std::string_view text) {
  if (text == "auto") return ProgressMode::automatic;
  if (text == "on") return ProgressMode::on;
  if (text == "off") return ProgressMode::off;
  throw UsageError("bad --progress " + quote_for_message(text) + ": expected auto, on or off");
}

bool stderr_reaches_terminal() {
  if (isatty(STDERR_FILENO) != 0) return true;
  // Under Open MPI's mpirun a local rank's stderr is a pipe to mpirun, its parent (its stdout
  // is a pty whatever mpirun's own output is, so it tells nothing). The lines reach a person
  // when mpirun's own stderr is a terminal.
  struct stat st {};
  if (std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr || fstat(STDERR_FILENO, &st) != 0 ||
      !S_ISFIFO(st.st_mode)) {
    return false;
  }
  return parent_stderr_is_terminal();
}

ProgressMeter::ProgressMeter(std::ostream& out, bool terminal, double delay_s, double interval_s)
    : out_(out), terminal_(terminal), delay_s_(delay_s), interval_s_(interval_s) {}

void ProgressMeter::begin(std::uint64_t total) {
  total_ = total;
  done_.store(0, std::memory_order_relaxed);
  start_ = std::chrono::steady_clock::now();
  next_print_s_ = delay_s_;
}

double ProgressMeter::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressMeter::maybe_print() {
  if (total_ == 0) return;
  const double now = elapsed();
  if (now < next_print_s_) return;
  next_print_s_ = now + interval_s_;
  last_printed_ = done_.load(std::memory_order_relaxed);
  const std::string text = line(last_printed_, total_, now, count_, unit_);
  if (terminal_) {
    out_ << '\r' << text << "\x1b[K" << std::flush;
  } else {
    out_ << text << '\n' << std::flush;
  }
  ++lines_;
}

void ProgressMeter::end() {
  if (lines_ == 0) return;
  if (terminal_) {
    out_ << "\r\x1b[K" << std::flush;  // leave the terminal as it was; the report follows
    return;
  }
  // A last line when something changed since the last one (never the same line twice).
  const std::uint64_t done = done_.load(std::memory_order_relaxed);
  if (done == last_printed_) return;
  last_printed_ = done;
  out_ << line(done, total_, elapsed(), count_, unit_) << '\n' << std::flush;
}

void ProgressMeter::pass_begin(const PassStart& start) {
  passes_ = start.plan != nullptr ? start.plan->passes : 1;
  if (start.plan != nullptr && start.plan->block_items == 1 && !start.plan->item_unit.empty()) {
    unit_ = start.plan->item_unit;  // a block is one item: count the job's own (a farm's tasks)
  }
  if (start.pass == 0) begin(start.blocks * static_cast<std::uint64_t>(passes_));
}

void ProgressMeter::block_done(const BlockEvent& /*event*/) {
  if (count_ == ProgressCount::rank) advance(1);
}

void ProgressMeter::tick(const Progress& progress) {
  if (progress.count != ProgressCount::rank) {  // a count of all ranks' replaces the local one
    count_ = progress.count;
    const auto passes = static_cast<std::uint64_t>(progress.passes);
    total_ = progress.total * passes;
    done_.store(static_cast<std::uint64_t>(progress.pass) * progress.total + progress.done,
                std::memory_order_relaxed);
  }
  maybe_print();
}

void ProgressMeter::pass_agreed(int pass, bool complete) {
  if (complete && pass == passes_ - 1) {
    done_.store(total_, std::memory_order_relaxed);  // every rank's blocks, arrived or not
  }
  if (!complete || pass == passes_ - 1) end();
}

std::string ProgressMeter::line(std::uint64_t done, std::uint64_t total, double elapsed_s,
                                ProgressCount count, std::string_view unit) {
  const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const char* what = count == ProgressCount::dealt      ? " dealt), "
                     : count == ProgressCount::finished ? " finished), "
                                                        : " on rank 0), ";
  std::ostringstream o;
  o << program_name() + ": progress " << std::fixed << std::setprecision(1) << 100.0 * fraction
    << " % (" << done << " of " << total << ' ' << unit << what << human_duration(elapsed_s)
    << " elapsed";
  if (done >= total) {
    o << ", done";
  } else if (done > 0) {
    o << ", about " << human_duration(elapsed_s * (1.0 - fraction) / fraction) << " left";
  }
  return o.str();
}

std::string human_duration(double seconds) {
  char buf[64];
  if (!(seconds >= 0.0) || !std::isfinite(seconds)) return "?";
  if (seconds < 60.0) {
    std::snprintf(buf, sizeof buf, "%.1f s", seconds);
  } else if (seconds < 3600.0) {
    const auto s = static_cast<long>(std::lround(seconds));
    std::snprintf(buf, sizeof buf, "%ld min %02ld s", s / 60, s % 60);
  } else {
    const auto m = static_cast<long>(std::lround(seconds / 60.0));
    std::snprintf(buf, sizeof buf, "%ld h %02ld min", m / 60, m % 60);
  }
  return buf;
}

}  // namespace hpar
