// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// What a run takes (RunOptions) and what it gives back (RunRecord), with the small structs
/// only they hold. No MPI here: a report or a study reads a record without the engine's calls
/// (run_job, in hpar/engine/engine.hpp, which includes this header).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hpar/core/job.hpp"
#include "hpar/core/partition.hpp"
#include "hpar/engine/observer.hpp"
#include "hpar/platform/layout.hpp"

namespace hpar {

/// Where a run's ordered output goes. Every rank passes the same.
struct OrderedDestination {
  enum class Kind {
    memory,           ///< RunRecord::ordered on rank 0 (and Gathered::ordered for the job)
    standard_output,  ///< streamed by rank 0 in block order as blocks finish
    file,             ///< `path`, atomically: by every rank in parallel (MPI-IO) when every
                      ///< rank sees the file's directory, else streamed by rank 0
  };
  Kind kind = Kind::memory;
  std::string path;  ///< for Kind::file
  /// Ordered bytes a rank keeps in memory while they wait for their turn; past it they spill to
  /// a temporary file (in the output's directory, else $TMPDIR).
  std::uint64_t buffer_bytes = std::uint64_t{64} << 20;
  /// Largest message a block's bytes travel to rank 0 in (MPI counts are int): a larger
  /// block goes in pieces, so a block may hold any number of bytes.
  std::uint64_t message_bytes = std::uint64_t{256} << 20;
};

/// What the ordered output took.
struct OrderedStats {
  std::uint64_t bytes = 0;      ///< bytes of ordered output
  bool parallel = false;        ///< written by every rank with MPI-IO
  std::uint64_t root_peak = 0;  ///< most bytes rank 0 held waiting (in memory)
  std::uint64_t spilled = 0;    ///< bytes that went to spill files, all ranks
};

/// Checkpoints of a run (--checkpoint DIR, --resume).
struct CheckpointOptions {
  std::string dir;      ///< where records go; empty = no checkpoint
  bool resume = false;  ///< continue the checkpoint in `dir`, skipping the blocks it holds
  /// With `resume`: compute again the blocks the job counts as failed (Job::failed).
  bool resume_failed = false;
  /// What must match on resume besides the job and its work plan (name -> value): the job's
  /// options as they count (hpar/cli/identity.hpp), hpar's version. Filled by the command line.
  std::vector<std::pair<std::string, std::string>> identity;
  /// How a refusal names an identity entry whose name alone does not say enough (name ->
  /// words, e.g. "the content of --input-file 'in.txt'"); not kept in the checkpoint.
  std::vector<std::pair<std::string, std::string>> identity_labels;
};

/// What a checkpointed run did.
struct CheckpointRecord {
  bool enabled = false;
  std::string dir;
  int attempt = 0;                    ///< 0 for the first run, n for the n-th resume
  std::uint64_t restored_blocks = 0;  ///< finished by earlier attempts, not computed again
  std::uint64_t restored_items = 0;   ///< the items of those blocks (not in this attempt's rate)
  std::uint64_t computed_blocks = 0;  ///< computed by this attempt
};

/// How each rank runs its slice.
struct RunOptions {
  int threads = 1;                                  ///< OpenMP threads per rank (>= 1)
  Schedule schedule;                                ///< how blocks are handed to threads
  Distribution distribution = Distribution::block;  ///< how blocks are dealt to ranks
  /// Who watches this rank's run (traces, progress, checkpoints); not owned; none = no cost.
  Observers observers;
  /// Where ordered output goes (jobs whose plan has ordered_output and not ordered_to_finish).
  OrderedDestination ordered;
  /// Checkpoint and resume.
  CheckpointOptions checkpoint;
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
  /// Rank 0's Job::finish: the result lines and the job's own check (a small-API .verify);
  /// outside compute, so a scaling study never counts it.
  PhaseStats verify;
  double imbalance = 0.0;                    ///< compute max/avg - 1
  std::vector<double> pass_seconds;          ///< per pass, slowest rank
  std::vector<std::uint64_t> rank_blocks;    ///< blocks each rank computed (last pass), rank order
  std::vector<std::uint64_t> rank_peak_rss;  ///< peak resident memory of each rank, bytes
  JobResult result;                          ///< from Job::finish (empty when incomplete)
  std::string ordered;           ///< ordered output bytes, item order (memory destination)
  OrderedStats ordered_stats;    ///< how the ordered output went (rank 0)
  CheckpointRecord checkpoint;   ///< what the checkpoint held and took (rank 0)
  bool complete = true;          ///< false when stopped early by a signal (or a drain)
  bool drained = false;          ///< incomplete because a drain skipped blocks, not a signal
  std::uint64_t items_done = 0;  ///< items whose blocks finished every pass
};

}  // namespace hpar
