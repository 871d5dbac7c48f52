// SPDX-License-Identifier: BSD-3-Clause
#include "dealer.hpp"

#include <algorithm>
#include <array>
#include <boost/mpi/collectives.hpp>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <vector>

#include "hpar/core/errors.hpp"
#include "hpar/platform/host.hpp"

namespace hpar {
namespace {

/// A guided chunk: about a half of the `left` blocks divided by the ranks, at least `least`
/// (one per thread), at most 1024; with a `per_thread` cap (WorkPlan::deal_per_thread) at most
/// that many per thread (`least`).
std::uint64_t guided_chunk(std::uint64_t left, std::uint64_t ranks, std::uint64_t least,
                           std::uint64_t per_thread) {
  const std::uint64_t most = per_thread == 0 ? 1024 : per_thread * least;
  return std::clamp<std::uint64_t>(left / (2 * ranks), least, std::max<std::uint64_t>(least, most));
}

/// Block or cyclic: the rank's blocks are fixed before the run; one chunk per pass.
class StaticDealer final : public BlockDealer {
 public:
  StaticDealer(const WorkPlan& plan, BlockSet set) : set_(set), passes_(plan.passes) {
    const std::uint64_t first = plan.block(set.first).begin;
    items_ = {first, set.count == 0 ? first : plan.block(set[set.count - 1]).end};
  }
  std::optional<BlockSet> next(int pass, const std::function<bool()>& /*give_up*/) override {
    if (pass == dealt_pass_) return std::nullopt;  // once per pass, empty or not
    dealt_pass_ = pass;
    return set_;
  }
  std::uint64_t expected() const noexcept override { return set_.count; }
  Progress progress(int pass, std::uint64_t done) const noexcept override {
    return {done, set_.count, pass, passes_, ProgressCount::rank};
  }
  Slice items() const noexcept override { return items_; }

 private:
  BlockSet set_;
  int passes_;
  Slice items_;
  int dealt_pass_ = -1;
};

/// Dynamic: ranks take chunks of consecutive blocks from a counter per pass in an MPI window on
/// rank 0 (MPI-3 passive target: MPI_Fetch_and_op, no rank serves the others, rank 0 computes
/// too). Chunks shrink towards the end as in OpenMP's guided schedule: about a half of the
/// remaining blocks divided by the ranks, never fewer than the rank's threads (so every thread
/// gets work) nor more than `max_chunk`.
class DynamicDealer final : public BlockDealer {
 public:
  DynamicDealer(const boost::mpi::communicator& comm, const WorkPlan& plan, int threads)
      : blocks_(plan.blocks()),
        items_{0, plan.items},
        ranks_(static_cast<std::uint64_t>(comm.size())),
        passes_(plan.passes),
        min_chunk_(static_cast<std::uint64_t>(std::max(threads, 1))),
        cap_(plan.deal_per_thread) {
    const auto passes = static_cast<std::size_t>(plan.passes);
    const MPI_Aint bytes =
        comm.rank() == 0 ? static_cast<MPI_Aint>(passes * sizeof(std::uint64_t)) : 0;
    std::uint64_t* base = nullptr;
    check_mpi(MPI_Win_allocate(bytes, sizeof(std::uint64_t), MPI_INFO_NULL, MPI_Comm(comm), &base,
                               &window_),
              "MPI_Win_allocate");
    if (comm.rank() == 0) std::fill_n(base, passes, std::uint64_t{0});
    check_mpi(MPI_Barrier(MPI_Comm(comm)), "MPI_Barrier");  // counters zeroed before any fetch
    check_mpi(MPI_Win_lock_all(MPI_MODE_NOCHECK, window_), "MPI_Win_lock_all");
  }
  DynamicDealer(const DynamicDealer&) = delete;
  DynamicDealer& operator=(const DynamicDealer&) = delete;
  ~DynamicDealer() override {
    // Collective: every rank destroys its dealer at the same point (errors are agreed first).
    MPI_Win_unlock_all(window_);
    MPI_Win_free(&window_);
  }

