// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/core/parse.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <limits>
#include <string>

#include "hpar/core/errors.hpp"
#include "hpar/core/stop.hpp"

namespace hpar {
namespace {

[[noreturn]] void bad(std::string_view option, std::string_view text, std::string_view want) {
  throw UsageError("bad value " + quote_for_message(text) + " for " + std::string(option) + ": " +
                   std::string(want));
}

/// What exact_whole found.
enum class Whole { ok, not_a_number, fraction, too_large };

/// Reads DIGITS[.DIGITS][(e|E)[+|-]DIGITS] (at least one mantissa digit, no sign, no spaces) as
/// an exact whole number into `value`: "1e9", "2.5e3" and "1000" are whole, "1.5" and "1e-3"
/// are fractions, "2e19" too large. Decimal arithmetic, no rounding through a double.
Whole exact_whole(std::string_view text, std::uint64_t& value) {
  std::size_t i = 0;
  std::string digits;      // significant digits of the mantissa, leading zeros dropped
  std::int64_t shift = 0;  // value = digits x 10^shift
  bool any = false;
  bool point = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    any = true;
    if (!digits.empty() || c != '0') digits += c;
    if (point) --shift;
  }
  if (!any) return Whole::not_a_number;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    const bool negative = i < text.size() && text[i] == '-';
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    if (i == text.size()) return Whole::not_a_number;
    std::int64_t exponent = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      exponent = std::min<std::int64_t>(exponent * 10 + (text[i] - '0'), 1'000'000);
    }
    shift += negative ? -exponent : exponent;
  }
  if (i != text.size()) return Whole::not_a_number;
  value = 0;
  if (digits.empty()) return Whole::ok;  // zero, however written
  while (digits.back() == '0') {
    digits.pop_back();
    ++shift;
  }
  if (shift < 0) return Whole::fraction;
  if (static_cast<std::int64_t>(digits.size()) + shift > 20) return Whole::too_large;
  constexpr std::uint64_t most = std::numeric_limits<std::uint64_t>::max();
  const auto times_ten_plus = [&](std::uint64_t add) {
    if (value > (most - add) / 10) return false;
    value = value * 10 + add;
    return true;
  };
  for (const char c : digits) {
    if (!times_ten_plus(static_cast<std::uint64_t>(c - '0'))) return Whole::too_large;
  }
  for (std::int64_t k = 0; k < shift; ++k) {
    if (!times_ten_plus(0)) return Whole::too_large;
  }
  return Whole::ok;
}

}  // namespace

std::uint64_t parse_count(std::string_view text, std::string_view option) {
  constexpr std::string_view want = "expected a whole number >= 0 (e.g. 1000000 or 1e6)";
  std::uint64_t value = 0;
  switch (exact_whole(text, value)) {
    case Whole::ok:
      return value;
    case Whole::too_large:
      bad(option, text, "too large (at most 2^64-1)");
    default:
      bad(option, text, want);
  }
}

std::uint64_t parse_size(std::string_view text, std::string_view option) {
  struct Suffix {
    std::string_view name;
    std::uint64_t factor;
  };
  constexpr Suffix suffixes[] = {{"Ki", 1ULL << 10},   {"Mi", 1ULL << 20},     {"Gi", 1ULL << 30},
                                 {"Ti", 1ULL << 40},   {"k", 1000ULL},         {"M", 1000000ULL},
                                 {"G", 1000000000ULL}, {"T", 1000000000000ULL}};
  std::uint64_t factor = 1;
  std::string_view digits = text;
  for (const auto& s : suffixes) {
    if (digits.size() > s.name.size() && digits.ends_with(s.name)) {
      digits.remove_suffix(s.name.size());
      factor = s.factor;
      break;
    }
  }
  const std::uint64_t value = parse_count(digits, option);
  if (value != 0 && factor > UINT64_MAX / value) bad(option, text, "too large (at most 2^64-1)");
  return value * factor;
}

std::int64_t parse_int(std::string_view text, std::string_view option) {
  std::string_view digits = text;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) digits.remove_prefix(1);
  std::uint64_t magnitude = 0;
  const Whole whole = exact_whole(digits, magnitude);
  if (whole == Whole::not_a_number || whole == Whole::fraction) {
    bad(option, text, "expected a whole number (e.g. -12, 1000000 or 1e6)");
  }
  constexpr auto largest = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (whole == Whole::too_large || magnitude > largest + (negative ? 1 : 0)) {
    bad(option, text, "outside the 64-bit integer range");
  }
  if (!negative) return static_cast<std::int64_t>(magnitude);
  return magnitude == largest + 1 ? std::numeric_limits<std::int64_t>::min()
                                  : -static_cast<std::int64_t>(magnitude);
}

double parse_real(std::string_view text, std::string_view option) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  double value = 0.0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() ||
      !std::isfinite(value)) {
    bad(option, text, "expected a finite real number");
  }
  return value;
}

void for_each_integer(const std::string& path, const std::function<void(std::int64_t)>& take) {
  std::ifstream file(path);
  if (!file) throw UsageError("cannot read input file " + quote_for_message(path));
  std::string line;
  for (std::uint64_t number = 1; std::getline(file, line); ++number) {
    if (number % 65536 == 0 && stop_requested()) {  // a file of GBs takes seconds
      throw Error(ExitCode::interrupted,
                  "stopped by a signal while " + quote_for_message(path) + " was read");
    }
    const auto hash = line.find('#');
    std::string_view text(line.data(), hash == std::string::npos ? line.size() : hash);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
      text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
      text.remove_suffix(1);
    if (text.empty()) continue;
    std::int64_t value = 0;
    try {
      value = parse_int(text, "an input");
    } catch (const UsageError&) {
      throw UsageError(one_line_message(path, 200) + ":" + std::to_string(number) + ": " +
                       quote_for_message(text) + " is not a 64-bit integer");
    }
    take(value);
  }
  if (file.bad()) throw UsageError("error reading input file " + quote_for_message(path));
}

std::vector<std::int64_t> read_integers(const std::string& path) {
  std::vector<std::int64_t> values;
  for_each_integer(path, [&](std::int64_t v) { values.push_back(v); });
  return values;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    const auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

}  // namespace hpar
