// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/core/partition.hpp"

#include <stdexcept>

#include "hpar/core/errors.hpp"

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

Distribution parse_distribution(std::string_view text) {
  if (text == "block") return Distribution::block;
  if (text == "cyclic") return Distribution::cyclic;
  if (text == "dynamic") return Distribution::dynamic;
  throw UsageError("bad --distribution " + quote_for_message(text) +
                   ": expected block, cyclic or dynamic");
}

std::string to_string(Distribution d) {
  switch (d) {
    case Distribution::block:
      return "block";
    case Distribution::cyclic:
      return "cyclic";
    case Distribution::dynamic:
      break;
  }
  return "dynamic";
}

BlockSet owned_blocks(std::uint64_t blocks, int parts, int index, Distribution d) {
  const Slice slice = block_partition(blocks, parts, index);  // also checks parts and index
  if (d == Distribution::block) return {slice.begin, slice.size(), 1};
  if (d == Distribution::dynamic) {
    throw std::invalid_argument("blocks of the dynamic distribution are dealt at run time");
  }
  const auto p = static_cast<std::uint64_t>(parts);
  const auto i = static_cast<std::uint64_t>(index);
  return {i, blocks > i ? (blocks - i - 1) / p + 1 : 0, p};
}

}  // namespace hpar
