// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Observers of a run (like Ginkgo's loggers): the engine reports what happens (phases, waits,
/// passes, finished blocks) to a list of observers and knows nothing of what they do with it.
/// Traces, progress lines and checkpoints are observers; the engine's control flow mentions
/// none of them. With no observer attached, a run pays one empty-list test per block.

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include "hpar/core/job.hpp"

namespace hpar {

/// The clock of every event and phase timing (steady, process-local).
using RunClock = std::chrono::steady_clock;
using TimePoint = RunClock::time_point;

/// Seconds from `begin` to `end`.
[[nodiscard]] inline double seconds_between(TimePoint begin, TimePoint end) noexcept {
  return std::chrono::duration<double>(end - begin).count();
}

/// The engine's phases of one run, in order.
enum class Phase { setup, compute, gather, finish };
/// Where a rank or thread waits for others.
enum class Wait {
  barrier,  ///< ranks line up before a pass
  agree,    ///< ranks agree on failures and stops after a pass or phase
  join,     ///< a thread waits for the rank's other threads at the end of a parallel region
};

/// "setup", "compute", "gather", "finish".
[[nodiscard]] std::string_view to_string(Phase phase) noexcept;

/// What a rank is about to do in one pass (main thread, before the pass).
struct PassStart {
  int pass = 0;
  int threads = 1;           ///< OpenMP threads of this rank
  std::uint64_t blocks = 0;  ///< blocks this rank expects to compute (0 when dealt at run time)
  const WorkPlan* plan = nullptr;
  std::uint64_t restored = 0;  ///< blocks a resumed checkpoint holds as done (not computed)
};

/// One finished block (reported by the thread that computed it).
struct BlockEvent {
  int thread = 0;
  int pass = 0;
  const Block* block = nullptr;
  const BlockOutput* output = nullptr;  ///< the block's results (filled on the last pass only)
  TimePoint begin;
  TimePoint end;
};

/// What Progress::done counts.
enum class ProgressCount {
  rank,      ///< blocks of this pass finished on this rank (of those it expects)
  dealt,     ///< blocks dealt to all ranks (dynamic distribution; started, not finished)
  finished,  ///< blocks finished on every rank (rank 0 with an ordered output sees them all)
};

/// How far a pass has come, as the main thread of a rank sees it between blocks.
struct Progress {
  std::uint64_t done = 0;   ///< blocks of this pass, counted as `count` says
  std::uint64_t total = 0;  ///< blocks of this pass expected on this rank, or in all
  int pass = 0;
  int passes = 1;
  ProgressCount count = ProgressCount::rank;
  /// Of `done` (count finished, last pass): blocks the job says failed (JobInfo::block_failed).
  std::uint64_t failed = 0;
  /// Blocks of this pass dealt to all ranks so far (a static distribution deals them all at
  /// once); 0 when the rank cannot tell.
  std::uint64_t dealt = 0;
};

/// Receives a run's events. Every method has an empty default; all but block_done are called
/// on the rank's main thread. block_done is called concurrently by the threads that computed
/// the blocks, and must be thread-safe.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  /// A phase of the run took [begin, end) on this rank.
  virtual void phase(Phase /*phase*/, TimePoint /*begin*/, TimePoint /*end*/) {}
  /// Thread `thread` of this rank waited during [begin, end).
  virtual void wait(Wait /*wait*/, int /*thread*/, TimePoint /*begin*/, TimePoint /*end*/) {}
  /// A pass begins (every thread is idle).
  virtual void pass_begin(const PassStart& /*start*/) {}
  /// A block finished (any thread).
  virtual void block_done(const BlockEvent& /*event*/) {}
  /// Between two blocks of the main thread: a moment for printing or flushing.
  virtual void tick(const Progress& /*progress*/) {}
  /// The pass ended on this rank; `complete` is false when it was cut short (stop or failure).
  virtual void pass_end(int /*pass*/, bool /*complete*/) {}
  /// Every rank has ended the pass and they agreed how: `complete` when no rank stopped early
  /// (a failure throws before this). The last event of a pass; what was counted is final.
  virtual void pass_agreed(int /*pass*/, bool /*complete*/) {}
  /// After the gather (complete or stopped): every rank's finished blocks of the last pass as
  /// rank 0 now knows them (count finished; restored blocks included). Meaningful on rank 0.
  virtual void final_count(const Progress& /*progress*/) {}
};

/// The observers of one run (not owned), with the fan-out the engine calls.
class Observers {
 public:
  Observers() = default;
  explicit Observers(std::vector<RunObserver*> list) : list_(std::move(list)) {}

  /// True when nobody listens: the engine then skips taking times for events.
  [[nodiscard]] bool empty() const noexcept { return list_.empty(); }
  /// Attaches one more observer (main thread, before the run).
  void add(RunObserver* observer) {
    if (observer != nullptr) list_.push_back(observer);
  }

  void phase(Phase p, TimePoint begin, TimePoint end) const {
    for (auto* o : list_) o->phase(p, begin, end);
  }
  void wait(Wait w, int thread, TimePoint begin, TimePoint end) const {
    for (auto* o : list_) o->wait(w, thread, begin, end);
  }
  void pass_begin(const PassStart& start) const {
    for (auto* o : list_) o->pass_begin(start);
  }
  void block_done(const BlockEvent& event) const {
    for (auto* o : list_) o->block_done(event);
  }
  void tick(const Progress& progress) const {
    for (auto* o : list_) o->tick(progress);
  }
  void pass_end(int pass, bool complete) const {
    for (auto* o : list_) o->pass_end(pass, complete);
  }
  void pass_agreed(int pass, bool complete) const {
    for (auto* o : list_) o->pass_agreed(pass, complete);
  }
  void final_count(const Progress& progress) const {
    for (auto* o : list_) o->final_count(progress);
  }

 private:
  std::vector<RunObserver*> list_;
};

/// A phase as a scope: reports [construction, close()) to the observers and keeps its length.
class PhaseSpan {
 public:
  PhaseSpan(const Observers& observers, Phase phase)
      : observers_(observers), phase_(phase), begin_(RunClock::now()) {}
  PhaseSpan(const PhaseSpan&) = delete;
  PhaseSpan& operator=(const PhaseSpan&) = delete;
  ~PhaseSpan() { close(); }

  /// Ends the phase (once) and returns its length in seconds.
  double close() {
    if (!closed_) {
      end_ = RunClock::now();
      closed_ = true;
      observers_.phase(phase_, begin_, end_);
    }
    return seconds_between(begin_, end_);
  }

 private:
  const Observers& observers_;
  Phase phase_;
  TimePoint begin_;
  TimePoint end_;
  bool closed_ = false;
};

/// A wait as a scope: reports [construction, destruction) to the observers (thread 0).
class WaitSpan {
 public:
  WaitSpan(const Observers& observers, Wait wait)
      : observers_(observers), wait_(wait), begin_(RunClock::now()) {}
  WaitSpan(const WaitSpan&) = delete;
  WaitSpan& operator=(const WaitSpan&) = delete;
  ~WaitSpan() { observers_.wait(wait_, 0, begin_, RunClock::now()); }

 private:
  const Observers& observers_;
  Wait wait_;
  TimePoint begin_;
};

}  // namespace hpar
