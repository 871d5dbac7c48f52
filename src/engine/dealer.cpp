#include "dealer.hpp"

#include <algorithm>

#include "hpar/core/errors.hpp"

namespace hpar {
namespace {

/// Block or cyclic: the rank's blocks are fixed before the run; one chunk per pass.
class StaticDealer final : public BlockDealer {
 public:
  StaticDealer(const WorkPlan& plan, BlockSet set) : set_(set), passes_(plan.passes) {
    const std::uint64_t first = plan.block(set.first).begin;
    items_ = {first, set.count == 0 ? first : plan.block(set[set.count - 1]).end};
  }
  std::optional<BlockSet> next(int pass) override {
    if (pass == dealt_pass_) return std::nullopt;  // once per pass, empty or not
    dealt_pass_ = pass;
    return set_;
  }
  std::uint64_t expected() const noexcept override { return set_.count; }
  Progress progress(int pass, std::uint64_t done) const noexcept override {
    return {done, set_.count, pass, passes_, false};
  }
  Slice items() const noexcept override { return items_; }

 private:
  BlockSet set_;
  int passes_;
  Slice items_;
  int dealt_pass_ = -1;
};

/// Dynamic: ranks take chunks of consecutive blocks from a counter per pass in an MPI window on
/// rank 0 (MPI-3 passive target: MPI_Fetch_and_op, no rank serves the others, rank 0 computes
/// too). Chunks shrink towards the end as in OpenMP's guided schedule: about a half of the
/// remaining blocks divided by the ranks, never fewer than the rank's threads (so every thread
/// gets work) nor more than `max_chunk`.
class DynamicDealer final : public BlockDealer {
 public:
  DynamicDealer(const boost::mpi::communicator& comm, const WorkPlan& plan, int threads)
      : blocks_(plan.blocks()),
        items_{0, plan.items},
        ranks_(static_cast<std::uint64_t>(comm.size())),
        passes_(plan.passes),
        min_chunk_(static_cast<std::uint64_t>(std::max(threads, 1))) {
    const auto passes = static_cast<std::size_t>(plan.passes);
    const MPI_Aint bytes =
        comm.rank() == 0 ? static_cast<MPI_Aint>(passes * sizeof(std::uint64_t)) : 0;
    std::uint64_t* base = nullptr;
    check_mpi(MPI_Win_allocate(bytes, sizeof(std::uint64_t), MPI_INFO_NULL, MPI_Comm(comm), &base,
                               &window_),
              "MPI_Win_allocate");
    if (comm.rank() == 0) std::fill_n(base, passes, std::uint64_t{0});
    check_mpi(MPI_Barrier(MPI_Comm(comm)), "MPI_Barrier");  // counters zeroed before any fetch
    check_mpi(MPI_Win_lock_all(MPI_MODE_NOCHECK, window_), "MPI_Win_lock_all");
  }
  DynamicDealer(const DynamicDealer&) = delete;
  DynamicDealer& operator=(const DynamicDealer&) = delete;
  ~DynamicDealer() override {
    // Collective: every rank destroys its dealer at the same point (errors are agreed first).
    MPI_Win_unlock_all(window_);
    MPI_Win_free(&window_);
  }

  std::optional<BlockSet> next(int pass) override {
    if (pass != pass_) {
      pass_ = pass;
      seen_ = 0;
    }
    if (seen_ >= blocks_) return std::nullopt;
    const std::uint64_t left = blocks_ - seen_;
    const std::uint64_t chunk =
        std::clamp<std::uint64_t>(left / (2 * ranks_), min_chunk_, std::max(min_chunk_, max_chunk));
    std::uint64_t first = 0;
    check_mpi(MPI_Fetch_and_op(&chunk, &first, MPI_UINT64_T, 0, static_cast<MPI_Aint>(pass),
                               MPI_SUM, window_),
              "MPI_Fetch_and_op");
    check_mpi(MPI_Win_flush(0, window_), "MPI_Win_flush");
    seen_ = first + chunk;
    if (first >= blocks_) return std::nullopt;
    return BlockSet{first, std::min(chunk, blocks_ - first), 1};
  }
  std::uint64_t expected() const noexcept override { return 0; }
  Progress progress(int pass, std::uint64_t /*done*/) const noexcept override {
    return {std::min(seen_, blocks_), blocks_, pass, passes_, true};
  }
  Slice items() const noexcept override { return items_; }

 private:
  static constexpr std::uint64_t max_chunk = 1024;
  MPI_Win window_ = MPI_WIN_NULL;
  std::uint64_t blocks_;
  Slice items_;
  std::uint64_t ranks_;
  int passes_;
  std::uint64_t min_chunk_;
  std::uint64_t seen_ = 0;  ///< the counter as this rank last saw it
  int pass_ = -1;
};

}  // namespace

std::unique_ptr<BlockDealer> make_dealer(const boost::mpi::communicator& comm, const WorkPlan& plan,
                                         Distribution distribution, int threads) {
  if (distribution == Distribution::dynamic) {
    return std::make_unique<DynamicDealer>(comm, plan, threads);
  }
  return std::make_unique<StaticDealer>(
      plan, owned_blocks(plan.blocks(), comm.size(), comm.rank(), distribution));
}

}  // namespace hpar
