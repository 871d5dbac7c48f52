// SPDX-License-Identifier: BSD-3-Clause
// A run's identity for checkpoints: the job's options, each counted by its rule (a number by
// its parsed value, an input file by its content, an option that changes no result not at all).
#include <sys/stat.h>

#include <array>
#include <boost/any.hpp>
#include <boost/program_options.hpp>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "hpar/cli/identity.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/files.hpp"
#include "hpar/core/format.hpp"
#include "hpar/core/parse.hpp"
#include "hpar/core/stop.hpp"

namespace po = boost::program_options;

namespace hpar {

namespace {

/// FNV-1a (64 bits) of a file's bytes, read in pieces: "fnv1a64:HEX". A path that is not a
/// regular file (a FIFO, standard input) cannot be read twice: it counts by its path.
std::string content_hash(const std::string& path, std::string_view option) {
  struct stat st {};
  if (path == "-" || (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))) {
    return "path " + path;
  }
  require_readable_file(path, option);
  std::ifstream in(path, std::ios::binary);
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  std::array<char, 1 << 16> buffer{};
  while (in) {
    if (stop_requested()) {  // a file of GBs takes seconds
      throw Error(ExitCode::interrupted,
                  "stopped by a signal while " + quote_for_message(path) + " was read");
    }
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    for (std::size_t i = 0; i < got; ++i) {
      hash = (hash ^ static_cast<unsigned char>(buffer[i])) * 0x100000001b3ULL;
    }
  }
  if (in.bad()) {
    throw UsageError("cannot read " + std::string(option) + " " + quote_for_message(path) + ": " +
                     std::strerror(errno));
  }
  std::array<char, 17> hex{};
  const auto end = std::to_chars(hex.data(), hex.data() + hex.size(), hash, 16).ptr;
  return "fnv1a64:" + std::string(hex.data(), end);
}

/// The shortest text that reads back as the same double.
std::string real_text(double value) {
  std::array<char, 32> text{};
  const auto end = std::to_chars(text.data(), text.data() + text.size(), value).ptr;
  return {text.data(), end};
}

/// Each integer of a list or range as parse_int reads it, separators kept.
std::string integers_text(const std::string& text, std::string_view option) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find_first_of(",:", start);
    const std::string_view field =
        std::string_view(text).substr(start, end == std::string::npos ? end : end - start);
    out += std::to_string(parse_int(field, option));
    if (end == std::string::npos) return out;
    out += text[end];
    start = end + 1;
  }
}

/// An option's value as text: a string as given, a list one item a line.
std::string option_text(const po::variable_value& value) {
  if (const auto* text = boost::any_cast<std::string>(&value.value())) return *text;
  std::string out;
  if (const auto* list = boost::any_cast<std::vector<std::string>>(&value.value())) {
    for (const auto& item : *list) out += (out.empty() ? "" : "\n") + item;
    return out;
  }
  return "(set)";
}

}  // namespace

std::string identity_value(IdentityRule rule, std::string_view option, const std::string& text) {
  if (rule == IdentityRule::input_file) return content_hash(text, option);
  try {
    switch (rule) {
      case IdentityRule::count:
        return std::to_string(parse_count(text, option));
      case IdentityRule::integer:
        return std::to_string(parse_int(text, option));
      case IdentityRule::real:
        return real_text(parse_real(text, option));
      case IdentityRule::size:
        return std::to_string(parse_size(text, option));
      case IdentityRule::integers:
        return integers_text(text, option);
      default:
        return text;
    }
  } catch (const UsageError&) {  // the job says what is wrong with it when it is made
    return text;
  }
}

RunIdentity job_identity(const JobInfo& job, const po::variables_map& vm) {
  po::options_description own;
  job.add_options(own);
  for (const auto& [name, rule] : job.identity_rules) {
    if (own.find_nothrow(name, false) == nullptr) {
      throw std::logic_error("job '" + job.name + "' has an identity rule for --" + name +
                             ", an option it does not declare");
    }
  }
  RunIdentity identity;
  for (const auto& option : own.options()) {
    const std::string name = "--" + option->long_name();
    const auto it = vm.find(option->long_name());
    if (it == vm.end() || it->second.empty()) continue;
    IdentityRule rule = IdentityRule::text;
    for (const auto& [ruled, how] : job.identity_rules) {
      if (ruled == option->long_name()) rule = how;
    }
    if (rule == IdentityRule::ignored) continue;
    if (rule != IdentityRule::input_file) {
      identity.values.emplace_back(name, identity_value(rule, name, option_text(it->second)));
      continue;
    }
    const auto* list = boost::any_cast<std::vector<std::string>>(&it->second.value());
    const std::vector<std::string> paths =
        list != nullptr ? *list : std::vector<std::string>{option_text(it->second)};
    std::string hashes;
    std::string quoted;
    for (const auto& path : paths) {
      append_word(hashes, identity_value(rule, name, path));
      quoted += (quoted.empty() ? "" : ", ") + quote_for_message(path);
    }
    identity.values.emplace_back("content of " + name, hashes);
    identity.labels.emplace_back("content of " + name, "the content of " + name + " " + quoted);
  }
  return identity;
}

}  // namespace hpar
