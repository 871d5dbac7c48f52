#include "hpar/core/format.hpp"

#include <iomanip>
#include <sstream>

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

std::string quote_for_shell(std::string_view word) {
  const auto safe = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_-./:=@%+,").find(c) != std::string_view::npos;
  };
  bool plain = !word.empty();
  for (const char c : word) plain = plain && safe(c);
  if (plain) return std::string(word);
  std::string out = "'";
  for (const char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace hpar
