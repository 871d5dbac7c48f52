// SPDX-License-Identifier: BSD-3-Clause
#include "walker.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <boost/mpi/collectives.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "fault_notice.hpp"
#include "hpar/comm/agreement.hpp"
#include "hpar/core/chores.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/stop.hpp"
#include "hpar/engine/signals.hpp"

namespace hpar {
namespace {

/// Failures and stops during one pass: kept by any thread, told to the other ranks by the main
/// thread between blocks, agreed on by every rank after the pass.
/// The main thread's chores (hpar/core/chores.hpp) for the lifetime of a pass.
class ChoresDuringPass {
 public:
  explicit ChoresDuringPass(std::function<void()> chores) {
    set_main_thread_chores(std::move(chores));
  }
  ChoresDuringPass(const ChoresDuringPass&) = delete;
  ChoresDuringPass& operator=(const ChoresDuringPass&) = delete;
  ~ChoresDuringPass() { set_main_thread_chores({}); }
};

/// What another rank's stop or failure asked of this rank (pass_on_stop) ends with the pass,
/// on every way out of it.
struct PassedOnStopEnds {
  PassedOnStopEnds() = default;
  PassedOnStopEnds(const PassedOnStopEnds&) = delete;
  PassedOnStopEnds& operator=(const PassedOnStopEnds&) = delete;
  ~PassedOnStopEnds() { clear_passed_on_stop(); }
};

class PassControl {
 public:
  explicit PassControl(const boost::mpi::communicator& comm) : notice_(comm), halt_(comm) {}

  /// Keeps the first failure of this rank and abandons the pass (any thread).
  void fail(std::exception_ptr e) {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (!failure_) failure_ = std::move(e);
    }
    local_cause_ = true;
    abandon_ = true;
  }
  /// True when the rest of the pass is to be skipped; notices a stop request (any thread).
  [[nodiscard]] bool abandoned() {
    if (abandon_.load(std::memory_order_relaxed)) return true;
    if (!stop_requested()) return false;
    local_cause_ = true;
    abandon_ = true;
    return true;
  }
  /// Main thread, between blocks: tells the others of a failure or stop here, hears theirs.
  void keep_in_touch() {
    try {
      if (local_cause_) notice_.tell_all();
      // A job's halt (the farm's --halt) here goes to the others; theirs becomes this rank's.
      if (halt_requested()) {
        halt_.tell_all();
      } else if (halt_.heard()) {
        request_halt();
      }
      if (!abandon_ && notice_.heard()) {
        // Another rank failed or was stopped: this rank stops as if the signal had come here
        // too, so that a block that waits (a farm's task) is ended, not waited for.
        abandon_ = true;
        pass_on_stop();
      }
    } catch (...) {
      fail(std::current_exception());
    }
  }
  /// Main thread, after this rank's share of the pass: waits for the other ranks without
  /// blocking in MPI, so that a stop signal that comes now still reaches them at once.
  void wait_for_others() {
    try {
      notice_.wait_for_all([this] {
        (void)abandoned();
        keep_in_touch();
      });
    } catch (...) {
      fail(std::current_exception());
    }
  }
  /// A drain skipped a block (any thread): the pass ends stopped, nothing else is abandoned.
  void skipped() noexcept { skipped_ = true; }
  /// Collective, after the pass: every rank learns of failures (throws them, agreed) and
  /// stops. Returns true when some rank stopped early (or a drain skipped a block).
  [[nodiscard]] bool settle(const boost::mpi::communicator& comm) {
    if (local_cause_) notice_.tell_all();
    notice_.settle();
    if (halt_.settle()) request_halt();  // told too late to be heard during the pass
    agree(comm, failure_);
    int stopped = 0;
    boost::mpi::all_reduce(comm, abandon_ || skipped_ ? 1 : 0, stopped, boost::mpi::maximum<int>());
    return stopped != 0;
  }