  std::optional<BlockSet> next(int pass, const std::function<bool()>& /*give_up*/) override {
    if (pass != pass_) {
      pass_ = pass;
      seen_ = 0;
    }
    if (seen_ >= blocks_) return std::nullopt;
    const std::uint64_t left = blocks_ - seen_;
    const std::uint64_t chunk = guided_chunk(left, ranks_, min_chunk_, cap_);
    std::uint64_t first = 0;
    check_mpi(MPI_Fetch_and_op(&chunk, &first, MPI_UINT64_T, 0, static_cast<MPI_Aint>(pass),
                               MPI_SUM, window_),
              "MPI_Fetch_and_op");
    check_mpi(MPI_Win_flush(0, window_), "MPI_Win_flush");
    seen_ = first + chunk;
    if (first >= blocks_) return std::nullopt;
    return BlockSet{first, std::min(chunk, blocks_ - first), 1};
  }
  std::uint64_t expected() const noexcept override { return 0; }
  Progress progress(int pass, std::uint64_t /*done*/) const noexcept override {
    return {std::min(seen_, blocks_), blocks_, pass, passes_, ProgressCount::dealt};
  }
  void cap_deals(std::uint64_t blocks) override { cap_ = std::max<std::uint64_t>(blocks, 1); }
  Slice items() const noexcept override { return items_; }

 private:
  MPI_Win window_ = MPI_WIN_NULL;
  std::uint64_t blocks_;
  Slice items_;
  std::uint64_t ranks_;
  int passes_;
  std::uint64_t min_chunk_;
  std::uint64_t cap_;       ///< WorkPlan::deal_per_thread
  std::uint64_t seen_ = 0;  ///< the counter as this rank last saw it
  int pass_ = -1;
};

/// Dynamic across hosts, by messages: rank 0 keeps the counters and answers requests (tag
/// `request_tag`, the pass) with a chunk {first, count}, count 0 when the pass has no more.
/// Rank 0 answers between its own blocks and, once its own share is out, until every rank has
/// had its "no more". A rank asks for its next chunk as soon as it receives one, so the answer
/// travels while it computes.
class MessageDealer final : public BlockDealer {
 public:
  MessageDealer(const boost::mpi::communicator& comm, const WorkPlan& plan, int threads)
      : comm_(comm, boost::mpi::comm_duplicate),
        blocks_(plan.blocks()),
        items_{0, plan.items},
        ranks_(static_cast<std::uint64_t>(comm.size())),
        passes_(plan.passes),
        least_(static_cast<std::uint64_t>(std::max(threads, 1))),
        cap_(plan.deal_per_thread),
        next_(static_cast<std::size_t>(plan.passes), 0) {}

  std::optional<BlockSet> next(int pass, const std::function<bool()>& give_up) override {
    if (comm_.rank() == 0) return next_on_root(pass, give_up);
    if (!asked_) ask(pass);
    if (answer_ == MPI_REQUEST_NULL) {
      check_mpi(
          MPI_Irecv(answer_data_.data(), 2, MPI_UINT64_T, 0, chunk_tag, MPI_Comm(comm_), &answer_),
          "MPI_Irecv");
    }
    for (int done = 0;;) {
      check_mpi(MPI_Test(&answer_, &done, MPI_STATUS_IGNORE), "MPI_Test");
      if (done != 0) break;
      if (give_up()) return std::nullopt;  // the answer, if it comes, is taken in settle()
      nap();
    }
    ++received_from_[0];
    asked_ = false;
    const auto chunk = answer_data_;
    if (chunk[1] == 0) return std::nullopt;
    seen_ = chunk[0] + chunk[1];
    ask(pass);  // the next answer travels while this chunk is computed
    return BlockSet{chunk[0], chunk[1], 1};
  }

