// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The job interface: what to compute on work items. Jobs never call MPI.
///
/// A job describes its work as `items` grouped into fixed-size `blocks` (the size depends on
/// the job's options only, never on the layout). The engine gives each rank a contiguous
/// slice of blocks, walks it with OpenMP threads and calls `compute` once per block per pass.
/// A block hands back any of three kinds of result:
///   - reals/counts: fixed-size partials, gathered to rank 0 in block order so that folding
///     them gives the same bits on every layout;
///   - bytes: ordered output, concatenated on rank 0 in global item order;
///   - thread state: a mergeable partial (e.g. word counts) serialised per rank and handed to
///     `finish` on rank 0 in rank order.
/// `finish` runs on rank 0 only and turns what was gathered into result lines and a verdict.

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hpar/core/partition.hpp"

namespace boost::program_options {
class options_description;
class variables_map;
}  // namespace boost::program_options

namespace hpar {

/// How a job's work is shaped. Fixed by the job's options; never by the layout.
struct WorkPlan {
  std::uint64_t items = 0;         ///< work items, numbered 0 .. items-1
  std::uint64_t block_items = 1;   ///< items per block (the last block may be shorter); >= 1
  int passes = 1;                  ///< times the engine walks all blocks, each pass timed
  std::size_t real_partials = 0;   ///< doubles each block returns (folded in block order)
  std::size_t count_partials = 0;  ///< 64-bit counters each block returns
  /// Each block (of the last pass) may write a record of the job's own bytes (BlockOutput::record,
  /// e.g. where and when a farm task ran): carried to rank 0 (Gathered::records, in block order)
  /// and kept in a checkpoint beside the block's partials. For what no fixed set of counters holds.
  bool block_records = false;
  bool ordered_output = false;  ///< blocks append bytes, joined in item order on rank 0
  /// The ordered bytes are for finish() (Gathered::ordered, e.g. an image's pixels), not for
  /// standard output or --output.
  bool ordered_to_finish = false;
  /// The blocks' bytes go out whole as they finish, not in item order (a farm's --unordered):
  /// rank 0 emits each block as it arrives, blocks restored from a checkpoint first.
  bool output_as_finished = false;
  /// The ordered output's exact size in bytes, where the job knows it before the run (the engine
  /// then refuses an --output whose file system has no room for it); nullopt when unknown.
  std::optional<std::uint64_t> ordered_size = std::nullopt;
  bool thread_state = false;  ///< threads keep a mergeable state (see Job::serialize)
  /// The thread state is only a cache (e.g. a sieve's buffers): it holds no results, nothing is
  /// merged, and every block's results stand alone (so the job can be checkpointed).
  bool scratch_state = false;
  /// At most this many blocks per thread of a rank in one deal of the dynamic distribution
  /// (0: guided chunks that shrink towards the end). A farm deals one task per free slot.
  std::uint64_t deal_per_thread = 0;
  /// With deal_per_thread: each slot takes Job::batch(slot) blocks of its rank at a time (told
  /// by Job::batch_begins), also with one thread per rank, and the dynamic distribution deals
  /// at most the largest batch per deal (a farm's --worker sends a batch's inputs at once).
  bool batches = false;
  std::string item_unit = "items";  ///< what an item is, for throughput ("inputs", "samples")
  /// The job needs one contiguous slice per rank (prepare's items are all its items), so it
  /// refuses `--distribution cyclic`.
  bool contiguous_slices = false;
  /// Memory the job allocates for data whose size comes from its options or input, declared so
  /// that the engine can refuse a run that does not fit before any of it is spent
  /// (hpar/platform/memory.hpp). Bytes; an estimate that must not fall short.
  std::uint64_t memory_per_rank = 0;  ///< on every rank, whatever its slice (threads included)
  std::uint64_t memory_per_item = 0;  ///< on a rank, per item of its slice (allocated in prepare)
  std::uint64_t memory_on_root = 0;   ///< on rank 0 besides: what finish() builds or holds

