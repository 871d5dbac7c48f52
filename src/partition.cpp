#include "hpar/partition.hpp"

#include <stdexcept>

namespace hpar {

Slice block_partition(std::uint64_t n, int parts, int index) {
  if (parts < 1 || index < 0 || index >= parts) {
    throw std::invalid_argument("block_partition: index must be in [0, parts) with parts >= 1");
  }
  const auto p = static_cast<std::uint64_t>(parts);
  const auto i = static_cast<std::uint64_t>(index);
  const std::uint64_t base = n / p;
  const std::uint64_t extra = n % p;  // the first `extra` parts own base + 1 items
  const std::uint64_t begin = i * base + (i < extra ? i : extra);
  const std::uint64_t size = base + (i < extra ? 1 : 0);
  return {begin, begin + size};
}

}  // namespace hpar