  void serve() override {
    if (comm_.rank() != 0) return;
    for (;;) {
      int flag = 0;
      MPI_Status status;
      check_mpi(MPI_Iprobe(MPI_ANY_SOURCE, request_tag, MPI_Comm(comm_), &flag, &status),
                "MPI_Iprobe");
      if (flag == 0) return;
      std::uint64_t pass = 0;
      check_mpi(MPI_Recv(&pass, 1, MPI_UINT64_T, status.MPI_SOURCE, request_tag, MPI_Comm(comm_),
                         MPI_STATUS_IGNORE),
                "MPI_Recv");
      ++received_from_[static_cast<std::size_t>(status.MPI_SOURCE)];
      answer(status.MPI_SOURCE, static_cast<int>(pass));
    }
  }

  void settle() override {
    // Every request is answered or dropped, every answer received: nothing left in flight.
    std::vector<std::uint64_t> expected(sent_to_.size());
    check_mpi(MPI_Alltoall(sent_to_.data(), 1, MPI_UINT64_T, expected.data(), 1, MPI_UINT64_T,
                           MPI_Comm(comm_)),
              "MPI_Alltoall");
    if (answer_ != MPI_REQUEST_NULL) {  // a posted receive: an answer comes, or none will
      if (expected[0] > received_from_[0]) {
        check_mpi(MPI_Wait(&answer_, MPI_STATUS_IGNORE), "MPI_Wait");
        ++received_from_[0];
      } else {
        check_mpi(MPI_Cancel(&answer_), "MPI_Cancel");
        check_mpi(MPI_Wait(&answer_, MPI_STATUS_IGNORE), "MPI_Wait");
      }
    }
    for (std::size_t r = 0; r < expected.size(); ++r) {
      for (; received_from_[r] < expected[r]; ++received_from_[r]) {
        std::array<std::uint64_t, 2> sink{};
        check_mpi(MPI_Recv(sink.data(), 2, MPI_UINT64_T, static_cast<int>(r), MPI_ANY_TAG,
                           MPI_Comm(comm_), MPI_STATUS_IGNORE),
                  "MPI_Recv");
      }
    }
    for (auto& request : sends_) {
      check_mpi(MPI_Wait(&request, MPI_STATUS_IGNORE), "MPI_Wait");
    }
    sends_.clear();
    check_mpi(MPI_Barrier(MPI_Comm(comm_)), "MPI_Barrier");
    asked_ = false;
    finished_ = 0;
  }

  std::uint64_t expected() const noexcept override { return 0; }
  Progress progress(int pass, std::uint64_t /*done*/) const noexcept override {
    const std::uint64_t dealt =
        comm_.rank() == 0 ? next_[static_cast<std::size_t>(pass)] : std::min(seen_, blocks_);
    return {std::min(dealt, blocks_), blocks_, pass, passes_, ProgressCount::dealt};
  }
  void cap_deals(std::uint64_t blocks) override { cap_ = std::max<std::uint64_t>(blocks, 1); }
  Slice items() const noexcept override { return items_; }

 private:
  static constexpr int request_tag = 1;
  static constexpr int chunk_tag = 2;

