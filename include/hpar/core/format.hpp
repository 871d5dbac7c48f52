// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Text forms of numbers that results and reports share.

#include <string>
#include <string_view>

namespace hpar {

/// Formats a double with 17 significant digits (round-trips exactly).
[[nodiscard]] std::string format_exact(double value);

/// Formats a double with `digits` digits after the point ("12.346" for 12.3456 and 3).
[[nodiscard]] std::string format_fixed(double value, int digits);

/// Formats a rate or other measured figure with 4 significant digits, printf's %g form
/// ("1.235e+09" for 1234567890, "12.35" for 12.3456): the metrics jobs report.
[[nodiscard]] std::string format_rate(double value);

/// `text` as one word for a POSIX shell: as it is when it holds only letters, digits and
/// _ . / : = , + @ % -, otherwise in single quotes (a quote inside as '\'').
[[nodiscard]] std::string shell_quote(const std::string& text);

/// Appends `word` to `line`, with a space before it unless `line` is empty: a command line or a
/// list of words built one at a time.
void append_word(std::string& line, std::string_view word);

}  // namespace hpar