 private:
  FaultNotice notice_;
  FaultNotice halt_;  // a job's halt, on a communicator of its own (request_halt)
  std::mutex mutex_;
  std::exception_ptr failure_;
  std::atomic<bool> abandon_{false};      // skip the remaining blocks of this pass
  std::atomic<bool> local_cause_{false};  // ... because of a failure or signal on this rank
  std::atomic<bool> skipped_{false};      // a drain skipped a block of this rank
};

/// A rank's blocks waiting for a free slot (slots mode: a farm's threads take one block each as
/// they free, never waiting for one another). Only the main thread adds to it (MPI is funneled);
/// any thread takes.
class SlotQueue {
 public:
  std::optional<std::uint64_t> take() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return pop();
  }
  /// Up to `most` more blocks after a first one taken, onto `into` (none when none is queued).
  void take_more(std::uint64_t most, std::vector<std::uint64_t>& into) {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (; most > 0 && !blocks_.empty(); --most) into.push_back(*pop());
  }
  /// A thread other than the main one: the next block, waiting up to `ms` for one.
  std::optional<std::uint64_t> wait_take(int ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (blocks_.empty() && !closed_) wake_main_thread();  // its chores fetch this slot a block
    ++waiting_;
    changed_.wait_for(lock, std::chrono::milliseconds(ms),
                      [this] { return !blocks_.empty() || closed_; });
    --waiting_;
    return pop();
  }
  void add(const BlockSet& set) {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      for (std::uint64_t i = 0; i < set.count; ++i) blocks_.push_back(set[i]);
    }
    changed_.notify_all();
  }
  /// No block will be added any more in this pass.
  void close() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    changed_.notify_all();
  }
  void reopen() {
    const std::lock_guard<std::mutex> lock(mutex_);
    blocks_.clear();
    closed_ = false;
  }
  /// Slots that wait while nothing is queued (and more may come).
  [[nodiscard]] int hungry() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return blocks_.empty() && !closed_ ? waiting_ : 0;
  }
  [[nodiscard]] bool closed() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return closed_;
  }
  [[nodiscard]] bool done() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return closed_ && blocks_.empty();
  }

 private:
  std::optional<std::uint64_t> pop() {  // mutex held
    if (blocks_.empty()) return std::nullopt;
    const std::uint64_t b = blocks_.front();
    blocks_.pop_front();
    return b;
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::uint64_t> blocks_;
  bool closed_ = false;
  int waiting_ = 0;
};

class Walker {
 public:
  Walker(const boost::mpi::communicator& comm, const WalkSetup& setup)
      : comm_(comm),
        job_(setup.job),
        plan_(setup.plan),
        dealer_(setup.dealer),
        options_(setup.options),
        observers_(setup.observers),
        ordered_(setup.ordered),
        checkpoint_(setup.checkpoint),
        block_failed_(setup.block_failed),
        threads_(static_cast<std::size_t>(setup.options.threads)),
        slots_(setup.plan.deal_per_thread > 0 && (setup.options.threads > 1 || setup.plan.batches)),
        scratch_(threads_, BlockScratch(setup.plan)),
        batches_(threads_),
        logs_(threads_) {
    results_.states.resize(threads_);
  }

  WalkResults run() {
    options_.schedule.apply();
    for (int pass = 0; pass < plan_.passes; ++pass) {
      results_.stopped = run_pass(pass);
      if (results_.stopped) break;  // a stop signal: the remaining passes are skipped
    }
    for (const auto& log : logs_) results_.partials.append(log);
    results_.items_done = items_done_.load();
    results_.blocks_done = blocks_done_.load();
    results_.blocks_failed = blocks_failed_.load();
    return std::move(results_);
  }

