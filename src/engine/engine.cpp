#include "hpar/engine/engine.hpp"

#include <mpi.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <boost/mpi/collectives.hpp>
#include <boost/program_options/variables_map.hpp>
#include <csignal>
#include <numeric>

#include "hpar/core/errors.hpp"
#include "hpar/engine/gather.hpp"
#include "hpar/observe/progress.hpp"
#include "hpar/observe/trace.hpp"

namespace hpar {
namespace {

volatile std::sig_atomic_t stop_flag = 0;

extern "C" void on_stop_signal(int /*signal*/) {
  stop_flag = 1;
}

PhaseStats phase_stats(const boost::mpi::communicator& comm, double seconds) {
  PhaseStats s;
  boost::mpi::all_reduce(comm, seconds, s.min, boost::mpi::minimum<double>());
  boost::mpi::all_reduce(comm, seconds, s.max, boost::mpi::maximum<double>());
  boost::mpi::all_reduce(comm, seconds, s.avg, std::plus<double>());
  s.avg /= comm.size();
  return s;
}

/// Per-rank results of the compute phase.
struct LocalResults {
  std::vector<double> reals;
  std::vector<std::uint64_t> counts;
  std::vector<std::string> bytes;  // one per local block
  std::vector<std::unique_ptr<ThreadState>> states;
  std::vector<double> pass_seconds;
  std::uint64_t items_done = 0;  // items whose blocks finished their last pass
  int stopped = 0;               // some rank stopped early (agreed on every rank)
};

/// Puts what rank 0 gathered in rank order back into block order (the identity for the
/// block distribution, whose rank order is block order).
class BlockOrder {
 public:
  BlockOrder(std::uint64_t blocks, int ranks, Distribution d) : distribution_(d) {
    for (int r = 0; r < ranks; ++r) sets_.push_back(owned_blocks(blocks, ranks, r, d));
  }

  /// Fixed-width records (`width` values per block), rank order -> block order.
  template <class T>
  [[nodiscard]] std::vector<T> restore(std::vector<T> values, std::size_t width) const {
    if (distribution_ == Distribution::block || width == 0 || values.empty()) return values;
    std::vector<T> out(values.size());
    std::size_t at = 0;
    for (const auto& set : sets_) {
      for (std::uint64_t i = 0; i < set.count; ++i, at += width) {
        std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(at), width,
                    out.begin() + static_cast<std::ptrdiff_t>(set[i] * width));
      }
    }
    return out;
  }

  /// Variable-size block bytes (sizes per block, rank order) -> block order.
  [[nodiscard]] std::string restore_bytes(const std::string& bytes,
                                          const std::vector<std::uint64_t>& sizes) const {
    std::vector<std::uint64_t> block_size(sizes.size());
    std::vector<std::uint64_t> source(sizes.size());
    std::size_t k = 0;
    std::uint64_t offset = 0;
    for (const auto& set : sets_) {
      for (std::uint64_t i = 0; i < set.count; ++i, ++k) {
        block_size[set[i]] = sizes[k];
        source[set[i]] = offset;
        offset += sizes[k];
      }
    }
    std::string out;
    out.reserve(bytes.size());
    for (std::size_t b = 0; b < block_size.size(); ++b) out.append(bytes, source[b], block_size[b]);
    return out;
  }

 private:
  Distribution distribution_;
  std::vector<BlockSet> sets_;
};

/// Tells the other ranks, mid-pass, that this rank failed or was stopped, so that no rank
/// computes on for long before the agreement that follows the pass. Only the main thread
/// calls it (MPI is funneled). Notices travel on a private duplicate of the communicator and
/// are all received in settle(), so none is left over for a later run.
class FaultNotice {
 public:
  explicit FaultNotice(const boost::mpi::communicator& comm)
      : comm_(comm, boost::mpi::comm_duplicate) {}

  /// True when another rank has sent a notice (non-blocking probe).
  bool heard() const {
    int flag = 0;
    check_mpi(MPI_Iprobe(MPI_ANY_SOURCE, tag, MPI_Comm(comm_), &flag, MPI_STATUS_IGNORE),
              "MPI_Iprobe");
    return flag != 0;
  }

  /// Sends a notice to every other rank (once).
  void tell_all() {
    if (told_) return;
    told_ = true;
    for (int r = 0; r < comm_.size(); ++r) {
      if (r == comm_.rank()) continue;
      requests_.emplace_back();
      check_mpi(MPI_Isend(&payload_, 1, MPI_INT, r, tag, MPI_Comm(comm_), &requests_.back()),
                "MPI_Isend");
    }
  }

