// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Where blocks put their results, and how rank 0 puts them back in block order. No MPI here:
/// the serial test driver of the jobs uses the same slicing as the engine, so the two cannot
/// drift apart.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hpar/core/job.hpp"

namespace hpar {

/// One thread's scratch space for the block it computes: zeroed partials and a byte buffer.
class BlockScratch {
 public:
  explicit BlockScratch(const WorkPlan& plan);

  /// The output of the next block: results (partials, ordered bytes) only on the last pass,
  /// always the thread's state. Zeroes the partials and empties the bytes.
  [[nodiscard]] BlockOutput prepare(bool last_pass, ThreadState* state);
  /// The partials the block wrote.
  [[nodiscard]] std::span<const double> reals() const noexcept { return reals_; }
  [[nodiscard]] std::span<const std::uint64_t> counts() const noexcept { return counts_; }
  /// The ordered bytes the block wrote (the caller may move them out).
  [[nodiscard]] std::string& bytes() noexcept { return bytes_; }
  /// The job's record of the block (WorkPlan::block_records). Throws RuntimeError when the job
  /// wrote more than max_block_record bytes.
  [[nodiscard]] const std::string& record() const;

 private:
  std::vector<double> reals_;
  std::vector<std::uint64_t> counts_;
  std::string bytes_;
  std::string record_;
  bool ordered_ = false;
  bool records_ = false;
};

/// Partials of finished blocks in the order they finished: block indices and their values.
/// One thread appends to one log; logs of threads and ranks are concatenated for rank 0.
struct PartialLog {
  std::vector<std::uint64_t> blocks;
  std::vector<double> reals;                ///< blocks.size() x real_partials
  std::vector<std::uint64_t> counts;        ///< blocks.size() x count_partials
  std::vector<std::uint64_t> record_sizes;  ///< blocks.size() sizes (WorkPlan::block_records)
  std::string records;                      ///< the blocks' records, one after another

  /// Records block `block`'s partials and its record (empty unless the job writes records).
  void append(std::uint64_t block, std::span<const double> block_reals,
              std::span<const std::uint64_t> block_counts, std::string_view record = {});
  /// Appends another log (e.g. another thread's) after this one.
  void append(const PartialLog& other);
  /// Blocks recorded.
  [[nodiscard]] std::size_t size() const noexcept { return blocks.size(); }
};

/// Puts logged partials into block order: `reals` and `counts` of `gathered` get one row per
/// block of `plan` (block-major), `records` one string per block when the plan has records. Throws
/// RuntimeError if a block is missing or logged twice, so a lost or doubled block can never fold
/// into a result.
void place_partials(const WorkPlan& plan, const PartialLog& log, Gathered& gathered);

}  // namespace hpar