 private:
  /// One pass: line up, take chunks until the dealer has none (or the pass is abandoned), then
  /// agree. Returns whether some rank stopped early.
  bool run_pass(int pass) {
    const std::uint64_t restored = checkpoint_ != nullptr ? checkpoint_->restored_blocks() : 0;
    observers_.pass_begin({pass, options_.threads, dealer_.expected(), &plan_, restored});
    {
      const WaitSpan wait(observers_, Wait::barrier);
      comm_.barrier();
    }
    const TimePoint start = RunClock::now();
    const PassedOnStopEnds passed_on;
    PassControl control(comm_);
    // A block that waits long (a farm's task) does the main thread's chores while it waits:
    // other ranks get blocks, finished output moves on and progress is told whatever runs on
    // this thread.
    const ChoresDuringPass chores([&, pass] {
      control.keep_in_touch();
      pump(control);
      serve(control);
      if (slots_) feed_hungry_slots(pass, control);
      tick(pass, control);
    });
    last_pass_ = pass == plan_.passes - 1;
    pass_done_ = 0;
    if (slots_) run_slots(pass, control);
    while (!slots_ && !control.abandoned()) {
      std::optional<BlockSet> chunk;
      try {
        chunk = dealer_.next(pass, [&] {
          control.keep_in_touch();
          pump(control);
          return control.abandoned();
        });
      } catch (...) {
        control.fail(std::current_exception());
      }
      if (!chunk) break;
      run_chunk(*chunk, pass, control);
      pump(control);
    }
    results_.pass_seconds.push_back(seconds_between(start, RunClock::now()));
    const bool complete = !control.abandoned();
    // A rank that stopped here tells the others now: a dealer's settle waits for all of them,
    // and some may be waiting on a chunk that this rank's stop means nobody will deal.
    control.keep_in_touch();
    try {  // a checkpoint's last flush may fail (a full disk): a failure like any other
      observers_.pass_end(pass, complete);
    } catch (...) {
      control.fail(std::current_exception());
    }
    bool stopped = false;
    {
      const WaitSpan wait(observers_, Wait::agree);
      control.wait_for_others();
      dealer_.settle();
      stopped = control.settle(comm_);
    }
    observers_.pass_agreed(pass, complete && !stopped);
    return stopped;
  }

  /// In a parallel region: this thread's state, the first time it runs (when the job keeps one).
  void make_thread_state(std::size_t thread, PassControl& control) {
    if (!plan_.thread_state || results_.states[thread]) return;
    try {
      results_.states[thread] = job_.make_thread_state();
    } catch (...) {
      control.fail(std::current_exception());
    }
  }

  /// After a parallel region: each thread's wait for the slowest one at its end (observers).
  void observe_join(const std::vector<TimePoint>& loop_end) {
    if (loop_end.empty()) return;
    const TimePoint joined = RunClock::now();
    for (std::size_t t = 0; t < threads_; ++t) {
      observers_.wait(Wait::join, static_cast<int>(t), loop_end[t], joined);
    }
  }

  /// The rank's threads share out one chunk with the OpenMP schedule (`schedule(runtime)`).
  void run_chunk(const BlockSet& chunk, int pass, PassControl& control) {
    std::vector<TimePoint> loop_end(observers_.empty() ? 0 : threads_);
#pragma omp parallel num_threads(options_.threads)
    {
      const auto thread = static_cast<std::size_t>(omp_get_thread_num());
      make_thread_state(thread, control);
#pragma omp barrier
      const auto count = static_cast<std::int64_t>(chunk.count);
#pragma omp for schedule(runtime) nowait
      for (std::int64_t i = 0; i < count; ++i) {
        if (thread == 0) {  // only the main thread calls MPI
          control.keep_in_touch();
          pump(control);
          serve(control);
        }
        if (control.abandoned()) continue;
        const std::uint64_t b = chunk[static_cast<std::uint64_t>(i)];
        if (checkpoint_ != nullptr && checkpoint_->restored(b)) continue;  // done before
        compute_block(b, pass, thread, control);
        if (thread == 0) tick(pass, control);
      }
      if (!loop_end.empty()) loop_end[thread] = RunClock::now();
    }
    observe_join(loop_end);
  }

  /// Slots mode: one parallel region for the pass; each thread takes the next block as it frees
  /// (a farm's slot its next task), so that no thread waits for another's long block.
  void run_slots(int pass, PassControl& control) {
    queue_.reopen();
    std::vector<TimePoint> loop_end(observers_.empty() ? 0 : threads_);
#pragma omp parallel num_threads(options_.threads)
    {
      const auto thread = static_cast<std::size_t>(omp_get_thread_num());
      make_thread_state(thread, control);
      slot_loop(thread, pass, control);
      if (!loop_end.empty()) loop_end[thread] = RunClock::now();
    }
    observe_join(loop_end);
  }