  static void nap() {
    const timespec t{0, 50'000};
    nanosleep(&t, nullptr);
  }

  std::optional<BlockSet> next_on_root(int pass, const std::function<bool()>& give_up) {
    serve();
    std::uint64_t& next = next_[static_cast<std::size_t>(pass)];
    if (next < blocks_) {
      const std::uint64_t count =
          std::min(guided_chunk(blocks_ - next, ranks_, least_, cap_), blocks_ - next);
      const BlockSet chunk{next, count, 1};
      next += count;
      return chunk;
    }
    // Rank 0's share is out: answer until every other rank has had its "no more".
    while (finished_ + 1 < ranks_ && !give_up()) {
      const std::uint64_t before = finished_;
      serve();
      if (finished_ == before) nap();
    }
    return std::nullopt;
  }

  void answer(int to, int pass) {
    std::uint64_t& next = next_[static_cast<std::size_t>(pass)];
    std::array<std::uint64_t, 2> chunk{next, 0};
    if (next < blocks_) {
      chunk[1] = std::min(guided_chunk(blocks_ - next, ranks_, least_, cap_), blocks_ - next);
      next += chunk[1];
    } else {
      ++finished_;
    }
    post(to, chunk_tag, chunk);
  }

  void ask(int pass) {
    post(0, request_tag, {static_cast<std::uint64_t>(pass), 0});
    asked_ = true;
  }

  void post(int to, int tag, std::array<std::uint64_t, 2> values) {
    payloads_.push_back(values);
    sends_.emplace_back();
    check_mpi(MPI_Isend(payloads_.back().data(), tag == request_tag ? 1 : 2, MPI_UINT64_T, to, tag,
                        MPI_Comm(comm_), &sends_.back()),
              "MPI_Isend");
    ++sent_to_[static_cast<std::size_t>(to)];
    // Completed sends are let go now and then: a dealer's messages are few and small.
    if (sends_.size() > 64) {
      check_mpi(MPI_Waitall(static_cast<int>(sends_.size()), sends_.data(), MPI_STATUSES_IGNORE),
                "MPI_Waitall");
      sends_.clear();
      payloads_.clear();
    }
  }

  boost::mpi::communicator comm_;
  std::uint64_t blocks_;
  Slice items_;
  std::uint64_t ranks_;
  int passes_;
  std::uint64_t least_;
  std::uint64_t cap_;                ///< WorkPlan::deal_per_thread
  std::vector<std::uint64_t> next_;  ///< rank 0: the next block of each pass
  std::uint64_t finished_ = 0;       ///< rank 0: ranks told "no more" in this pass
  std::uint64_t seen_ = 0;
  bool asked_ = false;
  MPI_Request answer_ = MPI_REQUEST_NULL;  ///< the posted receive of rank 0's next answer
  std::array<std::uint64_t, 2> answer_data_{};
  std::vector<MPI_Request> sends_;
  std::deque<std::array<std::uint64_t, 2>> payloads_;  ///< send buffers, stable addresses
  std::vector<std::uint64_t> sent_to_ = std::vector<std::uint64_t>(ranks_, 0);
  std::vector<std::uint64_t> received_from_ = std::vector<std::uint64_t>(ranks_, 0);
};

}  // namespace

std::unique_ptr<BlockDealer> make_dealer(const boost::mpi::communicator& comm, const WorkPlan& plan,
                                         Distribution distribution, int threads) {
  if (distribution == Distribution::dynamic) {
    // One-sided atomics where every rank shares rank 0's host; messages across hosts.
    // HPAR_DYNAMIC_DEALER=window|messages forces one (the same on every rank: tests, and
    // transports whose one-sided support is missing or slow).
    const char* forced = std::getenv("HPAR_DYNAMIC_DEALER");
    const std::string force = forced != nullptr ? forced : "";
    if (force == "window") return std::make_unique<DynamicDealer>(comm, plan, threads);
    if (force == "messages") return std::make_unique<MessageDealer>(comm, plan, threads);
    const std::string host = host_name();
    std::string root_host = host;
    boost::mpi::broadcast(comm, root_host, 0);
    int same = host == root_host ? 1 : 0;
    int all_same = 0;
    boost::mpi::all_reduce(comm, same, all_same, boost::mpi::minimum<int>());
    if (all_same == 1) return std::make_unique<DynamicDealer>(comm, plan, threads);
    return std::make_unique<MessageDealer>(comm, plan, threads);
  }
  return std::make_unique<StaticDealer>(
      plan, owned_blocks(plan.blocks(), comm.size(), comm.rank(), distribution));
}

}  // namespace hpar
