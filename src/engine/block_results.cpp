// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/engine/block_results.hpp"

#include <algorithm>

#include "hpar/core/errors.hpp"

namespace hpar {

BlockScratch::BlockScratch(const WorkPlan& plan)
    : reals_(plan.real_partials, 0.0),
      counts_(plan.count_partials, 0),
      ordered_(plan.ordered_output) {}

BlockOutput BlockScratch::prepare(bool last_pass, ThreadState* state) {
  std::fill(reals_.begin(), reals_.end(), 0.0);
  std::fill(counts_.begin(), counts_.end(), 0);
  bytes_.clear();
  BlockOutput out;
  if (last_pass) {
    out.reals = reals_;
    out.counts = counts_;
    if (ordered_) out.bytes = &bytes_;
  }
  out.state = state;
  return out;
}

void PartialLog::append(std::uint64_t block, std::span<const double> block_reals,
                        std::span<const std::uint64_t> block_counts) {
  blocks.push_back(block);
  reals.insert(reals.end(), block_reals.begin(), block_reals.end());
  counts.insert(counts.end(), block_counts.begin(), block_counts.end());
}

void PartialLog::append(const PartialLog& other) {
  blocks.insert(blocks.end(), other.blocks.begin(), other.blocks.end());
  reals.insert(reals.end(), other.reals.begin(), other.reals.end());
  counts.insert(counts.end(), other.counts.begin(), other.counts.end());
}

void place_partials(const WorkPlan& plan, const PartialLog& log, Gathered& gathered) {
  const std::uint64_t blocks = plan.blocks();
  const std::size_t nr = plan.real_partials;
  const std::size_t nc = plan.count_partials;
  if (log.size() != blocks || log.reals.size() != blocks * nr || log.counts.size() != blocks * nc) {
    throw RuntimeError("internal error: " + std::to_string(log.size()) + " blocks finished, " +
                       std::to_string(blocks) + " planned");
  }
  gathered.blocks = blocks;
  gathered.reals.assign(blocks * nr, 0.0);
  gathered.counts.assign(blocks * nc, 0);
  std::vector<bool> seen(blocks, false);
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
  }
}

}  // namespace hpar
