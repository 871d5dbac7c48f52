#include "ordered_output.hpp"

#include <algorithm>
#include <numeric>

#include "hpar/core/errors.hpp"
#include "hpar/engine/gather.hpp"

namespace hpar {

void OrderedOutput::put(std::uint64_t block, std::string&& bytes) {
  const std::lock_guard<std::mutex> lock(mutex_);
  blocks_.emplace_back(block, std::move(bytes));
}

std::string OrderedOutput::join(const boost::mpi::communicator& comm, const WorkPlan& plan) {
  std::sort(blocks_.begin(), blocks_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::uint64_t> index;
  std::vector<std::uint64_t> sizes;
  std::vector<std::string> pieces;
  for (auto& [block, bytes] : blocks_) {
    index.push_back(block);
    sizes.push_back(bytes.size());
    pieces.push_back(std::move(bytes));
  }
  blocks_.clear();
  std::string all = gather_pieces(comm, pieces);
  std::vector<std::string>().swap(pieces);
  const auto all_index = gather_values<std::uint64_t>(comm, index);
  const auto all_sizes = gather_values<std::uint64_t>(comm, sizes);
  if (comm.rank() != 0) return {};
  // Rank order -> block order: where each block's bytes start in `all`.
  std::vector<std::uint64_t> source(plan.blocks(), 0);
  std::vector<std::uint64_t> size(plan.blocks(), 0);
  std::uint64_t offset = 0;
  for (std::size_t k = 0; k < all_index.size(); ++k) {
    const std::uint64_t b = all_index[k];
    if (b >= plan.blocks()) throw RuntimeError("internal error: ordered output of a stray block");
    source[b] = offset;
    size[b] = all_sizes[k];
    offset += all_sizes[k];
  }
  if (std::is_sorted(all_index.begin(), all_index.end())) return all;  // block distribution
  std::string out;
  out.reserve(all.size());
  for (std::uint64_t b = 0; b < plan.blocks(); ++b) out.append(all, source[b], size[b]);
  return out;
}

}  // namespace hpar
