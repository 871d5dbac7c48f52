#pragma once
// Engine-internal: the ordered output of a run (blocks' bytes, joined in block order on rank 0).

#include <boost/mpi/communicator.hpp>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "hpar/core/job.hpp"

namespace hpar {

/// Collects the bytes of this rank's finished blocks and joins every rank's in block order on
/// rank 0. put() is thread-safe; the rest is for the main thread.
class OrderedOutput {
 public:
  /// Keeps block `block`'s bytes (any thread).
  void put(std::uint64_t block, std::string&& bytes);
  /// Collective: every rank's blocks, joined in block order, on rank 0 ("" elsewhere).
  [[nodiscard]] std::string join(const boost::mpi::communicator& comm, const WorkPlan& plan);

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::uint64_t, std::string>> blocks_;
};

}  // namespace hpar
