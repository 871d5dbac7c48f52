// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/engine/engine.hpp"

#include <mpi.h>
#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/mpi/collectives.hpp>
#include <boost/program_options/variables_map.hpp>
#include <functional>
#include <span>

#include "checkpoint.hpp"
#include "dealer.hpp"
#include "hpar/comm/gather.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/stop.hpp"
#include "hpar/platform/allocation.hpp"
#include "hpar/platform/memory.hpp"
#include "ordered_output.hpp"
#include "walker.hpp"

namespace hpar {
namespace {

PhaseStats phase_stats(const boost::mpi::communicator& comm, double seconds) {
  PhaseStats s;
  boost::mpi::all_reduce(comm, seconds, s.min, boost::mpi::minimum<double>());
  boost::mpi::all_reduce(comm, seconds, s.max, boost::mpi::maximum<double>());
  boost::mpi::all_reduce(comm, seconds, s.avg, std::plus<double>());
  s.avg /= comm.size();
  return s;
}

/// This process's peak resident memory so far, in bytes.
std::uint64_t peak_rss() {
  rusage usage = {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // Linux: KiB
}

/// A run in its phases: setup, compute, gather, verify (rank 0's Job::finish: the result
/// lines and the job's own check, a small-API job's .verify). Each step is collective.
class JobRun {
 public:
  JobRun(const boost::mpi::communicator& comm, const JobInfo& info,
         const boost::program_options::variables_map& vm, const RunOptions& options)
      : comm_(comm), info_(info), vm_(vm), options_(options), observers_(options.observers) {
    // The run's own observers (a checkpoint's writer) join the caller's.
    record_.job = std::string(info.name);
    record_.ranks = comm.size();
    record_.options = options;
  }

  RunRecord run() {
    {
      const WaitSpan wait(observers_, Wait::barrier);
      comm_.barrier();
    }
    const TimePoint begin = RunClock::now();
    const double setup = set_up();
    const double compute = compute_blocks();
    const double gather = gather_results();
    const double verify = finish();
    record_.setup = phase_stats(comm_, setup);
    record_.compute = phase_stats(comm_, compute);
    record_.gather = phase_stats(comm_, gather);
    record_.verify = phase_stats(comm_, verify);
    record_.total = phase_stats(comm_, seconds_between(begin, RunClock::now()));
    boost::mpi::gather(comm_, peak_rss(), record_.rank_peak_rss, 0);
    record_.imbalance =
        record_.compute.avg > 0 ? record_.compute.max / record_.compute.avg - 1.0 : 0.0;
    return std::move(record_);
  }

 private:
  /// The CPUs of the rank's children (JobContext::cpus): its mask, or where the masks of the
  /// node's ranks overlap, the node_rank-th of node_ranks contiguous parts of their union.
  static void share_cpus(MPI_Comm node, JobContext& c) {
    constexpr int words = CPU_SETSIZE / 64;
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<std::uint64_t> mine(words, 0);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
      for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (CPU_ISSET(cpu, &set)) mine[static_cast<std::size_t>(cpu / 64)] |= 1ULL << (cpu % 64);
      }
    }
    std::vector<std::uint64_t> all(mine.size() * static_cast<std::size_t>(c.node_ranks));
    check_mpi(
        MPI_Allgather(mine.data(), words, MPI_UINT64_T, all.data(), words, MPI_UINT64_T, node),
        "MPI_Allgather");
    std::vector<std::uint64_t> any(words, 0);
    for (std::size_t i = 0; i < all.size(); ++i) {
      const std::size_t w = i % mine.size();
      if (i / mine.size() != static_cast<std::size_t>(c.node_rank) && (all[i] & mine[w]) != 0) {
        c.cpus_shared = true;
      }
      any[w] |= all[i];
    }
    const auto& from = c.cpus_shared ? any : mine;
    std::vector<int> cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if ((from[static_cast<std::size_t>(cpu / 64)] >> (cpu % 64) & 1U) != 0) cpus.push_back(cpu);
    }
    if (c.cpus_shared) {
      const auto n = cpus.size();
      const auto r = static_cast<std::size_t>(c.node_rank);
      const auto k = static_cast<std::size_t>(c.node_ranks);
      cpus = std::vector<int>(cpus.begin() + static_cast<std::ptrdiff_t>(n * r / k),
                              cpus.begin() + static_cast<std::ptrdiff_t>(n * (r + 1) / k));
    }
    c.cpus = std::move(cpus);
  }

