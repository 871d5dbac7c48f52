// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/core/format.hpp"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <sstream>
#include <string_view>

namespace hpar {

std::string format_exact(double value) {
  std::ostringstream o;
  o << std::setprecision(17) << value;
  return o.str();
}

std::string format_fixed(double value, int digits) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(digits) << value;
  return o.str();
}

std::string format_rate(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

std::string shell_quote(const std::string& text) {
  const auto plain = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_./:=,+@%-").find(c) != std::string_view::npos;
  };
  if (!text.empty() && std::all_of(text.begin(), text.end(), plain)) return text;
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

void append_word(std::string& line, std::string_view word) {
  if (!line.empty()) line += ' ';
  line += word;
}

}  // namespace hpar
