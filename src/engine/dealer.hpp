#pragma once
// Engine-internal: who computes which block. Static distributions give each rank its blocks
// before the run; the dynamic one deals chunks at run time from a shared counter.

#include <mpi.h>

#include <boost/mpi/communicator.hpp>
#include <cstdint>
#include <memory>
#include <optional>

#include "hpar/core/job.hpp"
#include "hpar/core/partition.hpp"
#include "hpar/engine/observer.hpp"

namespace hpar {

/// Hands one rank its blocks, a chunk at a time. Main thread only (MPI is funneled).
class BlockDealer {
 public:
  virtual ~BlockDealer() = default;
  /// The next chunk of blocks of pass `pass` for this rank, ascending; nullopt when the pass has
  /// no more for it.
  [[nodiscard]] virtual std::optional<BlockSet> next(int pass) = 0;
  /// Blocks this rank computes per pass when known before the run (static), else 0.
  [[nodiscard]] virtual std::uint64_t expected() const noexcept = 0;
  /// How far pass `pass` has come, given the blocks this rank finished in it.
  [[nodiscard]] virtual Progress progress(int pass, std::uint64_t done) const noexcept = 0;
  /// The items this rank may touch, for Job::prepare: its slice (static) or all items.
  [[nodiscard]] virtual Slice items() const noexcept = 0;
};

/// The dealer for `distribution` on `comm`. Collective (the dynamic dealer creates an MPI
/// window on rank 0). Throws UsageError when the plan forbids the distribution.
[[nodiscard]] std::unique_ptr<BlockDealer> make_dealer(const boost::mpi::communicator& comm,
                                                       const WorkPlan& plan,
                                                       Distribution distribution, int threads);

}  // namespace hpar
