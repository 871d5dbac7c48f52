// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Engine-internal: who computes which block. Static distributions give each rank its blocks
// before the run; the dynamic one deals chunks at run time from a shared counter.

#include <mpi.h>

#include <boost/mpi/communicator.hpp>
#include <cstdint>
#include <functional>
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
  /// no more for it. A dealer that must wait for another rank calls `give_up` now and then and
  /// returns nullopt when it says so (the pass is abandoned: a failure or a stop).
  [[nodiscard]] virtual std::optional<BlockSet> next(int pass,
                                                     const std::function<bool()>& give_up) = 0;
  /// Blocks this rank computes per pass when known before the run (static), else 0.
  [[nodiscard]] virtual std::uint64_t expected() const noexcept = 0;
  /// How far pass `pass` has come, given the blocks this rank finished in it.
  [[nodiscard]] virtual Progress progress(int pass, std::uint64_t done) const noexcept = 0;
  /// Main thread, between blocks: answers other ranks' requests for work, if this rank deals
  /// them (rank 0 of the message-passing dealer). Never waits.
  virtual void serve() {}
  /// Collective, after each pass (also a pass cut short): no request or chunk is left in flight.
  virtual void settle() {}
  /// WorkPlan::batches: at most `blocks` per deal from now on (the dynamic distributions; on
  /// rank 0 of the message-passing one, for every rank's deals).
  virtual void cap_deals(std::uint64_t /*blocks*/) {}
  /// The items this rank may touch, for Job::prepare: its slice (static) or all items.
  [[nodiscard]] virtual Slice items() const noexcept = 0;
};

/// The dealer for `distribution` on `comm`. Collective. The dynamic distribution uses an MPI-3
/// window on rank 0 (MPI_Fetch_and_op) when every rank is on rank 0's host, where one-sided
/// atomics run in shared memory; across hosts it deals by messages to and from rank 0 (Open
/// MPI's TCP transport has no one-sided support).
[[nodiscard]] std::unique_ptr<BlockDealer> make_dealer(const boost::mpi::communicator& comm,
                                                       const WorkPlan& plan,
                                                       Distribution distribution, int threads);

}  // namespace hpar