  /// What the job is told of its place: ranks, threads, rank, and its rank among the ranks of
  /// its node (MPI_COMM_TYPE_SHARED). Collective.
  JobContext job_context() const {
    JobContext c{comm_.size(), options_.threads, comm_.rank()};
    MPI_Comm node = MPI_COMM_NULL;
    check_mpi(MPI_Comm_split_type(MPI_Comm(comm_), MPI_COMM_TYPE_SHARED, comm_.rank(),
                                  MPI_INFO_NULL, &node),
              "MPI_Comm_split_type");
    check_mpi(MPI_Comm_rank(node, &c.node_rank), "MPI_Comm_rank");
    check_mpi(MPI_Comm_size(node, &c.node_ranks), "MPI_Comm_size");
    share_cpus(node, c);
    check_mpi(MPI_Comm_free(&node), "MPI_Comm_free");
    // Once, on rank 0 (one query to the batch system, not one per rank).
    if (info_.reads_allocation_end) {
      if (comm_.rank() == 0) c.allocation_end = allocation_end();
      boost::mpi::broadcast(comm_, c.allocation_end, 0);
    }
    return c;
  }

  /// Builds the job from its options, checks its plan, deals the blocks and prepares this
  /// rank's items. Returns this rank's setup time.
  double set_up() {
    PhaseSpan span(observers_, Phase::setup);
    context_ = job_context();
    std::exception_ptr failure;
    try {
      if (options_.threads < 1) throw UsageError("--threads must be at least 1");
      job_ = info_.make(vm_, context_);
      record_.plan = job_->plan();
      check_plan(record_.plan);
    } catch (...) {
      failure = std::current_exception();
    }
    agree(comm_, failure);
    // Reliability (issue 15): the run's memory need against what each rank may use, before
    // anything is allocated; refused with the same UsageError on every rank.
    check_memory(comm_, record_.plan, options_.ordered.buffer_bytes);
    check_output_space(comm_, record_.plan, options_.ordered);  // before a checkpoint is begun
    if (!options_.checkpoint.dir.empty()) open_checkpoint();
    // Slots (a farm's threads) ask for their blocks one free slot at a time.
    const int dealt_threads = record_.plan.deal_per_thread > 0 ? 1 : options_.threads;
    dealer_ = make_dealer(comm_, record_.plan, options_.distribution, dealt_threads);
    if (record_.plan.ordered_output) {
      ordered_ = std::make_unique<OrderedStream>(comm_, record_.plan, options_.ordered);
      if (checkpoint_) ordered_->restore_from(*checkpoint_, restored_failed());
    }
    try {
      job_->prepare(dealer_->items());
    } catch (...) {
      failure = std::current_exception();
    }
    agree(comm_, failure);
    record_.placements = gather_placements(comm_, options_.threads);
    return span.close();
  }

  /// Starts this run's checkpoint, or reads the one it resumes; its writer observes the run.
  void open_checkpoint() {
    checkpoint_ = std::make_unique<Checkpoint>(
        comm_, options_.checkpoint, record_.job, record_.plan,
        [this](std::span<const std::uint64_t> counts) {
          return info_.block_failed != nullptr && info_.block_failed(counts);
        });
    observers_.add(&checkpoint_->writer());
    record_.checkpoint.enabled = true;
    record_.checkpoint.dir = options_.checkpoint.dir;
    record_.checkpoint.attempt = checkpoint_->attempt();
    record_.checkpoint.restored_blocks = checkpoint_->restored_blocks();
    record_.checkpoint.restored_items = checkpoint_->restored_items();
  }

