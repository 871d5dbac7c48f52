// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Strict parsing of option values: the whole text must be a number in range, or UsageError.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hpar {

/// A non-negative whole number: digits ("1000000") or scientific notation with an exact
/// whole value ("1e9", "2.5e3", "9.2e18"), read exactly (decimal arithmetic, no double). Throws
/// UsageError naming `option` and the value (quote_for_message) otherwise: signs, garbage,
/// fractions ("1.5", "1e-3"), values above 2^64-1.
[[nodiscard]] std::uint64_t parse_count(std::string_view text, std::string_view option);

/// A size in bytes: a count as parse_count takes it, optionally followed by a binary (Ki, Mi,
/// Gi, Ti) or decimal (k, M, G, T) multiplier: "64Mi", "1e6", "2G". Throws UsageError.
[[nodiscard]] std::uint64_t parse_size(std::string_view text, std::string_view option);

/// A signed 64-bit integer in the forms parse_count takes, with an optional sign ("-12", "+7",
/// "42", "-5e7"). Throws UsageError naming `option` and the value otherwise.
[[nodiscard]] std::int64_t parse_int(std::string_view text, std::string_view option);

/// A finite double ("0.5", "-1e-3", "pi" is not one). Throws UsageError naming `option` otherwise.
[[nodiscard]] double parse_real(std::string_view text, std::string_view option);

/// The integers of a text file, one per line (a 64-bit integer as parse_int takes it); blank
/// lines, white space around a number and `#` comments are skipped. Throws UsageError: the file
/// cannot be read, or "PATH:LINE: 'TEXT' is not a 64-bit integer".
[[nodiscard]] std::vector<std::int64_t> read_integers(const std::string& path);

/// Calls `take` with each integer of the file at `path`, in order (the format of
/// read_integers), without holding them. Throws UsageError like read_integers.
void for_each_integer(const std::string& path, const std::function<void(std::int64_t)>& take);

/// Splits "a,b,c" on commas (empty fields kept, so they can be reported as errors).
[[nodiscard]] std::vector<std::string_view> split(std::string_view text, char separator);

}  // namespace hpar
