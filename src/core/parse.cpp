#include "hpar/core/parse.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>

#include "hpar/core/errors.hpp"

namespace hpar {
namespace {

[[noreturn]] void bad(std::string_view option, std::string_view text, std::string_view want) {
  throw UsageError("bad value '" + std::string(text) + "' for " + std::string(option) + ": " +
                   std::string(want));
}

}  // namespace

std::uint64_t parse_count(std::string_view text, std::string_view option) {
  constexpr std::string_view want = "expected a whole number >= 0 (e.g. 1000000 or 1e6)";
  if (text.empty() || text.front() == '-' || text.front() == '+') bad(option, text, want);
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && ptr == text.data() + text.size()) return value;
  if (ec == std::errc::result_out_of_range) bad(option, text, "too large (at most 2^64-1)");
  // Scientific notation: accept only an exact whole value that fits.
  double real = 0.0;
  const auto [rptr, rec] = std::from_chars(text.data(), text.data() + text.size(), real);
  if (rec != std::errc() || rptr != text.data() + text.size() || !std::isfinite(real) || real < 0 ||
      real != std::floor(real)) {
    bad(option, text, want);
  }
  if (real >= 18446744073709551616.0) bad(option, text, "too large (at most 2^64-1)");
  if (real > 9007199254740992.0) bad(option, text, "write numbers above 2^53 in digits");
  return static_cast<std::uint64_t>(real);
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
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec == std::errc::invalid_argument || ptr != digits.data() + digits.size()) {
    bad(option, text, "expected a whole number");
  }
  if (ec == std::errc::result_out_of_range) bad(option, text, "outside the 64-bit integer range");
  return value;
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

std::vector<std::int64_t> read_integers(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw UsageError("cannot read input file '" + path + "'");
  std::vector<std::int64_t> values;
  std::string line;
  for (std::uint64_t number = 1; std::getline(file, line); ++number) {
    const auto hash = line.find('#');
    std::string_view text(line.data(), hash == std::string::npos ? line.size() : hash);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
      text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
      text.remove_suffix(1);
    if (text.empty()) continue;
    try {
      values.push_back(parse_int(text, "an input"));
    } catch (const UsageError&) {
      throw UsageError(path + ":" + std::to_string(number) + ": '" + std::string(text) +
                       "' is not a 64-bit integer");
    }
  }
  if (file.bad()) throw UsageError("error reading input file '" + path + "'");
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
