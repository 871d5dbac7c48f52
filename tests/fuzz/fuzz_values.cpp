// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: the option value parsers (parse_count, parse_size, parse_int, parse_real, split)
// and the quoting of values in messages. Every input is either a value or a UsageError; an
// accepted value prints and reads back to itself; a quoted value has no control character (nor
// a bidirectional one) and
// a bounded length.

#include <cmath>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/parse.hpp"

using hpar::fuzz::require;

namespace {

void check_quoting(const std::string& text) {
  const std::string quoted = hpar::quote_for_message(text);
  require(quoted.size() <= 80 + 40, "a quoted value is short");
  for (const char c : quoted) {
    const auto u = static_cast<unsigned char>(c);
    require(u >= 0x20 && u != 0x7F, "a quoted value has no control character");
  }
  for (const char* bidi : {"\xd8\x9c", "\xe2\x80\x8e", "\xe2\x80\x8f", "\xe2\x80\xaa",
                           "\xe2\x80\xab", "\xe2\x80\xac", "\xe2\x80\xad", "\xe2\x80\xae",
                           "\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8", "\xe2\x81\xa9"}) {
    require(quoted.find(bidi) == std::string::npos, "a quoted value has no bidirectional control");
  }
  const std::string line = hpar::one_line_message(text, 200);
  require(line.find('\n') == std::string::npos, "a message is one line");
}

void check_numbers(const std::string& text) {
  try {
    const std::uint64_t v = hpar::parse_count(text, "--n");
    require(hpar::parse_count(std::to_string(v), "--n") == v, "a count reads back");
  } catch (const hpar::UsageError&) {
  }
  try {
    const std::int64_t v = hpar::parse_int(text, "--n");
    require(hpar::parse_int(std::to_string(v), "--n") == v, "an int reads back");
    if (v >= 0 && !text.empty() && text[0] != '+' && text[0] != '-') {
      require(hpar::parse_count(text, "--n") == static_cast<std::uint64_t>(v),
              "an unsigned int reads as the same count");
    }
  } catch (const hpar::UsageError&) {
  }
  try {
    (void)hpar::parse_size(text, "--bytes");
  } catch (const hpar::UsageError&) {
  }
  try {
    require(std::isfinite(hpar::parse_real(text, "--x")), "a real is finite");
  } catch (const hpar::UsageError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = hpar::fuzz::text_of(data, size);
  check_quoting(text);
  check_numbers(text);
  std::size_t joined = 0;
  const auto parts = hpar::split(text, ',');
  for (const auto part : parts) joined += part.size();
  require(joined + parts.size() - 1 == text.size(), "split keeps every byte but the commas");
  return 0;
}
