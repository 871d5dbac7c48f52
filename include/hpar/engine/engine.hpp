#pragma once
/// The engine: partition, threads, gather, timing and error agreement for any job.
///
/// A run is a plain function of (communicator, job, options): the engine never touches
/// MPI_COMM_WORLD, so a scaling sweep can run the same job on sub-communicators.

#include <boost/mpi/communicator.hpp>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "hpar/core/job.hpp"
#include "hpar/platform/host.hpp"
#include "hpar/platform/layout.hpp"

namespace boost::program_options {
class variables_map;
}

namespace hpar {

class TraceRecorder;
class ProgressMeter;

/// How each rank runs its slice.
struct RunOptions {
  int threads = 1;                                  ///< OpenMP threads per rank (>= 1)
  Schedule schedule;                                ///< how blocks are handed to threads
  Distribution distribution = Distribution::block;  ///< how blocks are dealt to ranks
  /// Records this rank's events when set (trace.hpp); not owned; nullptr = no tracing, no cost.
  TraceRecorder* trace = nullptr;
  /// Counts this rank's finished blocks and prints progress from the main thread when set
  /// (progress.hpp); not owned; `run` sets it on rank 0 only.
  ProgressMeter* progress = nullptr;
};

/// min/avg/max over ranks of one phase, in seconds.
struct PhaseStats {
  double min = 0.0;
  double avg = 0.0;
  double max = 0.0;
};

/// Everything one run produced. Complete on rank 0; other ranks hold their own timings only.
struct RunRecord {
  std::string job;
  WorkPlan plan;
  int ranks = 1;
  RunOptions options;
  std::vector<RankPlacement> placements;  ///< one per rank, rank order
  PhaseStats setup, compute, gather, total;
  double imbalance = 0.0;            ///< compute max/avg - 1
  std::vector<double> pass_seconds;  ///< per pass, slowest rank
  JobResult result;                  ///< from Job::finish (empty when incomplete)
  std::string ordered;               ///< ordered output bytes, item order
  bool complete = true;              ///< false when stopped early by a signal
  std::uint64_t items_done = 0;      ///< items whose blocks finished every pass
};

/// Runs `info`'s job with options `vm` on `comm`. Collective; every rank returns or every rank
/// throws the same hpar::Error (agreed before each collective), never a hang.
[[nodiscard]] RunRecord run_job(const boost::mpi::communicator& comm, const JobInfo& info,
                                const boost::program_options::variables_map& vm,
                                const RunOptions& options);

/// Agreement before a collective: if any rank holds an exception, every rank throws the same
/// hpar::Error (the failing rank's code and message, naming the rank and host when it is not
/// an input error seen by rank 0). Collective; returns normally when no rank failed.
void agree(const boost::mpi::communicator& comm, const std::exception_ptr& local);

/// Installs SIGTERM/SIGINT handlers that ask running jobs to stop after their current block.
void install_stop_handlers();
/// True once SIGTERM or SIGINT arrived (or request_stop was called).
[[nodiscard]] bool stop_requested() noexcept;
/// Asks running jobs to stop after their current block (async-signal-safe).
void request_stop() noexcept;
/// Forgets an earlier stop request (tests that simulate a signal).
void clear_stop_request() noexcept;

}  // namespace hpar
