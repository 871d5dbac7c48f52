#pragma once
/// Text forms of numbers that results and reports share.

#include <string>
#include <string_view>

namespace hpar {

/// Formats a double with 17 significant digits (round-trips exactly).
[[nodiscard]] std::string format_exact(double value);

/// Formats a double with `digits` digits after the point ("12.346" for 12.3456 and 3).
[[nodiscard]] std::string format_fixed(double value, int digits);

/// `word` as a POSIX shell reads it back as one word: unchanged when it holds only safe
/// characters, else in single quotes (a quote inside becomes '\'').
[[nodiscard]] std::string quote_for_shell(std::string_view word);

}  // namespace hpar
