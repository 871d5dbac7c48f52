// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Progress of a long run: a line on stderr now and then, printed by the main thread of rank 0
/// between its blocks (MPI stays funneled: worker threads only bump a counter).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "hpar/engine/observer.hpp"

namespace hpar {

/// When `run` shows progress: `auto` = only when stderr is a terminal and the run takes more
/// than a few seconds; `on` = always (a line per interval, even into a file); `off` = never.
enum class ProgressMode { automatic, on, off };

/// Parses "auto", "on" or "off"; throws UsageError otherwise.
[[nodiscard]] ProgressMode parse_progress_mode(std::string_view text);

/// Whether progress lines on stderr would reach a person: stderr is a terminal, or (under Open
/// MPI's mpirun, which gives a local rank a pipe to itself as stderr and a pty as stdout
/// whatever its own output is) stderr is a pipe and mpirun's own stderr is a terminal. Never
/// for output redirected to a file or a pipe, a remote rank, or a launcher it cannot see into.
[[nodiscard]] bool stderr_reaches_terminal();

/// A counter of finished blocks and the lines that report it. As an observer of a run it counts
/// the blocks of its rank (or, under the dynamic distribution, those dealt to all ranks) and
/// prints from the main thread between blocks; attach it on rank 0 only.
class ProgressMeter final : public RunObserver {
 public:
  /// `terminal`: rewrite one line in place (carriage return) instead of printing new lines.
  /// Nothing is printed before `delay_s` seconds, then at most one line per `interval_s`.
  ProgressMeter(std::ostream& out, bool terminal, double delay_s, double interval_s);

  /// Starts counting towards `total` units (main thread, before the parallel region).
  void begin(std::uint64_t total);
  /// `units` more are done (any thread; one relaxed atomic add).
  void advance(std::uint64_t units) noexcept { done_.fetch_add(units, std::memory_order_relaxed); }
  /// Prints a line if one is due. Main thread only.
  void maybe_print();
  /// Ends the meter: clears the terminal line or prints a last line, if anything was shown.
  void end();
  /// Lines printed so far.
  [[nodiscard]] int lines() const noexcept { return lines_; }

  void pass_begin(const PassStart& start) override;
  void block_done(const BlockEvent& event) override;
  void tick(const Progress& progress) override;
  void pass_agreed(int pass, bool complete) override;

  /// The text of a progress line: percentage, what is counted (`count`, in `unit`: "blocks",
  /// or the job's items when a block is one item, e.g. a farm's "tasks"), elapsed and estimated
  /// time left (from the rate at which they were counted so far).
  [[nodiscard]] static std::string line(std::uint64_t done, std::uint64_t total, double elapsed_s,
                                        ProgressCount count = ProgressCount::rank,
                                        std::string_view unit = "blocks");

 private:
  [[nodiscard]] double elapsed() const;

  std::ostream& out_;
  bool terminal_;
  double delay_s_;
  double interval_s_;
  std::uint64_t total_ = 0;
  std::atomic<std::uint64_t> done_{0};
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  double next_print_s_ = 0.0;
  int lines_ = 0;
  std::uint64_t last_printed_ = 0;  ///< `done` of the last line printed
  int passes_ = 1;
  ProgressCount count_ = ProgressCount::rank;
  std::string unit_ = "blocks";
};

/// "1.5 s", "2 min 05 s", "1 h 02 min": a duration for people.
[[nodiscard]] std::string human_duration(double seconds);

}  // namespace hpar
