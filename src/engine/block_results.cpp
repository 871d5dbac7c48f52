// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/engine/block_results.hpp"

#include <algorithm>
#include <string>

#include "hpar/core/errors.hpp"

namespace hpar {

BlockScratch::BlockScratch(const WorkPlan& plan)
    : reals_(plan.real_partials, 0.0),
      counts_(plan.count_partials, 0),
      ordered_(plan.ordered_output),
      records_(plan.block_records) {}

BlockOutput BlockScratch::prepare(bool last_pass, ThreadState* state) {
  std::fill(reals_.begin(), reals_.end(), 0.0);
  std::fill(counts_.begin(), counts_.end(), 0);
  bytes_.clear();
  record_.clear();
  BlockOutput out;
  if (last_pass) {
    out.reals = reals_;
    out.counts = counts_;
    if (ordered_) out.bytes = &bytes_;
    if (records_) out.record = &record_;
  }
  out.state = state;
  return out;
}

const std::string& BlockScratch::record() const {
  if (record_.size() > max_block_record) {
    throw RuntimeError("internal error: a job wrote a block record of " +
                       std::to_string(record_.size()) + " bytes (at most " +
                       std::to_string(max_block_record) + ")");
  }
  return record_;
}

void PartialLog::append(std::uint64_t block, std::span<const double> block_reals,
                        std::span<const std::uint64_t> block_counts, std::string_view record) {
  blocks.push_back(block);
  reals.insert(reals.end(), block_reals.begin(), block_reals.end());
  counts.insert(counts.end(), block_counts.begin(), block_counts.end());
  record_sizes.push_back(record.size());
  records += record;
}

void PartialLog::append(const PartialLog& other) {
  blocks.insert(blocks.end(), other.blocks.begin(), other.blocks.end());
  reals.insert(reals.end(), other.reals.begin(), other.reals.end());
  counts.insert(counts.end(), other.counts.begin(), other.counts.end());
  record_sizes.insert(record_sizes.end(), other.record_sizes.begin(), other.record_sizes.end());
  records += other.records;
}

void place_partials(const WorkPlan& plan, const PartialLog& log, Gathered& gathered) {
  const std::uint64_t blocks = plan.blocks();
  const std::size_t nr = plan.real_partials;
  const std::size_t nc = plan.count_partials;
  if (log.size() != blocks || log.reals.size() != blocks * nr || log.counts.size() != blocks * nc ||
      log.record_sizes.size() != blocks) {
    throw RuntimeError("internal error: " + std::to_string(log.size()) + " blocks finished, " +
                       std::to_string(blocks) + " planned");
  }
  gathered.blocks = blocks;
  gathered.reals.assign(blocks * nr, 0.0);
  gathered.counts.assign(blocks * nc, 0);
  gathered.records.assign(plan.block_records ? blocks : 0, std::string());
  std::vector<bool> seen(blocks, false);
  std::uint64_t record_at = 0;
  for (std::size_t i = 0; i < log.size(); ++i) {
    const std::uint64_t b = log.blocks[i];
    if (b >= blocks || seen[b]) {
      throw RuntimeError("internal error: block " + std::to_string(b) + " finished twice");
    }
    seen[b] = true;
    std::copy_n(log.reals.begin() + static_cast<std::ptrdiff_t>(i * nr), nr,
                gathered.reals.begin() + static_cast<std::ptrdiff_t>(b * nr));
    std::copy_n(log.counts.begin() + static_cast<std::ptrdiff_t>(i * nc), nc,
                gathered.counts.begin() + static_cast<std::ptrdiff_t>(b * nc));
    const std::uint64_t size = log.record_sizes[i];
    if (size > log.records.size() - record_at) {
      throw RuntimeError("internal error: the blocks' records are shorter than their sizes say");
    }
    if (plan.block_records) gathered.records[b] = log.records.substr(record_at, size);
    record_at += size;
  }
}

}  // namespace hpar