  /// Number of blocks, ceil(items / block_items).
  [[nodiscard]] std::uint64_t blocks() const noexcept {
    return items / block_items + (items % block_items != 0 ? 1 : 0);
  }
  /// The items of block b.
  [[nodiscard]] Slice block(std::uint64_t b) const noexcept {
    const std::uint64_t begin = b * block_items;
    return {begin, begin + block_items < items ? begin + block_items : items};
  }
};

/// One block handed to a job: its index, its items and which pass this is.
struct Block {
  std::uint64_t index = 0;
  Slice items;
  int pass = 0;
  /// The slot that computes it: its rank's thread, 0 .. threads per rank - 1 (a farm's task
  /// slot, or a job's per-thread buffer). Never part of a result: the layout decides it.
  int slot = 0;
};

/// Per-thread mergeable state of a job (only when WorkPlan::thread_state).
class ThreadState {
 public:
  virtual ~ThreadState() = default;
};

/// Where a block writes its results. The engine owns the storage; spans are zeroed.
struct BlockOutput {
  std::span<double> reals;          ///< WorkPlan::real_partials values (only on the last pass)
  std::span<std::uint64_t> counts;  ///< WorkPlan::count_partials values (only on the last pass)
  std::string* bytes = nullptr;     ///< ordered output for this block (only on the last pass)
  /// The job's own record of this block (WorkPlan::block_records; only on the last pass): up to
  /// max_block_record bytes, never part of the ordered output.
  std::string* record = nullptr;
  ThreadState* state = nullptr;  ///< this thread's state, if the job asked for one
};

/// What rank 0 holds after the gather, in global order.
struct Gathered {
  std::uint64_t blocks = 0;
  std::vector<double> reals;             ///< blocks x real_partials, block-major
  std::vector<std::uint64_t> counts;     ///< blocks x count_partials, block-major
  std::vector<std::string> records;      ///< per block its record (WorkPlan::block_records)
  std::string ordered;                   ///< all blocks' bytes in item order (ordered_to_finish)
  std::vector<std::string> rank_states;  ///< Job::serialize of each rank, rank order
  std::vector<double> pass_seconds;      ///< per pass: slowest rank's time for the pass
};

/// The largest record a block may write (BlockOutput::record): records are metadata that rank 0
/// holds for every block, not a second output.
inline constexpr std::size_t max_block_record = std::size_t{64} * 1024;

/// Outcome of a job's own check of its answer.
struct Verification {
  enum class Status { none, pass, fail };
  Status status = Status::none;
  std::string detail;  ///< what was compared with what
};

/// A rate in the job's own unit, e.g. {1.2e9, "samples/s"}.
struct Throughput {
  double value = 0.0;
  std::string unit;
};

/// What a job reports on rank 0.
struct JobResult {
  std::vector<std::string> lines;  ///< printed first on stdout (e.g. "result: 3.14...")
  Verification verification;
  std::optional<Throughput> throughput;  ///< default: items per second of compute
  std::vector<std::pair<std::string, std::string>> metrics;  ///< extra report entries
};

/// Thrown by Job::compute when a stop request (hpar/core/stop.hpp) cut its block short, e.g. a
/// child process it waited for was ended, or when a drain (request_drain) skips it: the block
/// does not count as done (a checkpoint does not record it, a resumed run computes it again),
/// the run ends incomplete and is not a failure.
class BlockStopped : public std::exception {
 public:
  [[nodiscard]] const char* what() const noexcept override { return "block stopped"; }
};

/// A computation over work items. Construction parses and checks the job's options
/// (throwing UsageError); every other member may throw and the engine agrees on it.
class Job {
 public:
  virtual ~Job() = default;
  /// The shape of the work. Same on every rank.
  [[nodiscard]] virtual WorkPlan plan() const = 0;
  /// Rank-local set-up for the items this rank owns (allocate, open files); with
  /// `--distribution cyclic` `items` spans from its first to its last block. No first touch:
  /// pass 0 of `compute` runs on the threads that will use the memory.
  virtual void prepare(Slice /*items*/) {}
  /// A fresh state for one thread (only called when WorkPlan::thread_state).
  [[nodiscard]] virtual std::unique_ptr<ThreadState> make_thread_state() const { return nullptr; }
  /// Computes one block. Called concurrently for different blocks: must be thread-safe.
  virtual void compute(const Block& block, BlockOutput& out) = 0;
  /// WorkPlan::batches: how many blocks slot `slot` takes at a time now (at least 1). Any
  /// thread may ask for any slot.
  [[nodiscard]] virtual std::uint64_t batch(int /*slot*/) const { return 1; }
  /// WorkPlan::batches: the blocks slot `slot` computes next, in this order, each in its own
  /// compute call on that slot's thread (unless the pass is abandoned first). Called on that
  /// thread before the first of them.
  virtual void batch_begins(int /*slot*/, std::span<const std::uint64_t> /*blocks*/) {}
  /// Merges this rank's thread states (in thread order) into bytes for rank 0.
  [[nodiscard]] virtual std::string serialize(std::span<ThreadState* const> /*states*/) const {
    return {};
  }
  /// Rank 0 only: turns the gathered results into result lines and a verdict.
  virtual JobResult finish(Gathered& gathered) = 0;
};

/// What a job may know of the layout it runs on. Only options that ask for it explicitly
/// (e.g. triad's --per-rank, weak scaling) may let it change the work; results must not
/// depend on it otherwise.
struct JobContext {
  int ranks = 1;             ///< ranks in the communicator the job runs on
  int threads_per_rank = 1;  ///< OpenMP threads per rank
  int rank = 0;              ///< this rank (what a job may show, e.g. to a child process)
  /// This rank among the ranks on its node (MPI_COMM_TYPE_SHARED), and how many there are:
  /// e.g. to share the node's CPUs among them.
  int node_rank = 0;
  int node_ranks = 1;
  /// The CPUs this rank's child processes may share, ascending: the rank's own mask, or, when
  /// it overlaps another rank's of its node (no binding), a contiguous share of their union.
  std::vector<int> cpus = {};
  bool cpus_shared = false;  ///< `cpus` is a share of overlapping masks
  /// When the allocation the run is in ends (seconds since the epoch, rank 0's reading, the
  /// same on every rank): a Slurm job's end; 0 when unknown or unlimited, or when the job does
  /// not ask for it (JobInfo::reads_allocation_end).
  double allocation_end = 0.0;
};

/// How one of a job's options counts in the identity a resumed checkpoint must match: by a
/// value that changes a block's results, compared as parsed; or not at all.
enum class IdentityRule {
  text,        ///< the text as given (options not listed)
  count,       ///< a whole number, as parse_count: "3e7" and "30000000" are one value
  integer,     ///< as parse_int
  real,        ///< as parse_real, compared by value
  size,        ///< as parse_size: "1Ki" and "1024" are one value
  integers,    ///< integers separated by ',' or ':' (a list, FIRST:LAST:STRIDE), each by value
  input_file,  ///< the path of an input file: its content counts (a hash), not its path
  ignored,     ///< changes no block's results (a timeout, a log file): left out
};

/// A job as the registry lists it. The functions may hold state (a user's lambdas, the
/// options they declared): a JobInfo is copied freely and called from any rank.
struct JobInfo {
  std::string name;
  std::string summary;  ///< one line for `hpar list`
  /// Adds the job's options (with defaults) to a description.
  std::function<void(boost::program_options::options_description&)> add_options;
  /// Builds the job from parsed options; throws UsageError on bad values or input.
  std::function<std::unique_ptr<Job>(const boost::program_options::variables_map&,
                                     const JobContext&)>
      make;
  /// The option that sets the problem size (weak scaling multiplies it); "" if none.
  std::string size_option = {};
  /// What else a user should know, printed under the options by `hpar help JOB` (e.g. what the
  /// job cannot do: --checkpoint, a distribution); "" if nothing.
  std::string notes = {};
  /// The name of the job option (a std::vector<std::string>) that receives the words after
  /// "--" on the command line, e.g. the farm's command; "" when the job takes none.
  std::string trailing_words = {};
  /// The --distribution and --schedule the job runs with when they are not given; "" for
  /// hpar's own defaults (block, static).
  std::string default_distribution = {};
  std::string default_schedule = {};
  /// How the job's options count in a checkpoint's identity (what a resumed run must match):
  /// {option name without "--", rule}. An option not listed counts by its text as given.
  std::vector<std::pair<std::string, IdentityRule>> identity_rules = {};
  /// True when a finished block with these count partials failed in the job's own sense (the
  /// farm: a task whose last attempt did not succeed, or that --halt left unrun): `hpar run
  /// --resume-failed` computes it again, `hpar farm-status` counts it. None: no block fails.
  bool (*block_failed)(std::span<const std::uint64_t> counts) = nullptr;
  /// True when the job reads JobContext::allocation_end (the farm's drain): only then does the
  /// engine ask the batch system (one squeue on rank 0, in the run's setup); else it stays 0.
  bool reads_allocation_end = false;
};

/// A program's jobs: names unique, each job complete. What `cli_main` runs jobs from.
class Registry {
 public:
  Registry() = default;
  /// Takes the jobs in the order `list` shows them. Throws UsageError when a name is empty,
  /// holds a space or a '-' first, or is taken twice (a program must not hold two jobs of one
  /// name), or when a job lacks add_options or make.
  explicit Registry(std::vector<JobInfo> jobs);
  /// The jobs, in the order given.
  [[nodiscard]] std::span<const JobInfo> jobs() const noexcept { return jobs_; }
  /// The job with this name, or nullptr.
  [[nodiscard]] const JobInfo* find(std::string_view name) const noexcept;

 private:
  std::vector<JobInfo> jobs_;
};

/// Makes `registry` the program's job list (what job_registry and find_job see) while this
/// object lives; the list before it is the program's again afterwards. `registry` must outlive
/// it. Not thread-safe: make one before any run starts (cli_main holds one for its whole call).
class RegistryScope {
 public:
  explicit RegistryScope(const Registry& registry) noexcept;
  ~RegistryScope();
  RegistryScope(const RegistryScope&) = delete;
  RegistryScope& operator=(const RegistryScope&) = delete;

 private:
  const Registry* previous_;
};

/// The jobs of the running program, in the order `hpar list` shows them: the registry of the
/// innermost live RegistryScope, empty when there is none.
[[nodiscard]] std::span<const JobInfo> job_registry();

/// The job of the running program with this name, or nullptr.
[[nodiscard]] const JobInfo* find_job(std::string_view name);

}  // namespace hpar