  /// One slot's blocks until the pass has no more for this rank (or is abandoned). The main
  /// thread fetches blocks from the dealer when it finds none queued, and for the other slots
  /// from its chores while its own block waits (feed_hungry_slots).
  void slot_loop(std::size_t thread, int pass, PassControl& control) {
    for (;;) {
      if (control.abandoned()) {
        if (thread == 0) queue_.close();
        return;
      }
      std::optional<std::uint64_t> b = queue_.take();
      if (!b && thread == 0) {
        if (!refill(pass, control)) return;
        continue;
      }
      if (!b) {
        b = queue_.wait_take(5);
        if (!b && queue_.done()) return;
        if (!b) continue;
      }
      if (thread == 0) chores_between_blocks(pass, control);
      if (plan_.batches) {
        run_batch(*b, thread, pass, control);
        continue;
      }
      if (checkpoint_ != nullptr && checkpoint_->restored(*b)) continue;  // done before
      compute_block(*b, pass, thread, control);
      if (thread == 0) tick(pass, control);
    }
  }

  /// WorkPlan::batches: block `first` and up to Job::batch - 1 more queued ones on `thread`,
  /// the job told first which (those a checkpoint restored left out).
  void run_batch(std::uint64_t first, std::size_t thread, int pass, PassControl& control) {
    std::vector<std::uint64_t>& batch = batches_[thread];
    batch.assign(1, first);
    const int slot = static_cast<int>(thread);
    std::uint64_t size = 1;
    try {
      size = std::max<std::uint64_t>(job_.batch(slot), 1);
    } catch (...) {
      control.fail(std::current_exception());
    }
    queue_.take_more(size - 1, batch);
    if (checkpoint_ != nullptr) {
      std::erase_if(batch, [&](std::uint64_t b) { return checkpoint_->restored(b); });
    }
    if (batch.empty()) return;
    try {
      job_.batch_begins(slot, batch);
    } catch (...) {
      control.fail(std::current_exception());
    }
    for (const std::uint64_t b : batch) {
      if (control.abandoned()) return;
      if (thread == 0 && b != batch.front()) chores_between_blocks(pass, control);
      compute_block(b, pass, thread, control);
      if (thread == 0) tick(pass, control);
    }
  }

  /// Main thread: the next blocks from the dealer into the queue; false (and the queue closed)
  /// when the pass has no more for this rank or is abandoned.
  bool refill(int pass, PassControl& control) {
    if (queue_.closed()) return false;  // the dealer said "no more": never ask it again
    BlockSet chunk;
    bool more = false;
    try {
      if (plan_.batches) {  // a deal of at most the largest batch a slot takes now
        std::uint64_t most = 1;
        for (std::size_t t = 0; t < threads_; ++t) {
          most = std::max(most, job_.batch(static_cast<int>(t)));
        }
        dealer_.cap_deals(most);
      }
      const auto next = dealer_.next(pass, [&] {
        control.keep_in_touch();
        pump(control);
        return control.abandoned();
      });
      more = next.has_value();
      if (more) chunk = *next;
    } catch (...) {
      control.fail(std::current_exception());
    }
    if (!more || control.abandoned()) {
      queue_.close();
      return false;
    }
    queue_.add(chunk);
    return true;
  }

  /// Main thread, between two of its blocks in slots mode: the chores (news of other ranks,
  /// output, dealing) when a tick of the coarse clock has passed since the last (1 to 4 ms),
  /// or at once when a slot waits for a block. Blocks of microseconds (a worker's inputs) so
  /// do not each pay MPI's progress, nor a clock read of 25 ns; a long block's wait does them
  /// itself (main_thread_chores).
  void chores_between_blocks(int pass, PassControl& control) {
    timespec coarse{};
    (void)clock_gettime(CLOCK_MONOTONIC_COARSE, &coarse);
    const std::int64_t now = std::int64_t{coarse.tv_sec} * 1'000'000'000 + coarse.tv_nsec;
    if (now < next_chores_ns_ && queue_.hungry() == 0) return;
    next_chores_ns_ = now + 1'000'000;
    control.keep_in_touch();
    pump(control);
    serve(control);
    feed_hungry_slots(pass, control);
  }

  /// Main thread, from its chores: blocks for the slots that wait for one.
  void feed_hungry_slots(int pass, PassControl& control) {
    for (int hungry = queue_.hungry(); hungry > 0; --hungry) {
      if (!refill(pass, control)) return;
    }
  }

  /// Main thread: answers other ranks' requests for blocks (never waits).
  void serve(PassControl& control) {
    try {
      dealer_.serve();
    } catch (...) {
      control.fail(std::current_exception());
    }
  }