  /// Collective: completes the sends and receives every notice addressed to this rank.
  void settle() {
    check_mpi(
        MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE),
        "MPI_Waitall");
    requests_.clear();
    int senders = 0;
    boost::mpi::all_reduce(comm_, told_ ? 1 : 0, senders, std::plus<int>());
    const int expected = senders - (told_ ? 1 : 0);
    for (int i = 0; i < expected; ++i) {
      int payload = 0;
      check_mpi(
          MPI_Recv(&payload, 1, MPI_INT, MPI_ANY_SOURCE, tag, MPI_Comm(comm_), MPI_STATUS_IGNORE),
          "MPI_Recv");
    }
    told_ = false;
  }

 private:
  static constexpr int tag = 7302;
  boost::mpi::communicator comm_;
  std::vector<MPI_Request> requests_;
  int payload_ = 1;
  bool told_ = false;
};

/// Walks this rank's blocks with OpenMP threads, pass after pass. No exception leaves the
/// parallel region: the first one is kept, the other threads skip their remaining blocks, the
/// other ranks are told (FaultNotice) and every rank throws it after the pass (agree).
LocalResults compute_slice(const boost::mpi::communicator& comm, Job& job, const WorkPlan& plan,
                           BlockSet blocks, const RunOptions& options) {
  LocalResults local;
  const std::uint64_t n = blocks.count;
  local.reals.assign(n * plan.real_partials, 0.0);
  local.counts.assign(n * plan.count_partials, 0);
  if (plan.ordered_output) local.bytes.resize(n);
  local.states.resize(static_cast<std::size_t>(options.threads));
  options.schedule.apply();

  // Tracing and progress cost one pointer test per block when off.
  TraceRecorder* const trace = options.trace;
  ProgressMeter* const progress = options.progress;
  std::vector<double> loop_end;  // per thread: when it left the loop (trace only)
  if (trace != nullptr) {
    trace->reserve_threads(options.threads);
    loop_end.assign(static_cast<std::size_t>(options.threads), -1.0);
  }
  struct ProgressEnd {  // the meter's line is cleared however the passes end
    ProgressMeter* meter;
    ~ProgressEnd() {
      if (meter != nullptr) meter->end();
    }
  } progress_end{progress};
  if (progress != nullptr) progress->begin(n * static_cast<std::uint64_t>(plan.passes));

  FaultNotice notice(comm);
  std::exception_ptr failure;
  std::atomic<bool> abandon{false};      // skip the remaining blocks of this pass
  std::atomic<bool> local_cause{false};  // ... because of a failure or signal on this rank
  std::atomic<std::uint64_t> items_done{0};
  const auto fail_here = [&](std::exception_ptr e) {
#pragma omp critical(hpar_failure)
    if (!failure) failure = std::move(e);
    local_cause = true;
    abandon = true;
  };
  for (int pass = 0; pass < plan.passes; ++pass) {
    const double barrier_begin = trace != nullptr ? trace->now_us() : 0.0;
    comm.barrier();
    if (trace != nullptr) trace->span(0, "barrier", "wait", barrier_begin, trace->now_us());
    const double start = MPI_Wtime();
    const bool last = pass == plan.passes - 1;
#pragma omp parallel num_threads(options.threads)
    {
      const auto thread = static_cast<std::size_t>(omp_get_thread_num());
      if (plan.thread_state && pass == 0) {
        try {
          local.states[thread] = job.make_thread_state();
        } catch (...) {
          fail_here(std::current_exception());
        }
      }
#pragma omp barrier
      const auto count = static_cast<std::int64_t>(n);
#pragma omp for schedule(runtime) nowait
      for (std::int64_t i = 0; i < count; ++i) {
        if (thread == 0) {  // the main thread keeps in touch with the other ranks
          try {
            if (local_cause) notice.tell_all();
            if (!abandon && notice.heard()) abandon = true;
          } catch (...) {
            fail_here(std::current_exception());
          }
        }
        if (abandon.load(std::memory_order_relaxed)) continue;
        if (stop_requested()) {
          local_cause = true;
          abandon = true;
          continue;
        }
        const auto b = static_cast<std::uint64_t>(i);
        const Slice items = plan.block(blocks[b]);
        BlockOutput out;
        if (last) {
          out.reals = {local.reals.data() + b * plan.real_partials, plan.real_partials};
          out.counts = {local.counts.data() + b * plan.count_partials, plan.count_partials};
          if (plan.ordered_output) out.bytes = &local.bytes[b];
        }
        out.state = local.states[thread].get();
        try {
          const double block_begin = trace != nullptr ? trace->now_us() : 0.0;
          job.compute(Block{blocks[b], items, pass}, out);
          if (last) items_done.fetch_add(items.size(), std::memory_order_relaxed);
          if (trace != nullptr) {
            trace->block(static_cast<int>(thread), blocks[b], pass, block_begin, trace->now_us());
          }
          if (progress != nullptr) {
            progress->advance(1);
            if (thread == 0) progress->maybe_print();
          }
        } catch (...) {
          fail_here(std::current_exception());
        }
      }
      if (trace != nullptr) loop_end[thread] = trace->now_us();
    }
    local.pass_seconds.push_back(MPI_Wtime() - start);
    const double agree_begin = trace != nullptr ? trace->now_us() : 0.0;
    if (trace != nullptr) {  // each thread's wait for the slowest one at the end of the region
      for (std::size_t t = 0; t < loop_end.size(); ++t) {
        if (loop_end[t] >= 0.0) {
          trace->span(static_cast<int>(t), "idle (threads join)", "wait", loop_end[t], agree_begin,
                      {{"pass", pass}});
        }
      }
    }
    // Every rank learns of a failure or a stop on any rank before the next collective.
    if (local_cause) notice.tell_all();
    notice.settle();
    agree(comm, failure);
    const int stopped = abandon ? 1 : 0;
    boost::mpi::all_reduce(comm, stopped, local.stopped, boost::mpi::maximum<int>());
    if (trace != nullptr) trace->span(0, "agree", "wait", agree_begin, trace->now_us());
    if (local.stopped) break;  // a stop signal: the remaining passes are skipped
  }
  local.items_done = items_done.load();
  return local;
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action = {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

bool stop_requested() noexcept {
  return stop_flag != 0;
}

void request_stop() noexcept {
  stop_flag = 1;
}

void clear_stop_request() noexcept {
  stop_flag = 0;
}

void agree(const boost::mpi::communicator& comm, const std::exception_ptr& local) {
  const int rank = comm.rank();
  const int failing = local ? rank : comm.size();
  int first = 0;
  boost::mpi::all_reduce(comm, failing, first, boost::mpi::minimum<int>());
  if (first == comm.size()) return;
  auto [code, message] = local && rank == first ? describe(local) : std::pair<int, std::string>{};
  std::string host = rank == first ? host_name() : std::string();
  boost::mpi::broadcast(comm, code, first);
  boost::mpi::broadcast(comm, message, first);
  boost::mpi::broadcast(comm, host, first);
  const bool name_rank =
      comm.size() > 1 && (code != static_cast<int>(ExitCode::usage) || first != 0);
  if (name_rank) message = "rank " + std::to_string(first) + " (" + host + "): " + message;
  throw Error(static_cast<ExitCode>(code), message);
}

RunRecord run_job(const boost::mpi::communicator& comm, const JobInfo& info,
                  const boost::program_options::variables_map& vm, const RunOptions& options) {
  RunRecord record;
  record.job = std::string(info.name);
  record.ranks = comm.size();
  record.options = options;
  const bool is_root = comm.rank() == 0;

  // Setup: build the job from its options, find this rank's slice, prepare it.
  TraceRecorder* const trace = options.trace;
  const double trace_barrier = trace != nullptr ? trace->now_us() : 0.0;
  comm.barrier();
  const double t_begin = MPI_Wtime();
  const double trace_setup = trace != nullptr ? trace->now_us() : 0.0;
  if (trace != nullptr) trace->span(0, "barrier", "wait", trace_barrier, trace_setup);
  std::unique_ptr<Job> job;
  BlockSet blocks;
  std::exception_ptr failure;
  try {
    if (options.threads < 1) throw UsageError("--threads must be at least 1");
    job = info.make(vm, JobContext{comm.size(), options.threads});
    record.plan = job->plan();
    if (record.plan.block_items < 1 || record.plan.passes < 1) {
      throw RuntimeError("job '" + record.job + "' has an invalid work plan");
    }
    if (options.distribution == Distribution::cyclic && record.plan.contiguous_slices) {
      throw UsageError("job '" + record.job +
                       "' needs one contiguous slice per rank: use --distribution block");
    }
    blocks = owned_blocks(record.plan.blocks(), comm.size(), comm.rank(), options.distribution);
    const std::uint64_t first_item = record.plan.block(blocks.first).begin;
    const Slice items{first_item, blocks.count == 0
                                      ? first_item
                                      : record.plan.block(blocks[blocks.count - 1]).end};
    job->prepare(items);
  } catch (...) {
    failure = std::current_exception();
  }
  agree(comm, failure);
  record.placements = gather_placements(comm, options.threads);
  const double t_setup = MPI_Wtime();
  if (trace != nullptr) {
    trace->span(0, "setup", "setup", trace_setup, trace->now_us(),
                {{"job", record.job}, {"blocks", blocks.count}});
  }

  // Compute: threads over this rank's blocks (agreeing on failures and stops per pass).
  LocalResults local = compute_slice(comm, *job, record.plan, blocks, options);
  const double compute_seconds =
      std::accumulate(local.pass_seconds.begin(), local.pass_seconds.end(), 0.0);

  // Gather: move every kind of result to rank 0.
  const double t_gather = MPI_Wtime();
  const double trace_gather = trace != nullptr ? trace->now_us() : 0.0;
  record.complete = local.stopped == 0;
  boost::mpi::reduce(comm, local.items_done, record.items_done, std::plus<std::uint64_t>(), 0);
  std::vector<double> pass_seconds = local.pass_seconds;
  pass_seconds.resize(static_cast<std::size_t>(record.plan.passes), 0.0);
  record.pass_seconds.resize(pass_seconds.size());
  boost::mpi::reduce(comm, pass_seconds.data(), static_cast<int>(pass_seconds.size()),
                     record.pass_seconds.data(), boost::mpi::maximum<double>(), 0);
  Gathered gathered;
  if (record.complete) {
    gathered.blocks = record.plan.blocks();
    const BlockOrder order(gathered.blocks, comm.size(), options.distribution);
    gathered.reals =
        order.restore(gather_values<double>(comm, local.reals), record.plan.real_partials);
    gathered.counts =
        order.restore(gather_values<std::uint64_t>(comm, local.counts), record.plan.count_partials);
    if (record.plan.ordered_output) {
      std::vector<std::uint64_t> sizes;
      for (const auto& b : local.bytes) sizes.push_back(b.size());
      gathered.ordered = gather_pieces(comm, local.bytes);
      std::vector<std::string>().swap(local.bytes);
      if (options.distribution == Distribution::cyclic) {
        const auto all_sizes = gather_values<std::uint64_t>(comm, sizes);
        if (is_root) gathered.ordered = order.restore_bytes(gathered.ordered, all_sizes);
      }
    }
    if (record.plan.thread_state) {
      std::vector<ThreadState*> states;
      for (auto& s : local.states) states.push_back(s.get());
      const std::string mine = job->serialize(states);
      std::vector<std::uint64_t> sizes;
      boost::mpi::gather(comm, static_cast<std::uint64_t>(mine.size()), sizes, 0);
      const std::string all = gather_bytes(comm, mine);
      std::uint64_t offset = 0;
      for (const auto size : sizes) {
        gathered.rank_states.push_back(all.substr(offset, size));
        offset += size;
      }
    }
    gathered.pass_seconds = record.pass_seconds;
  }
  const double gather_seconds = MPI_Wtime() - t_gather;
  if (trace != nullptr) trace->span(0, "gather", "gather", trace_gather, trace->now_us());

  // Finish on rank 0 (the job's own verification); its failure ends every rank.
  if (is_root && record.complete) {
    const double trace_finish = trace != nullptr ? trace->now_us() : 0.0;
    try {
      record.result = job->finish(gathered);
      record.ordered = std::move(gathered.ordered);
    } catch (...) {
      failure = std::current_exception();
    }
    if (trace != nullptr)
      trace->span(0, "verify (finish)", "verify", trace_finish, trace->now_us());
  }
  const double trace_agree = trace != nullptr ? trace->now_us() : 0.0;
  agree(comm, failure);

  record.setup = phase_stats(comm, t_setup - t_begin);
  record.compute = phase_stats(comm, compute_seconds);
  record.gather = phase_stats(comm, gather_seconds);
  record.total = phase_stats(comm, MPI_Wtime() - t_begin);
  record.imbalance = record.compute.avg > 0 ? record.compute.max / record.compute.avg - 1.0 : 0.0;
  if (trace != nullptr) trace->span(0, "agree", "wait", trace_agree, trace->now_us());
  return record;
}

}  // namespace hpar
