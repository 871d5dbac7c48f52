#pragma once
/// Balanced block partition of work items [0, n) over a number of parts.

#include <cstdint>

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

}  // namespace hpar
