#pragma once
/// Text forms of numbers that results and reports share.

#include <string>

namespace hpar {

/// Formats a double with 17 significant digits (round-trips exactly).
[[nodiscard]] std::string format_exact(double value);

}  // namespace hpar
