// SPDX-License-Identifier: BSD-3-Clause
// Must not compile: an integer wider than 64 bits cannot be summed in 64 bits exactly.
#include <cstdint>
#include <hpar/hpar.hpp>

__extension__ using int128 = __int128;

auto work() {
  return hpar::reduce_blocks(10, [](hpar::Slice s) { return static_cast<int128>(s.size()); });
}
