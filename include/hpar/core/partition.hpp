// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Balanced block partition of work items [0, n) over a number of parts.

#include <cstdint>
#include <string>
#include <string_view>

namespace hpar {

/// A half-open range [begin, end) of global item (or block) indices.
struct Slice {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  /// Number of indices in the slice.
  [[nodiscard]] std::uint64_t size() const noexcept { return end - begin; }
  [[nodiscard]] bool empty() const noexcept { return end == begin; }
  friend bool operator==(const Slice&, const Slice&) = default;
};

/// The slice part `index` of `parts` owns: the first n % parts parts get one extra item,
/// so sizes differ by at most one and the slices tile [0, n) in order. Exact for every
/// 64-bit n (no overflow), n = 0 and n < parts (some slices are then empty).
/// Throws std::invalid_argument if parts < 1 or index is not in [0, parts).
[[nodiscard]] Slice block_partition(std::uint64_t n, int parts, int index);

/// How a job's blocks are dealt to ranks (`--distribution`).
enum class Distribution {
  block,    ///< contiguous slices (block_partition of the blocks): the default
  cyclic,   ///< block b to rank b % ranks: spreads a load that varies along the items
  dynamic,  ///< ranks take chunks of blocks at run time as they become free (self-scheduling)
};

/// Parses "block", "cyclic" or "dynamic"; throws UsageError otherwise.
[[nodiscard]] Distribution parse_distribution(std::string_view text);
/// "block", "cyclic" or "dynamic".
[[nodiscard]] std::string to_string(Distribution d);

/// The blocks one rank owns, ascending: first, first + stride, ... (count of them).
struct BlockSet {
  std::uint64_t first = 0;
  std::uint64_t count = 0;
  std::uint64_t stride = 1;
  /// The i-th block this rank owns.
  [[nodiscard]] std::uint64_t operator[](std::uint64_t i) const noexcept {
    return first + i * stride;
  }
};

/// The blocks part `index` of `parts` owns among `blocks`, dealt as `d` says (block or cyclic).
/// Throws std::invalid_argument like block_partition, and for the dynamic distribution.
[[nodiscard]] BlockSet owned_blocks(std::uint64_t blocks, int parts, int index, Distribution d);

}  // namespace hpar
