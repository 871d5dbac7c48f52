// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Traces in the Chrome Trace Event format (open them in Perfetto or chrome://tracing): one
/// process per rank (pid = rank), one track per thread (tid = thread), with the compute
/// chunks, the waits (barriers, agreements, idle threads) and the gather.
///
/// Each rank records into per-thread buffers (a thread writes only its own, so no locks);
/// at the end every rank's buffers are gathered to rank 0 with gather_bytes. Time zero is
/// taken right after a barrier on every rank, which aligns the ranks' clocks. A recorder is an
/// observer of runs (engine/observer.hpp): attached to RunOptions::observers it records the
/// run's phases, waits and blocks; unattached, it costs nothing.

#include <boost/mpi/communicator.hpp>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hpar/engine/observer.hpp"

namespace hpar {

/// The events of one rank, thread by thread.
class TraceRecorder final : public RunObserver {
 public:
  /// At most this many events are kept per thread; past it neighbouring compute events are
  /// merged pairwise (their args say how many blocks and how much busy time they hold).
  static constexpr std::size_t max_events_per_thread = 20000;

  /// Sets time zero. Call right after a barrier on every rank so the ranks' clocks agree.
  void start();
  /// Microseconds since start() (steady clock; callable from any thread).
  [[nodiscard]] double now_us() const noexcept { return us(RunClock::now()); }
  /// Microseconds from start() to `t`.
  [[nodiscard]] double us(TimePoint t) const noexcept {
    return std::chrono::duration<double, std::micro>(t - zero_).count();
  }

  // The run's events, as an observer: phases and waits become spans, blocks compute events.
  void phase(Phase phase, TimePoint begin, TimePoint end) override;
  void wait(Wait wait, int thread, TimePoint begin, TimePoint end) override;
  void pass_begin(const PassStart& start) override;
  void block_done(const BlockEvent& event) override;
  /// Makes room for `threads` threads. Main thread only, outside parallel regions.
  void reserve_threads(int threads);
  /// Thread `thread` computed block `index` of pass `pass` from `begin_us` to `end_us`. A block
  /// that directly follows the thread's previous one (next index, same pass, no gap) extends
  /// that event, so a chunk handed out by the schedule shows as one slice.
  void block(int thread, std::uint64_t index, int pass, double begin_us, double end_us);
  /// A named span on `thread` (0 = the main thread) in `category` ("setup", "wait", "gather",
  /// "verify", "point", ...), with optional args.
  void span(int thread, const std::string& name, const std::string& category, double begin_us,
            double end_us, nlohmann::json args = nlohmann::json::object());
  /// Events held, all threads together.
  [[nodiscard]] std::size_t size() const noexcept;
  /// This rank's events as one line of JSON (no newline inside), for gathering.
  [[nodiscard]] std::string serialize(int rank, const std::string& host) const;

 private:
  struct Event {  // NOLINT(bugprone-exception-escape): nlohmann::json's moves are not noexcept
    std::string name;
    std::string category;
    double begin = 0.0;
    double end = 0.0;
    std::uint64_t first_block = 0;
    std::uint64_t last_block = 0;
    std::uint64_t blocks = 0;  ///< 0 for spans
    double busy = 0.0;         ///< compute time inside the event (merged events have gaps)
    int pass = 0;
    nlohmann::json args;
  };
  /// Halves a thread's compute events by merging neighbours.
  static void coarsen(std::vector<Event>& events);

  TimePoint zero_ = RunClock::now();
  std::vector<std::vector<Event>> threads_;
};

/// The Chrome Trace Event document (object form, "traceEvents" plus metadata naming each
/// process "rank R (host)" and each thread) from every rank's TraceRecorder::serialize line.
/// Throws RuntimeError on a malformed line.
[[nodiscard]] nlohmann::json chrome_trace(const std::vector<std::string>& rank_lines);

/// Gathers every rank's events to rank 0 and returns the Chrome trace there (null elsewhere).
/// Collective.
[[nodiscard]] nlohmann::json gather_trace(const boost::mpi::communicator& comm,
                                          const TraceRecorder& mine, const std::string& host);

}  // namespace hpar