  /// Rank 0: the blocks a resumed checkpoint restored that the job says failed (0 elsewhere).
  std::uint64_t restored_failed() const {
    if (!checkpoint_ || info_.block_failed == nullptr || comm_.rank() != 0) return 0;
    const auto width = static_cast<std::size_t>(record_.plan.count_partials);
    const std::span<const std::uint64_t> counts = checkpoint_->restored_partials().counts;
    std::uint64_t failed = 0;
    for (std::size_t at = 0; width > 0 && at + width <= counts.size(); at += width) {
      if (info_.block_failed(counts.subspan(at, width))) ++failed;
    }
    return failed;
  }

  void check_plan(const WorkPlan& plan) const {
    if (plan.block_items < 1 || plan.passes < 1) {
      throw RuntimeError("job '" + record_.job + "' has an invalid work plan");
    }
    if (options_.distribution != Distribution::block && plan.contiguous_slices) {
      throw UsageError("job '" + record_.job +
                       "' needs one contiguous slice per rank: use --distribution block");
    }
  }

  /// Walks this rank's blocks (agreeing on failures and stops per pass). Returns this rank's
  /// compute time, the sum of its passes.
  double compute_blocks() {
    const TimePoint begin = RunClock::now();
    try {
      walk_ = walk_blocks(comm_, {*job_, record_.plan, *dealer_, options_, observers_,
                                  ordered_.get(), checkpoint_.get(), info_.block_failed});
    } catch (...) {  // agreed on every rank: leave nothing in flight, no partial file
      if (ordered_) ordered_->abandon();
      throw;
    }
    dealer_.reset();  // collective for the dynamic dealer: every rank is here
    observers_.phase(Phase::compute, begin, RunClock::now());
    double seconds = 0.0;
    for (const double s : walk_.pass_seconds) seconds += s;
    return seconds;
  }

  /// Moves every kind of result to rank 0. Returns this rank's gather time.
  double gather_results() {
    PhaseSpan span(observers_, Phase::gather);
    record_.complete = !walk_.stopped;
    // Why it stopped: a signal on some rank wins over a drain (the farm at its deadline).
    const int causes = (stop_requested() ? 1 : 0) | (drain_requested() ? 2 : 0);
    int all_causes = 0;
    boost::mpi::all_reduce(comm_, causes, all_causes, std::bit_or<int>());
    record_.drained = !record_.complete && all_causes == 2;
    boost::mpi::reduce(comm_, walk_.items_done, record_.items_done, std::plus<std::uint64_t>(), 0);
    if (checkpoint_) {
      record_.items_done += comm_.rank() == 0 ? checkpoint_->restored_items() : 0;
      boost::mpi::reduce(comm_, walk_.blocks_done, record_.checkpoint.computed_blocks,
                         std::plus<std::uint64_t>(), 0);
    }
    boost::mpi::gather(comm_, walk_.blocks_done, record_.rank_blocks, 0);
    std::vector<double> pass_seconds = walk_.pass_seconds;
    pass_seconds.resize(static_cast<std::size_t>(record_.plan.passes), 0.0);
    record_.pass_seconds.resize(pass_seconds.size());
    boost::mpi::reduce(comm_, pass_seconds.data(), static_cast<int>(pass_seconds.size()),
                       record_.pass_seconds.data(), boost::mpi::maximum<double>(), 0);
    if (ordered_) deliver_ordered();
    count_finished();
    if (record_.complete) {
      gather_partials();
      if (record_.plan.thread_state && !record_.plan.scratch_state) gather_states();
      gathered_.pass_seconds = record_.pass_seconds;
    }
    return span.close();
  }

  /// Tells the observers every rank's finished and failed blocks of the last pass (rank 0's
  /// count; restored blocks included): as the ordered output delivered them, else (no ordered
  /// output, or a stop) as the ranks count them. Collective.
  void count_finished() {
    std::uint64_t failed = 0;
    boost::mpi::reduce(comm_, walk_.blocks_failed, failed, std::plus<std::uint64_t>(), 0);
    if (observers_.empty()) return;  // the same on every rank: the run's observers
    Progress p;
    p.total = record_.plan.blocks();
    p.pass = record_.plan.passes - 1;
    p.passes = record_.plan.passes;
    p.count = ProgressCount::finished;
    if (comm_.rank() == 0) {
      for (const auto blocks : record_.rank_blocks) p.done += blocks;
      p.done += checkpoint_ ? checkpoint_->restored_blocks() : 0;
      p.failed = failed + restored_failed();
      if (record_.complete) p.done = p.total;
      if (ordered_ && record_.complete) {  // delivered whole: what came with every block
        p.done = ordered_->finished_blocks();
        p.failed = ordered_->failed_blocks();
      }
      p.done = std::min(p.done, p.total);
      p.dealt = p.done;
    }
    observers_.final_count(p);
  }