  /// Main thread, inside the parallel region: the observers' tick (a checkpoint writes out its
  /// records there); what it throws is kept, never let out of the region.
  void tick(int pass, PassControl& control) {
    try {
      Progress progress = dealer_.progress(pass, pass_done_.load(std::memory_order_relaxed));
      progress.dealt = progress.count == ProgressCount::dealt ? progress.done : plan_.blocks();
      if (last_pass_ && ordered_ != nullptr && comm_.rank() == 0) {
        // Rank 0 sees every rank's finished blocks arrive in the ordered output: count those
        // (a dynamic dealer's count is of blocks started).
        progress.total = plan_.blocks();
        progress.done = std::min(ordered_->finished_blocks(), progress.total);
        progress.count = ProgressCount::finished;
        progress.failed = ordered_->failed_blocks();
      }
      observers_.tick(progress);
    } catch (...) {
      control.fail(std::current_exception());
    }
  }

  /// Main thread: moves finished blocks' ordered bytes along (never waits).
  void pump(PassControl& control) {
    if (ordered_ == nullptr) return;
    try {
      ordered_->pump();
    } catch (...) {
      control.fail(std::current_exception());
    }
  }

  /// Computes block `b` on `thread` and keeps its results.
  void compute_block(std::uint64_t b, int pass, std::size_t thread, PassControl& control) {
    const Block block{b, plan_.block(b), pass, static_cast<int>(thread)};
    BlockScratch& scratch = scratch_[thread];
    try {
      const TimePoint begin = observers_.empty() ? TimePoint{} : RunClock::now();
      BlockOutput out = scratch.prepare(last_pass_, results_.states[thread].get());
      job_.compute(block, out);
      const std::string& record = scratch.record();  // checked before anything keeps it
      pass_done_.fetch_add(1, std::memory_order_relaxed);
      if (!observers_.empty()) {  // before the bytes move on: a checkpoint records them too
        observers_.block_done(
            {static_cast<int>(thread), pass, &block, &out, begin, RunClock::now()});
      }
      if (last_pass_) {
        const bool failed = block_failed_ != nullptr && block_failed_(scratch.counts());
        logs_[thread].append(b, scratch.reals(), scratch.counts(), record);
        if (ordered_ != nullptr) ordered_->put(b, std::move(scratch.bytes()), failed);
        if (failed) blocks_failed_.fetch_add(1, std::memory_order_relaxed);
        items_done_.fetch_add(block.items.size(), std::memory_order_relaxed);
        blocks_done_.fetch_add(1, std::memory_order_relaxed);
      }
    } catch (const BlockStopped&) {
      // Not done and not a failure: the stop request that cut it short ends the pass; a drain
      // skips it (the pass goes on, every block the rank is dealt skipped, and ends stopped).
      if (drain_requested()) {
        control.skipped();
      } else if (!stop_requested()) {
        control.fail(std::make_exception_ptr(
            RuntimeError("block " + std::to_string(b) + " was stopped with no stop request")));
      }
    } catch (...) {
      control.fail(std::current_exception());
    }
  }

  const boost::mpi::communicator& comm_;
  Job& job_;
  const WorkPlan& plan_;
  BlockDealer& dealer_;
  const RunOptions& options_;
  const Observers& observers_;
  OrderedStream* ordered_;
  const Checkpoint* checkpoint_;
  bool (*block_failed_)(std::span<const std::uint64_t> counts);
  std::size_t threads_;
  bool slots_;       // WorkPlan::deal_per_thread with threads: each takes blocks as it frees
  SlotQueue queue_;  // slots mode: the rank's blocks not yet taken
  std::vector<BlockScratch> scratch_;                // one per thread
  std::vector<std::vector<std::uint64_t>> batches_;  // WorkPlan::batches: one per thread
  std::vector<PartialLog> logs_;                     // one per thread
  WalkResults results_;
  bool last_pass_ = false;
  std::atomic<std::uint64_t> items_done_{0};
  std::atomic<std::uint64_t> blocks_done_{0};
  std::atomic<std::uint64_t> blocks_failed_{0};
  std::atomic<std::uint64_t> pass_done_{0};
  std::int64_t next_chores_ns_ = 0;  // main thread: chores_between_blocks' next (coarse clock)
};

}  // namespace

WalkResults walk_blocks(const boost::mpi::communicator& comm, const WalkSetup& setup) {
  return Walker(comm, setup).run();
}

}  // namespace hpar
