// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Engine-internal: the compute phase. Walks this rank's blocks with OpenMP threads, pass after
// pass, chunk by chunk as the dealer hands them out.

#include <boost/mpi/communicator.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "checkpoint.hpp"
#include "dealer.hpp"
#include "hpar/core/job.hpp"
#include "hpar/engine/block_results.hpp"
#include "hpar/engine/engine.hpp"
#include "ordered_output.hpp"

namespace hpar {

/// What one rank's compute phase produced.
struct WalkResults {
  PartialLog partials;  ///< this rank's blocks of the last pass, in no particular order
  std::vector<std::unique_ptr<ThreadState>> states;  ///< one per thread (thread_state jobs)
  std::vector<double> pass_seconds;                  ///< this rank's time for each pass run
  std::uint64_t items_done = 0;     ///< items whose blocks finished their last pass
  std::uint64_t blocks_done = 0;    ///< blocks this rank computed in its last pass
  std::uint64_t blocks_failed = 0;  ///< of those, the blocks the job says failed
  bool stopped = false;             ///< some rank stopped early (agreed on every rank)
};

/// What one rank's compute phase works with (not owned).
struct WalkSetup {
  Job& job;
  const WorkPlan& plan;
  BlockDealer& dealer;
  const RunOptions& options;
  const Observers& observers;
  OrderedStream* ordered = nullptr;        ///< where blocks' ordered bytes go, if any
  const Checkpoint* checkpoint = nullptr;  ///< blocks it restored are skipped
  /// The job's test of a failed block (JobInfo::block_failed; none: no block fails).
  bool (*block_failed)(std::span<const std::uint64_t> counts) = nullptr;
};

/// Runs every pass of `job` over the blocks `dealer` hands this rank (skipping the blocks a
/// checkpoint restored). No exception leaves a
/// parallel region: the first one is kept, the other threads skip their remaining blocks, the
/// other ranks are told at once, and every rank throws it after the pass (agree). A stop
/// request ends the walk after the current blocks; the agreed `stopped` says so. The blocks'
/// ordered bytes go to `ordered` (when the plan has them). Collective.
[[nodiscard]] WalkResults walk_blocks(const boost::mpi::communicator& comm, const WalkSetup& setup);

}  // namespace hpar
