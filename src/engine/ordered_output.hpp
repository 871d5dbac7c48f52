// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Engine-internal: a run's ordered output, streamed in block order while the blocks are computed.
//
// Two ways, one protocol (rank 0 coordinates, every other rank talks only to it, on a private
// duplicate of the communicator, from its main thread between blocks):
//  - through rank 0: ranks send their finished blocks' bytes to rank 0, which emits the longest
//    finished prefix at once (standard output, a file, or memory for the job's finish);
//  - in parallel (a file every rank sees): ranks send only their blocks' sizes; rank 0 turns the
//    finished prefix into offsets and sends each block's offset to its rank, which writes it with
//    MPI-IO into the temporary file; rank 0 renames it when every block is written.
// Either way, blocks that follow each other in the output go out in one write (up to 4 MiB),
// not one per block: a worker farm's blocks are a few bytes each.
// Bytes waiting for their turn are kept in a BlockStore (memory up to a budget, then a spill
// file), so no rank's memory grows with the output.

#include <mpi.h>

#include <atomic>
#include <boost/mpi/communicator.hpp>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "block_store.hpp"
#include "checkpoint.hpp"
#include "fault_notice.hpp"
#include "hpar/core/files.hpp"
#include "hpar/core/job.hpp"
#include "hpar/engine/engine.hpp"

namespace hpar {

/// Collective: refuses (UsageError, agreed) an output file whose file system has no room for
/// the output, where the job knows its size before the run (WorkPlan::ordered_size).
void check_output_space(const boost::mpi::communicator& comm, const WorkPlan& plan,
                        const OrderedDestination& destination);

class OrderedStream {
 public:
  /// Collective: opens the destination on rank 0 (and, for a file every rank sees, on all).
  OrderedStream(const boost::mpi::communicator& comm, const WorkPlan& plan,
                const OrderedDestination& destination);
  OrderedStream(const OrderedStream&) = delete;
  OrderedStream& operator=(const OrderedStream&) = delete;
  ~OrderedStream();

  /// Rank 0 (or no-op elsewhere): the blocks `checkpoint` restored are delivered from it, in
  /// their turn, as if rank 0 had computed them; `failed` of them count as failed_blocks().
  /// Call before the first pump().
  void restore_from(const Checkpoint& checkpoint, std::uint64_t failed = 0);
  /// Hands over block `block`'s bytes (any thread); `failed`: the job says the block failed
  /// (JobInfo::block_failed), a flag that travels to rank 0 with the block's bytes or size.
  void put(std::uint64_t block, std::string&& bytes, bool failed = false);
  /// Moves bytes along without waiting (main thread only).
  void pump();
  /// Collective: waits until every block is delivered, then commits the destination; returns
  /// true. A stop request on any rank (stop_requested(): a signal, here or passed on) ends the
  /// wait on every rank within moments, however much is left to write: the destination is then
  /// abandoned (as abandon()) and finish returns false on every rank.
  [[nodiscard]] bool finish();
  /// Collective: drops everything in flight; a file destination is left untouched.
  void abandon() noexcept;

  /// Rank 0, memory destination: the joined bytes.
  [[nodiscard]] std::string take_memory() { return std::move(memory_); }
  /// What the stream did (rank 0's view after finish()).
  [[nodiscard]] OrderedStats stats() const;
  /// Rank 0: the blocks it knows to be finished on every rank (its own, those whose bytes or
  /// sizes have arrived, those restored from a checkpoint); what progress lines count.
  [[nodiscard]] std::uint64_t finished_blocks() const noexcept {
    return finished_.load(std::memory_order_relaxed);
  }
  /// Rank 0: of finished_blocks(), those whose job said they failed (put's `failed`).
  [[nodiscard]] std::uint64_t failed_blocks() const noexcept {
    return failed_.load(std::memory_order_relaxed);
  }

