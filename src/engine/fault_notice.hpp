// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Engine-internal: tells the other ranks, mid-pass, that this rank failed or was stopped.

#include <mpi.h>

#include <boost/mpi/communicator.hpp>
#include <functional>
#include <vector>

namespace hpar {

/// Tells the other ranks, mid-pass, that this rank failed or was stopped, so that no rank
/// computes on for long before the agreement that follows the pass. Only the main thread
/// calls it (MPI is funneled). Notices travel on a private duplicate of the communicator and
/// are all received in settle(), so none is left over for a later run.
class FaultNotice {
 public:
  explicit FaultNotice(const boost::mpi::communicator& comm);

  /// True when another rank has sent a notice (non-blocking probe).
  [[nodiscard]] bool heard() const;
  /// Sends a notice to every other rank (once).
  void tell_all();
  /// Collective, non-blocking inside: waits until every rank has called it, running
  /// `meanwhile` (which may tell_all) every 100 us, so that a rank done with its share still
  /// hears its own signals and passes them on while the others compute.
  void wait_for_all(const std::function<void()>& meanwhile);
  /// Collective: completes the sends and receives every notice addressed to this rank.
  /// Returns whether some rank sent one.
  bool settle();

 private:
  static constexpr int tag = 7302;
  boost::mpi::communicator comm_;
  std::vector<MPI_Request> requests_;
  int payload_ = 1;
  bool told_ = false;
};

}  // namespace hpar
