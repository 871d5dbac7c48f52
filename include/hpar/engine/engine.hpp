// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The engine: partition, threads, gather, timing and error agreement for any job.
///
/// A run is a plain function of (communicator, job, options): the engine never touches
/// MPI_COMM_WORLD, so a scaling sweep can run the same job on sub-communicators.

#include <boost/mpi/communicator.hpp>
#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "hpar/comm/agreement.hpp"
#include "hpar/core/job.hpp"
#include "hpar/engine/observer.hpp"
#include "hpar/engine/run_record.hpp"
#include "hpar/engine/signals.hpp"
#include "hpar/platform/host.hpp"
#include "hpar/platform/layout.hpp"

namespace boost::program_options {
class variables_map;
}

namespace hpar {

/// What a checkpoint directory holds, read without MPI (`hpar farm-status DIR`).
struct CheckpointSummary {
  std::string job;
  std::uint64_t attempts = 0;  ///< runs that wrote into it (the first and its resumes)
  bool complete = false;       ///< a run finished every block
  std::uint64_t blocks = 0;    ///< blocks of the plan (the farm: tasks)
  std::uint64_t done = 0;      ///< blocks with a valid record
  std::uint64_t failed = 0;    ///< of those, failed by `failed` (JobInfo::block_failed)
};

/// Reads the checkpoint in `dir`: its manifest and every valid record (the latest attempt's
/// record of a block counts). Throws UsageError when `dir` is not a checkpoint.
[[nodiscard]] CheckpointSummary summarize_checkpoint(
    const std::string& dir, bool (*failed)(std::span<const std::uint64_t>));

/// Runs `info`'s job with options `vm` on `comm`. Collective; every rank returns or every rank
/// throws the same hpar::Error (agreed before each collective), never a hang.
[[nodiscard]] RunRecord run_job(const boost::mpi::communicator& comm, const JobInfo& info,
                                const boost::program_options::variables_map& vm,
                                const RunOptions& options);

}  // namespace hpar