  /// Completes the ordered output (every block delivered, the file committed), or drops it
  /// when the run stopped early.
  void deliver_ordered() {
    if (!record_.complete) {
      ordered_->abandon();
      return;
    }
    if (!ordered_->finish()) {  // stopped while the output was written: nothing committed
      record_.complete = false;
      return;
    }
    record_.ordered_stats = ordered_->stats();
    if (comm_.rank() != 0) return;
    if (record_.plan.ordered_to_finish) {
      gathered_.ordered = ordered_->take_memory();
    } else {
      record_.ordered = ordered_->take_memory();
    }
  }

  void gather_partials() {
    PartialLog all;
    all.blocks = gather_values<std::uint64_t>(comm_, walk_.partials.blocks);
    all.reals = gather_values<double>(comm_, walk_.partials.reals);
    all.counts = gather_values<std::uint64_t>(comm_, walk_.partials.counts);
    all.record_sizes = gather_values<std::uint64_t>(comm_, walk_.partials.record_sizes);
    all.records = gather_bytes(comm_, walk_.partials.records);
    walk_.partials = PartialLog();
    if (checkpoint_ && comm_.rank() == 0) all.append(checkpoint_->restored_partials());
    std::exception_ptr failure;
    if (comm_.rank() == 0) {
      try {
        place_partials(record_.plan, all, gathered_);
      } catch (...) {
        failure = std::current_exception();
      }
    }
    agree(comm_, failure);
  }

  void gather_states() {
    std::vector<ThreadState*> states;
    for (auto& s : walk_.states) states.push_back(s.get());
    const std::string mine = job_->serialize(states);
    std::vector<std::uint64_t> sizes;
    boost::mpi::gather(comm_, static_cast<std::uint64_t>(mine.size()), sizes, 0);
    const std::string all = gather_bytes(comm_, mine);
    std::uint64_t offset = 0;
    for (const auto size : sizes) {
      gathered_.rank_states.push_back(all.substr(offset, size));
      offset += size;
    }
  }

  /// Rank 0 turns the results into lines and a verdict (the job's own verification); a
  /// failure there ends every rank. Returns rank 0's seconds in Job::finish (0 elsewhere).
  double finish() {
    std::exception_ptr failure;
    double seconds = 0.0;
    if (comm_.rank() == 0 && record_.complete) {
      const TimePoint begin = RunClock::now();
      PhaseSpan span(observers_, Phase::finish);
      try {
        record_.result = job_->finish(gathered_);
        if (checkpoint_) checkpoint_->mark_complete();
      } catch (...) {
        failure = std::current_exception();
      }
      seconds = seconds_between(begin, RunClock::now());
    }
    const WaitSpan wait(observers_, Wait::agree);
    agree(comm_, failure);
    return seconds;
  }

  const boost::mpi::communicator& comm_;
  const JobInfo& info_;
  const boost::program_options::variables_map& vm_;
  const RunOptions& options_;
  Observers observers_;
  RunRecord record_;
  std::unique_ptr<Job> job_;
  std::unique_ptr<Checkpoint> checkpoint_;
  std::unique_ptr<BlockDealer> dealer_;
  JobContext context_;
  std::unique_ptr<OrderedStream> ordered_;
  WalkResults walk_;
  Gathered gathered_;
};

}  // namespace

RunRecord run_job(const boost::mpi::communicator& comm, const JobInfo& info,
                  const boost::program_options::variables_map& vm, const RunOptions& options) {
  return JobRun(comm, info, vm, options).run();
}

}  // namespace hpar
