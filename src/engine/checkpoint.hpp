// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Engine-internal: checkpoints. Every rank appends its finished blocks' results (partials and
// ordered bytes) to a file of its own in the checkpoint directory, as checksummed records in
// batches; a resumed run reads every valid record, skips those blocks, and puts their results
// back exactly where the uninterrupted run would have had them.
//
// Directory layout (a file system every rank sees):
//   manifest.json             schema hpar-checkpoint/3: the job, what must match on resume
//                             (its options, hpar's version), the work plan, the attempts so far
//   blocks-A-R.log            records of attempt A (0 = the first run), rank R
// Record: "HPCK" | u32 format (3) | u64 run | u64 block | u32 reals | u32 counts | u64 bytes |
//         u32 record | u32 CRC-32 (zlib) of the head so far | payload (reals, counts, the job's
//         record, the ordered bytes) | u32 CRC-32 of everything before it. A record that is
//         truncated or fails a checksum ends the reading of its file: that block (and any after it
//         there) is recomputed, never trusted; no length is used before the head's checksum holds,
//         nor past the file's end. `run` is the checkpoint's own number (the manifest's "run"): a
//         record file of another checkpoint is refused.

#include <boost/mpi/communicator.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hpar/core/job.hpp"
#include "hpar/engine/block_results.hpp"
#include "hpar/engine/engine.hpp"
#include "hpar/engine/observer.hpp"

namespace hpar {

/// Appends this rank's finished blocks to its record file (an observer of the run): worker
/// threads add records to a buffer, the main thread writes it out now and then and syncs it to
/// disk at the end of each pass (a stop included). A write that fails (a full disk) throws once,
/// and the file is cut back to its last whole record.
class CheckpointWriter final : public RunObserver {
 public:
  /// Creates `path` (refusing one that exists); its records carry `run`.
  CheckpointWriter(std::string path, const WorkPlan& plan, std::uint64_t run);
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;
  ~CheckpointWriter() override;

  void block_done(const BlockEvent& event) override;
  void tick(const Progress& progress) override;
  void pass_end(int pass, bool complete) override;
  /// Writes out what is buffered; `sync`: and waits until it is on disk. Main thread.
  void flush(bool sync);

 private:
  std::string path_;
  std::uint64_t run_ = 0;
  int fd_ = -1;
  int last_pass_ = 0;
  std::uint64_t good_size_ = 0;  ///< bytes of whole records written out
  bool failed_ = false;          ///< a write failed: nothing more is written
  std::mutex mutex_;
  std::string buffer_;
  TimePoint last_flush_;
};

struct RecordHead;

/// A run's checkpoint: what earlier attempts finished (every rank knows which blocks; rank 0
/// holds their results) and this attempt's writer.
class Checkpoint {
 public:
  /// Collective: starts a checkpoint in `options.dir` (refusing one that exists), or, with
  /// `options.resume`, reads the one there and refuses it unless job, identity and plan match.
  /// Throws UsageError (agreed on every rank) with what is wrong.
  /// `failed` (with options.resume_failed): whether a block's count partials say it failed,
  /// so that it is computed again rather than restored.
  Checkpoint(const boost::mpi::communicator& comm, const CheckpointOptions& options,
             const std::string& job, const WorkPlan& plan,
             std::function<bool(std::span<const std::uint64_t>)> failed = {});

  /// True when block `block` was finished by an earlier attempt (any rank).
  [[nodiscard]] bool restored(std::uint64_t block) const noexcept {
    return !done_.empty() && done_[block];
  }
  /// Blocks and items finished by earlier attempts.
  [[nodiscard]] std::uint64_t restored_blocks() const noexcept { return restored_blocks_; }
  [[nodiscard]] std::uint64_t restored_items() const noexcept { return restored_items_; }
  /// This attempt's number (0 for the first run).
  [[nodiscard]] int attempt() const noexcept { return attempt_; }
  /// Rank 0: the partials of the restored blocks.
  [[nodiscard]] const PartialLog& restored_partials() const noexcept { return partials_; }
  /// Rank 0: the ordered bytes of restored block `block` (read from its record).
  [[nodiscard]] std::string restored_bytes(std::uint64_t block) const;
  /// Rank 0: every restored block with its ordered bytes' size, ascending.
  [[nodiscard]] std::vector<std::pair<std::uint64_t, std::uint64_t>> restored_sizes() const;
  /// This rank's writer, to attach to the run's observers.
  [[nodiscard]] CheckpointWriter& writer() noexcept { return *writer_; }
  /// Rank 0, after a complete run: records it in the manifest.
  void mark_complete() const;

 private:
  struct Where {
    std::size_t file = 0;
    std::uint64_t offset = 0;  ///< of the ordered bytes in the file
    std::uint64_t size = 0;
  };
  void start(const CheckpointOptions& options, const std::string& job, const WorkPlan& plan);
  void resume(const CheckpointOptions& options, const std::string& job, const WorkPlan& plan);
  void read_records(const WorkPlan& plan);
  void read_file(std::size_t file, const WorkPlan& plan);
  [[nodiscard]] bool redo(const RecordHead& head, const char* payload) const;
  void keep(std::size_t file, std::uint64_t offset, const RecordHead& head, const char* payload,
            const WorkPlan& plan);
  void share_done(const boost::mpi::communicator& comm, const WorkPlan& plan);

  std::string dir_;
  /// --resume-failed: a block whose record says it failed is computed again.
  std::function<bool(std::span<const std::uint64_t>)> failed_;
  std::uint64_t run_ = 0;  ///< this checkpoint's number, in every record
  int attempt_ = 0;
  std::vector<bool> done_;
  std::uint64_t restored_blocks_ = 0;
  std::uint64_t restored_items_ = 0;
  PartialLog partials_;
  std::vector<std::string> files_;
  std::vector<std::pair<std::uint64_t, Where>> where_;  ///< rank 0: block -> its bytes, sorted
  std::unique_ptr<CheckpointWriter> writer_;
};

}  // namespace hpar
