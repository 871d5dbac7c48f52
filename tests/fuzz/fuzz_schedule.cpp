// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: --schedule KIND[,CHUNK] and --distribution. A schedule that parses prints as a
// text that parses to the same schedule; anything else is a UsageError.

#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/partition.hpp"
#include "hpar/platform/layout.hpp"

using hpar::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = hpar::fuzz::text_of(data, size);
  try {
    const hpar::Schedule s = hpar::Schedule::parse(text);
    const hpar::Schedule again = hpar::Schedule::parse(s.to_string());
    require(again.kind == s.kind && again.chunk == s.chunk, "a schedule reads back");
  } catch (const hpar::UsageError&) {
  }
  try {
    const hpar::Distribution d = hpar::parse_distribution(text);
    require(hpar::parse_distribution(hpar::to_string(d)) == d, "a distribution reads back");
  } catch (const hpar::UsageError&) {
  }
  return 0;
}