 private:
  struct Send {
    MPI_Request request = MPI_REQUEST_NULL;
    std::string buffer;
  };
  enum Tag : int { data_tag = 1, sizes_tag = 2, offsets_tag = 3 };

  void pump_through_root();
  void pump_as_finished();
  void pump_parallel();
  void receive_data();
  void receive_sizes();
  void receive_offsets();
  void assign_offsets();
  void send_blocks_to_root();
  void send_new_sizes();
  void emit(std::string_view bytes);
  void write_at(std::uint64_t block, std::uint64_t offset);
  void queue_write(std::string&& bytes, std::uint64_t offset, std::uint64_t blocks);
  void flush_writes();
  void write_bytes(const std::string& bytes, std::uint64_t offset);
  void post(int to, int tag, std::string&& buffer);
  void write_due();
  bool complete_sends();
  [[nodiscard]] bool delivered() const;
  [[nodiscard]] bool interrupted() const;
  bool wait_for_delivery();
  void open_file(const OrderedDestination& destination);

  boost::mpi::communicator comm_;
  int rank_ = 0;
  std::string path_;  ///< the output file's path, for messages
  std::uint64_t blocks_ = 0;
  OrderedDestination::Kind kind_;
  bool parallel_ = false;  ///< every rank writes its own blocks into the shared file
  /// Rank 0 emits blocks as they finish (WorkPlan::output_as_finished), never in parallel.
  bool as_finished_ = false;
  bool restored_emitted_ = false;  ///< as_finished_: the restored blocks went out first
  BlockStore store_;
  std::list<Send> sends_;
  std::uint64_t message_bytes_;  ///< largest piece of a block's bytes in one message
  // Non-root, through rank 0: the block whose pieces are being sent.
  std::string sending_;
  std::uint64_t sending_block_ = 0;
  std::uint64_t sending_offset_ = 0;
  bool sending_open_ = false;
  bool sending_failed_ = false;               ///< the block being sent failed (its last piece says)
  std::mutex failed_mutex_;                   ///< guards failed_held_ (put runs on any thread)
  std::set<std::uint64_t> failed_held_;       ///< non-root: failed blocks not yet sent
  std::map<int, std::string> partial_;        ///< rank 0: pieces of a block so far, by sender
  std::vector<std::uint64_t> sent_to_;        ///< messages sent to each rank
  std::vector<std::uint64_t> received_from_;  ///< messages received from each rank
  // Rank 0: the prefix emitted (or assigned offsets) so far.
  std::uint64_t frontier_ = 0;
  std::uint64_t bytes_ = 0;  ///< bytes of the prefix, = the next block's offset
  std::string memory_;
  std::unique_ptr<AtomicFile> file_;
  // Parallel mode.
  MPI_File handle_ = MPI_FILE_NULL;
  std::mutex sizes_mutex_;
  std::vector<std::uint64_t> new_sizes_;  ///< (block, size) pairs not yet told to rank 0
  std::map<std::uint64_t, std::pair<int, std::uint64_t>> pending_;  ///< rank 0: owner, size
  const Checkpoint* restored_ = nullptr;  ///< rank 0: blocks an earlier attempt finished
  std::uint64_t writes_left_ = 0;         ///< blocks this rank put and has not written yet
  std::deque<std::uint64_t> due_;         ///< (block, offset) pairs told by rank 0, not written yet
  /// Blocks of this rank whose places in the file follow each other, joined for one write
  /// (not one MPI-IO call per block): their bytes, the offset of the first, how many blocks.
  std::string run_;
  std::uint64_t run_offset_ = 0;
  std::uint64_t run_blocks_ = 0;
  /// During finish(): tells of a stop on another rank (interrupted()).
  FaultNotice* notice_ = nullptr;
  std::mutex count_mutex_;
  std::atomic<std::uint64_t> finished_{0};  ///< rank 0: finished_blocks()
  std::atomic<std::uint64_t> failed_{0};    ///< rank 0: failed_blocks()
  bool closed_ = false;
};

}  // namespace hpar
