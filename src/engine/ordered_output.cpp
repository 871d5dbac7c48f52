// SPDX-License-Identifier: BSD-3-Clause
#include "ordered_output.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/mpi/collectives.hpp>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "hpar/comm/agreement.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/stop.hpp"
#include "hpar/platform/memory.hpp"

namespace hpar {
namespace {

/// Sends a rank keeps in flight before it holds further blocks back (in its store).
constexpr std::size_t max_in_flight = 4;
/// Largest piece of one MPI-IO write (MPI counts are int).
constexpr std::uint64_t max_write = std::uint64_t{1} << 30;
/// A data message's last word: more of the block follows; the block failed (last piece).
constexpr std::uint64_t more_flag = 1;
constexpr std::uint64_t failed_flag = 2;
/// Parallel mode: a (block, size) pair's block word carries the failed flag in its top bit.
constexpr std::uint64_t failed_block_bit = std::uint64_t{1} << 63;

void append_u64(std::string& out, std::uint64_t v) {
  char raw[sizeof v];
  std::memcpy(raw, &v, sizeof v);
  out.append(raw, sizeof v);
}

/// The bytes of a list of 64-bit values, as one message.
std::string message_of(const std::vector<std::uint64_t>& values) {
  std::string out(values.size() * sizeof(std::uint64_t), '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

std::uint64_t read_u64(const char* at) {
  std::uint64_t v = 0;
  std::memcpy(&v, at, sizeof v);
  return v;
}

/// The directory spill files go to: the output file's, else $TMPDIR, else /tmp.
std::string spill_directory(const OrderedDestination& d) {
  if (d.kind == OrderedDestination::Kind::file && d.path != "-") {
    const std::filesystem::path p(d.path);
    return p.has_parent_path() ? p.parent_path().string() : std::string(".");
  }
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

/// A short nap when a wait loop made no progress, so waiting ranks leave the cores to others.
void nap() {
  const timespec t{0, 50'000};
  nanosleep(&t, nullptr);
}

}  // namespace

void check_output_space(const boost::mpi::communicator& comm, const WorkPlan& plan,
                        const OrderedDestination& destination) {
  if (!plan.ordered_output || plan.ordered_to_finish || !plan.ordered_size ||
      destination.kind != OrderedDestination::Kind::file) {
    return;
  }
  std::exception_ptr failure;
  if (comm.rank() == 0) {
    const std::uint64_t need = *plan.ordered_size;
    const auto available = free_space_for(destination.path);
    if (available && *available < need) {
      failure = std::make_exception_ptr(
          UsageError("not enough space for " + quote_for_message(destination.path) +
                     ": the output needs " + format_bytes(need) + " (" + std::to_string(need) +
                     " bytes), its file system has " + format_bytes(*available) + " free"));
    }
  }
  agree(comm, failure);
}

OrderedStream::OrderedStream(const boost::mpi::communicator& comm, const WorkPlan& plan,
                             const OrderedDestination& destination)
    : comm_(comm, boost::mpi::comm_duplicate),
      rank_(comm.rank()),
      path_(destination.path),
      blocks_(plan.blocks()),
      kind_(plan.ordered_to_finish ? OrderedDestination::Kind::memory : destination.kind),
      as_finished_(plan.output_as_finished),
      store_(destination.buffer_bytes, spill_directory(destination)),
      message_bytes_(
          std::clamp<std::uint64_t>(destination.message_bytes, 1, std::uint64_t{1} << 30)),
      sent_to_(static_cast<std::size_t>(comm.size()), 0),
      received_from_(static_cast<std::size_t>(comm.size()), 0) {
  if (kind_ == OrderedDestination::Kind::file) open_file(destination);
}

OrderedStream::~OrderedStream() {
  if (!closed_) abandon();
}

/// Rank 0 opens the file (a temporary file beside it, named only when other ranks may write
/// into it); when it is a regular file that every rank sees, every rank opens it with MPI-IO and
/// the blocks are written in parallel.
void OrderedStream::open_file(const OrderedDestination& destination) {
  std::exception_ptr failure;
  std::string staging;
  std::uint64_t inode = 0;
  if (rank_ == 0) {
    try {
      file_ = std::make_unique<AtomicFile>(destination.path);
      if (!file_->direct() && comm_.size() > 1) staging = file_->staging_path();
      struct stat st = {};
      if (!staging.empty() && ::stat(staging.c_str(), &st) == 0) inode = st.st_ino;
    } catch (...) {
      failure = std::current_exception();
    }
  }
  agree(comm_, failure);
  if (comm_.size() == 1 || as_finished_) return;  // as finished: rank 0 alone writes, in turn
  boost::mpi::broadcast(comm_, staging, 0);
  boost::mpi::broadcast(comm_, inode, 0);
  struct stat st = {};
  const int sees = !staging.empty() && ::stat(staging.c_str(), &st) == 0 && st.st_ino == inode;
  int all_see = 0;
  boost::mpi::all_reduce(comm_, sees, all_see, boost::mpi::minimum<int>());
  if (all_see == 0) return;  // rank 0 alone writes, as for standard output
  const int rc =
      MPI_File_open(MPI_Comm(comm_), staging.c_str(), MPI_MODE_WRONLY, MPI_INFO_NULL, &handle_);
  int ok = rc == MPI_SUCCESS ? 1 : 0;
  int all_ok = 0;
  boost::mpi::all_reduce(comm_, ok, all_ok, boost::mpi::minimum<int>());
  if (all_ok == 0) {
    if (rc == MPI_SUCCESS) MPI_File_close(&handle_);
    throw RuntimeError("cannot open '" + destination.path + "' with MPI-IO on every rank");
  }
  parallel_ = true;
}

/// Owner of a restored block in rank 0's table of pending sizes (parallel mode).
constexpr int restored_owner = -1;

void OrderedStream::restore_from(const Checkpoint& checkpoint, std::uint64_t failed) {
  if (rank_ != 0 || checkpoint.restored_blocks() == 0) return;
  restored_ = &checkpoint;
  finished_.fetch_add(checkpoint.restored_blocks(), std::memory_order_relaxed);
  failed_.fetch_add(failed, std::memory_order_relaxed);
  if (parallel_) {  // their sizes are known: they take their offsets in turn, rank 0 writes them
    for (const auto& [block, size] : checkpoint.restored_sizes()) {
      pending_[block] = {restored_owner, size};
    }
  }
}

void OrderedStream::put(std::uint64_t block, std::string&& bytes, bool failed) {
  const std::uint64_t size = bytes.size();
  if (failed && rank_ != 0 && !parallel_) {  // before the block can be sent
    const std::lock_guard<std::mutex> lock(failed_mutex_);
    failed_held_.insert(block);
  }
  store_.put(block, std::move(bytes));
  if (rank_ == 0 && !parallel_) {
    finished_.fetch_add(1, std::memory_order_relaxed);
    if (failed) failed_.fetch_add(1, std::memory_order_relaxed);
  }
  if (parallel_) {
    const std::lock_guard<std::mutex> lock(sizes_mutex_);
    new_sizes_.push_back(failed ? block | failed_block_bit : block);
    new_sizes_.push_back(size);
    ++writes_left_;
  }
}

void OrderedStream::pump() {
  complete_sends();
  if (parallel_) {
    pump_parallel();
  } else {
    pump_through_root();
  }
}

void OrderedStream::pump_through_root() {
  if (rank_ != 0) {
    send_blocks_to_root();
    return;
  }
  if (as_finished_) {
    pump_as_finished();
    return;
  }
  receive_data();
  // The blocks due go out joined, a write per few MiB rather than one per block.
  constexpr std::size_t emit_run_bytes = std::size_t{4} << 20;
  std::string run;
  bool wrote = false;
  while (frontier_ < blocks_ && !interrupted()) {  // a stop: the rest waits (or is dropped)
    std::string bytes;
    if (store_.contains(frontier_)) {
      bytes = store_.take(frontier_);
    } else if (restored_ != nullptr && restored_->restored(frontier_)) {
      bytes = restored_->restored_bytes(frontier_);
    } else {
      break;
    }
    bytes_ += bytes.size();
    ++frontier_;
    wrote = true;
    if (run.empty()) {
      run = std::move(bytes);
    } else {
      run += bytes;
    }
    if (run.size() >= emit_run_bytes) {
      emit(run);
      run.clear();
    }
  }
  if (!run.empty()) emit(run);
  if (wrote && kind_ == OrderedDestination::Kind::standard_output) std::cout.flush();
}

/// Rank 0, blocks as they finish: the restored blocks first (in item order), then every block
/// held, whole, lowest first. `frontier_` counts the blocks emitted.
void OrderedStream::pump_as_finished() {
  receive_data();
  bool wrote = false;
  if (restored_ != nullptr && !restored_emitted_) {
    restored_emitted_ = true;
    for (std::uint64_t block = 0; block < blocks_; ++block) {
      if (!restored_->restored(block)) continue;
      const std::string bytes = restored_->restored_bytes(block);
      emit(bytes);
      bytes_ += bytes.size();
      ++frontier_;
      wrote = true;
    }
  }
  while (frontier_ < blocks_ && !interrupted()) {
    const auto block = store_.first();
    if (!block) break;
    const std::string bytes = store_.take(*block);
    emit(bytes);
    bytes_ += bytes.size();
    ++frontier_;
    wrote = true;
  }
  if (wrote && kind_ == OrderedDestination::Kind::standard_output) std::cout.flush();
}

void OrderedStream::pump_parallel() {
  if (rank_ != 0) {
    send_new_sizes();
    receive_offsets();
    write_due();
    return;
  }
  receive_sizes();
  assign_offsets();
}

/// Non-root, through rank 0: the lowest blocks held go to rank 0, a few messages in flight at
/// a time; the rest wait in the store (spilling past its budget), so a rank never blocks here.
/// A block larger than a message goes in pieces, one after the other. Each message ends with
/// a trailer: the block's index and a word of flags: more of it follows; it failed (the last
/// piece says so).
void OrderedStream::send_blocks_to_root() {
  while (sends_.size() < max_in_flight) {
    if (!sending_open_) {
      const auto block = store_.first();
      if (!block) return;
      sending_ = store_.take(*block);
      sending_block_ = *block;
      sending_offset_ = 0;
      sending_open_ = true;
      const std::lock_guard<std::mutex> lock(failed_mutex_);
      sending_failed_ = failed_held_.erase(*block) != 0;
    }
    const std::uint64_t left = sending_.size() - sending_offset_;
    const std::uint64_t piece = std::min(left, message_bytes_);
    const bool more = piece < left;
    std::string buffer = sending_offset_ == 0 && !more
                             ? std::move(sending_)  // the whole block, in place
                             : sending_.substr(sending_offset_, piece);
    sending_offset_ += piece;
    append_u64(buffer, sending_block_);
    append_u64(buffer, more ? more_flag : (sending_failed_ ? failed_flag : 0));
    post(0, data_tag, std::move(buffer));
    if (!more) {
      sending_open_ = false;
      std::string().swap(sending_);
    }
  }
}

/// Rank 0: every data message that has arrived goes into the store (the pieces of a larger
/// block are joined first; a sender's messages arrive in the order it sent them).
void OrderedStream::receive_data() {
  constexpr MPI_Count trailer = 2 * static_cast<MPI_Count>(sizeof(std::uint64_t));
  for (;;) {
    int flag = 0;
    MPI_Message message = MPI_MESSAGE_NULL;
    MPI_Status status;
    check_mpi(MPI_Improbe(MPI_ANY_SOURCE, data_tag, MPI_Comm(comm_), &flag, &message, &status),
              "MPI_Improbe");
    if (flag == 0) return;
    MPI_Count count = 0;
    check_mpi(MPI_Get_elements_x(&status, MPI_BYTE, &count), "MPI_Get_elements_x");
    if (count < trailer || count > INT_MAX) {
      throw RuntimeError("internal error: an ordered output message of " + std::to_string(count) +
                         " bytes");
    }
    std::string bytes(static_cast<std::size_t>(count), '\0');
    check_mpi(
        MPI_Mrecv(bytes.data(), static_cast<int>(count), MPI_BYTE, &message, MPI_STATUS_IGNORE),
        "MPI_Mrecv");
    ++received_from_[static_cast<std::size_t>(status.MPI_SOURCE)];
    const std::size_t end = bytes.size() - 2 * sizeof(std::uint64_t);
    const std::uint64_t block = read_u64(bytes.data() + end);
    const std::uint64_t flags = read_u64(bytes.data() + end + sizeof(std::uint64_t));
    const bool more = (flags & more_flag) != 0;
    bytes.resize(end);
    std::string& joined = partial_[status.MPI_SOURCE];
    if (more || !joined.empty()) {
      joined.append(bytes);
      if (more) continue;
      bytes = std::move(joined);
      joined.clear();
    }
    store_.put(block, std::move(bytes));
    finished_.fetch_add(1, std::memory_order_relaxed);
    if ((flags & failed_flag) != 0) failed_.fetch_add(1, std::memory_order_relaxed);
  }
}

/// Non-root, parallel: the sizes of blocks finished since the last call go to rank 0.
void OrderedStream::send_new_sizes() {
  std::vector<std::uint64_t> sizes;
  {
    const std::lock_guard<std::mutex> lock(sizes_mutex_);
    sizes.swap(new_sizes_);
  }
  if (!sizes.empty()) post(0, sizes_tag, message_of(sizes));
}

/// Rank 0, parallel: sizes told by the ranks (and its own) wait for their turn.
void OrderedStream::receive_sizes() {
  const auto take = [this](const std::vector<std::uint64_t>& pairs, int owner) {
    for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) {
      if ((pairs[i] & failed_block_bit) != 0) failed_.fetch_add(1, std::memory_order_relaxed);
      pending_[pairs[i] & ~failed_block_bit] = {owner, pairs[i + 1]};
    }
    finished_.fetch_add(pairs.size() / 2, std::memory_order_relaxed);
  };
  {
    std::vector<std::uint64_t> mine;
    {
      const std::lock_guard<std::mutex> lock(sizes_mutex_);
      mine.swap(new_sizes_);
    }
    take(mine, 0);
  }
  for (;;) {
    int flag = 0;
    MPI_Message message = MPI_MESSAGE_NULL;
    MPI_Status status;
    check_mpi(MPI_Improbe(MPI_ANY_SOURCE, sizes_tag, MPI_Comm(comm_), &flag, &message, &status),
              "MPI_Improbe");
    if (flag == 0) return;
    int count = 0;
    check_mpi(MPI_Get_count(&status, MPI_UINT64_T, &count), "MPI_Get_count");
    std::vector<std::uint64_t> pairs(static_cast<std::size_t>(count));
    check_mpi(MPI_Mrecv(pairs.data(), count, MPI_UINT64_T, &message, MPI_STATUS_IGNORE),
              "MPI_Mrecv");
    ++received_from_[static_cast<std::size_t>(status.MPI_SOURCE)];
    take(pairs, status.MPI_SOURCE);
  }
}

/// Rank 0, parallel: the finished prefix gets its offsets; rank 0 writes its own blocks, and
/// tells each other rank where its blocks go.
void OrderedStream::assign_offsets() {
  std::map<int, std::vector<std::uint64_t>> batches;
  for (auto it = pending_.find(frontier_); it != pending_.end() && !interrupted();
       it = pending_.find(frontier_)) {
    const auto [owner, size] = it->second;
    pending_.erase(it);
    if (owner == restored_owner) {
      queue_write(restored_->restored_bytes(frontier_), bytes_, 0);
    } else if (owner == 0) {
      write_at(frontier_, bytes_);
    } else {
      batches[owner].push_back(frontier_);
      batches[owner].push_back(bytes_);
    }
    bytes_ += size;
    ++frontier_;
  }
  for (const auto& [owner, pairs] : batches) post(owner, offsets_tag, message_of(pairs));
  flush_writes();  // after the others were told: their writes go on beside this one
}

/// Non-root, parallel: offsets from rank 0; each block is written there and forgotten.
void OrderedStream::receive_offsets() {
  for (;;) {
    int flag = 0;
    MPI_Message message = MPI_MESSAGE_NULL;
    MPI_Status status;
    check_mpi(MPI_Improbe(0, offsets_tag, MPI_Comm(comm_), &flag, &message, &status),
              "MPI_Improbe");
    if (flag == 0) return;
    int count = 0;
    check_mpi(MPI_Get_count(&status, MPI_UINT64_T, &count), "MPI_Get_count");
    std::vector<std::uint64_t> pairs(static_cast<std::size_t>(count));
    check_mpi(MPI_Mrecv(pairs.data(), count, MPI_UINT64_T, &message, MPI_STATUS_IGNORE),
              "MPI_Mrecv");
    ++received_from_[0];
    due_.insert(due_.end(), pairs.begin(), pairs.end());
  }
}

/// Non-root, parallel: the blocks whose offsets came are written, until a stop (the rest waits).
void OrderedStream::write_due() {
  while (due_.size() >= 2 && !interrupted()) {
    const std::uint64_t block = due_.front();
    const std::uint64_t offset = due_[1];
    due_.erase(due_.begin(), due_.begin() + 2);
    write_at(block, offset);
  }
  flush_writes();
}

void OrderedStream::write_at(std::uint64_t block, std::uint64_t offset) {
  queue_write(store_.take(block), offset, 1);
}

/// Bytes for `offset` (of `blocks` of this rank's put blocks; 0: restored ones) join the run
/// when they follow it in the file; else the run is written first. A run is written at
/// flush_writes() (the end of each pump) or when it reaches write_run_bytes.
void OrderedStream::queue_write(std::string&& bytes, std::uint64_t offset, std::uint64_t blocks) {
  constexpr std::uint64_t write_run_bytes = std::uint64_t{4} << 20;
  if (!run_.empty() &&
      (offset != run_offset_ + run_.size() || run_.size() + bytes.size() > write_run_bytes)) {
    flush_writes();
  }
  if (run_.empty()) {
    run_offset_ = offset;
    run_ = std::move(bytes);
  } else {
    run_ += bytes;
  }
  run_blocks_ += blocks;
}

void OrderedStream::flush_writes() {
  if (!run_.empty()) write_bytes(run_, run_offset_);
  run_.clear();
  const std::lock_guard<std::mutex> lock(sizes_mutex_);
  writes_left_ -= run_blocks_;
  run_blocks_ = 0;
}

void OrderedStream::write_bytes(const std::string& bytes, std::uint64_t offset) {
  for (std::uint64_t done = 0; done < bytes.size();) {
    const std::uint64_t piece = std::min<std::uint64_t>(bytes.size() - done, max_write);
    MPI_Status status;
    const auto at = static_cast<MPI_Offset>(offset) + static_cast<MPI_Offset>(done);
    // A failed write names the file (MPICH's ROMIO reports a full disk as an error); one that
    // reports success may still be short (Open MPI on a full disk): count the bytes.
    const int rc = MPI_File_write_at(handle_, at, bytes.data() + done, static_cast<int>(piece),
                                     MPI_BYTE, &status);
    if (rc != MPI_SUCCESS) {
      throw RuntimeError("cannot write " + quote_for_message(path_) + " at offset " +
                         std::to_string(at) + ": " + mpi_error_text(rc));
    }
    int written = 0;
    check_mpi(MPI_Get_count(&status, MPI_BYTE, &written), "MPI_Get_count");
    if (written < 0 || static_cast<std::uint64_t>(written) != piece) {
      throw RuntimeError("cannot write " + quote_for_message(path_) + ": " +
                         std::to_string(std::max(written, 0)) + " of " + std::to_string(piece) +
                         " bytes written at offset " + std::to_string(at) +
                         " (is its file system full?)");
    }
    done += piece;
  }
}

void OrderedStream::emit(std::string_view bytes) {
  switch (kind_) {
    case OrderedDestination::Kind::memory:
      memory_.append(bytes);
      break;
    case OrderedDestination::Kind::standard_output:
      std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!std::cout) throw RuntimeError("cannot write to standard output");
      break;
    case OrderedDestination::Kind::file:
      file_->write(bytes);
      break;
  }
}

void OrderedStream::post(int to, int tag, std::string&& buffer) {
  Send& s = sends_.emplace_back();
  s.buffer = std::move(buffer);
  check_mpi(MPI_Isend(s.buffer.data(), static_cast<int>(s.buffer.size()), MPI_BYTE, to, tag,
                      MPI_Comm(comm_), &s.request),
            "MPI_Isend");
  ++sent_to_[static_cast<std::size_t>(to)];
}

/// Frees the sends that completed; true when none is left in flight.
bool OrderedStream::complete_sends() {
  for (auto it = sends_.begin(); it != sends_.end();) {
    int done = 0;
    check_mpi(MPI_Test(&it->request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    it = done != 0 ? sends_.erase(it) : std::next(it);
  }
  return sends_.empty();
}

/// True when this rank has nothing left to deliver (rank 0: the whole output is out).
bool OrderedStream::delivered() const {
  if (!sends_.empty()) return false;
  if (rank_ == 0) return frontier_ == blocks_;
  if (!parallel_) return store_.size() == 0 && !sending_open_;
  return store_.size() == 0 && writes_left_ == 0;
}

/// True when a stop was asked for here (a signal, or one passed on) or, during finish(), on
/// another rank: the stream then writes no more (what is left waits, or is abandoned).
bool OrderedStream::interrupted() const {
  return stop_requested() || (notice_ != nullptr && notice_->heard());
}

/// Collective, finish()'s first part: pumps until this rank has delivered everything, a stop
/// comes (here or on another rank) or this rank fails (rethrown agreed); then waits for the
/// others, still passing on a stop that comes meanwhile. Returns whether some rank stopped.
bool OrderedStream::wait_for_delivery() {
  FaultNotice notice(comm_);
  notice_ = &notice;
  std::exception_ptr failure;
  try {
    while (!delivered() && !interrupted()) {
      const std::uint64_t before = frontier_;
      const std::size_t held = store_.size();
      const std::size_t due = due_.size();
      pump();
      if (frontier_ == before && store_.size() == held && due_.size() == due) nap();
    }
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure || stop_requested()) notice.tell_all();  // the others stop waiting for this rank
  notice.wait_for_all([&notice] {
    if (stop_requested()) notice.tell_all();
  });
  int stopped = 0;
  boost::mpi::all_reduce(comm_, stop_requested() ? 1 : 0, stopped, boost::mpi::maximum<int>());
  notice.settle();
  notice_ = nullptr;
  agree(comm_, failure);
  return stopped != 0;
}

bool OrderedStream::finish() {
  if (wait_for_delivery()) {
    abandon();
    return false;
  }
  std::exception_ptr failure;
  closed_ = true;
  if (parallel_) check_mpi(MPI_File_close(&handle_), "MPI_File_close");
  if (rank_ == 0) {
    try {
      if (kind_ == OrderedDestination::Kind::standard_output) std::cout.flush();
      if (file_ && !file_->direct() && file_->size() != bytes_) {
        throw RuntimeError("cannot write " + quote_for_message(file_->path()) + ": it holds " +
                           std::to_string(file_->size()) + " of the output's " +
                           std::to_string(bytes_) + " bytes (is its file system full?)");
      }
      if (file_) file_->commit();
    } catch (...) {
      failure = std::current_exception();
    }
  }
  agree(comm_, failure);
  return true;
}

void OrderedStream::abandon() noexcept {
  if (closed_) return;
  closed_ = true;
  try {
    // Every message sent is received (and dropped), so none is left over on the communicator.
    std::vector<std::uint64_t> expected(sent_to_.size());
    MPI_Alltoall(sent_to_.data(), 1, MPI_UINT64_T, expected.data(), 1, MPI_UINT64_T,
                 MPI_Comm(comm_));
    for (;;) {
      const bool sent = complete_sends();
      bool all_in = true;
      for (std::size_t r = 0; r < expected.size(); ++r)
        all_in = all_in && received_from_[r] >= expected[r];
      if (sent && all_in) break;
      int flag = 0;
      MPI_Message message = MPI_MESSAGE_NULL;
      MPI_Status status;
      MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_Comm(comm_), &flag, &message, &status);
      if (flag == 0) {
        nap();
        continue;
      }
      MPI_Count count = 0;
      MPI_Get_elements_x(&status, MPI_BYTE, &count);
      std::vector<char> sink(static_cast<std::size_t>(count));
      MPI_Mrecv(sink.data(), static_cast<int>(count), MPI_BYTE, &message, MPI_STATUS_IGNORE);
      ++received_from_[static_cast<std::size_t>(status.MPI_SOURCE)];
    }
    if (parallel_) MPI_File_close(&handle_);
  } catch (...) {
  }
  // The held blocks (a spill file of GBs) and the output's temporary file are freed at once on
  // every rank, not one rank after another's collective.
  store_.clear();
  if (file_) file_->abandon();
}

OrderedStats OrderedStream::stats() const {
  OrderedStats s;
  s.bytes = bytes_;
  s.parallel = parallel_;
  s.root_peak = store_.peak_memory();
  std::uint64_t mine = store_.spilled();
  boost::mpi::reduce(comm_, mine, s.spilled, std::plus<std::uint64_t>(), 0);
  return s;
}

}  // namespace hpar
