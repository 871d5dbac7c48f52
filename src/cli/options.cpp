// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/cli/options.hpp"

#include <boost/any.hpp>
#include <fstream>
#include <set>
#include <string_view>

#include "hpar/core/errors.hpp"
#include "hpar/core/files.hpp"
#include "hpar/core/parse.hpp"
#include "hpar/engine/signals.hpp"
#include "hpar/platform/layout.hpp"
#include "hpar/study/plot.hpp"

namespace po = boost::program_options;

namespace hpar {
namespace {

/// The options, of any command or job, whose value names a file hpar writes.
constexpr std::string_view output_options[] = {
    "output", "report-json", "trace", "image", "json", "csv", "plot", "joblog", "status-file"};

/// Reads the INI file named by --config into `vm` (values the command line gave stay).
void read_config_file(const po::options_description& options, po::variables_map& vm) {
  if (vm.count("config") == 0U) return;
  const auto path = vm["config"].as<std::string>();
  require_readable_file(path, "--config");
  std::ifstream file(path);
  if (!file) throw UsageError("cannot read --config " + quote_for_message(path));
  po::store(po::parse_config_file(file, options), vm);
}

/// A Boost.Program_options error as one line that quotes what the user typed. The message is
/// made here from the error's parts: Boost's what() fills its templates by search and replace
/// until no placeholder is left, so a value holding one ("%invalid_line%" in a config file)
/// makes it loop forever (Boost 1.74; found by tests/fuzz/fuzz_config.cpp).
std::string option_error(const po::error& e) {
  if (const auto* unknown = dynamic_cast<const po::unknown_option*>(&e)) {
    return "unknown option " + quote_for_message(unknown->get_option_name());
  }
  if (const auto* ambiguous = dynamic_cast<const po::ambiguous_option*>(&e)) {
    return "ambiguous option " + quote_for_message(ambiguous->get_option_name());
  }
  if (const auto* line = dynamic_cast<const po::invalid_config_file_syntax*>(&e)) {
    return "bad line " + quote_for_message(line->tokens()) +
           " in the --config file: expected NAME = VALUE";
  }
  if (const auto* syntax = dynamic_cast<const po::invalid_syntax*>(&e)) {
    const std::string name = quote_for_message(syntax->get_option_name());
    switch (syntax->kind()) {
      case po::invalid_syntax::missing_parameter:
        return "the required argument for option " + name + " is missing";
      case po::invalid_syntax::extra_parameter:
        return "option " + name + " takes no value";
      default:
        return "bad syntax of option " + name;
    }
  }
  if (const auto* repeated = dynamic_cast<const po::multiple_occurrences*>(&e)) {
    return "option " + quote_for_message(repeated->get_option_name()) + " given more than once";
  }
  if (const auto* named = dynamic_cast<const po::error_with_option_name*>(&e)) {
    return "bad use of option " + quote_for_message(named->get_option_name());
  }
  return one_line_message(e.what(), 300);  // no placeholders: a plain message
}

/// The command line without the words: they are taken out of `parsed` into `words`.
void take_words(const po::parsed_options& parsed, std::vector<std::string>& words) {
  for (const auto& option : parsed.options) {
    // A word has no option name (no positional description is given, so none is assigned).
    if (option.position_key != -1 && option.string_key.empty()) {
      words.insert(words.end(), option.value.begin(), option.value.end());
    }
  }
}

}  // namespace

ParsedOptions parse_options(std::span<const std::string> args,
                            const po::options_description& options, const OptionRules& rules) {
  ParsedOptions out;
  const std::vector<std::string> list(args.begin(), args.end());
  try {
    if (rules.pass_on_unknown) {
      const auto parsed = po::command_line_parser(list)
                              .options(options)
                              .allow_unregistered()
                              .style(po::command_line_style::default_style &
                                     ~po::command_line_style::allow_guessing)
                              .run();
      po::store(parsed, out.vm);
      out.passed_on = po::collect_unrecognized(parsed.options, po::include_positional);
    } else {
      // Without a positional description the parser keeps words unnamed, and store() skips
      // them: they are taken here, so that none is silently ignored.
      const auto parsed = po::command_line_parser(list).options(options).run();
      take_words(parsed, out.words);
      if (out.words.size() > (rules.words ? rules.most_words : 0)) {
        const auto& stray = out.words[rules.words ? rules.most_words : 0];
        throw UsageError("unexpected word " + quote_for_message(stray) + " on the command line" +
                         (rules.words ? "" : " (this command takes no words)"));
      }
      po::store(parsed, out.vm);
    }
    if (rules.config_file) read_config_file(options, out.vm);
    po::notify(out.vm);
  } catch (const po::error& e) {
    throw UsageError(option_error(e));
  }
  refuse_shared_outputs(out.vm);
  return out;
}

void refuse_shared_outputs(const po::variables_map& vm) {
  std::vector<std::pair<std::string, std::string>> seen;  // identity, option
  for (const auto name : output_options) {
    const auto it = vm.find(std::string(name));
    if (it == vm.end() || it->second.empty()) continue;
    const auto* path = boost::any_cast<std::string>(&it->second.value());
    if (path == nullptr) continue;
    refuse_broken_link(*path);
    const std::string identity = output_identity(*path);
    if (identity.empty()) continue;
    for (const auto& [other, option] : seen) {
      if (other == identity) {
        throw UsageError("--" + option + " and --" + std::string(name) + " name the same file " +
                         quote_for_message(*path) + ": give each output a file of its own");
      }
    }
    seen.emplace_back(identity, std::string(name));
  }
  // A study's image: its format is known by its name before the study runs.
  if (const auto it = vm.find("plot"); it != vm.end() && !it->second.empty()) {
    if (const auto* path = boost::any_cast<std::string>(&it->second.value())) {
      (void)image_format_for(*path);
    }
  }
}

std::uint64_t count_option(const po::variables_map& vm, const std::string& name, std::uint64_t low,
                           std::uint64_t high) {
  const std::string option = "--" + name;
  const auto value = parse_count(vm[name].as<std::string>(), option);
  if (value < low || value > high) {
    throw UsageError(option + " must be between " + std::to_string(low) + " and " +
                     std::to_string(high));
  }
  return value;
}

int threads_option(const po::variables_map& vm) {
  if (vm.count("threads") == 0U) return default_threads();
  return static_cast<int>(count_option(vm, "threads", 1, 4096));
}

std::vector<int> count_list(const std::vector<std::string>& texts, const std::string& option,
                            int most) {
  std::set<int> values;
  for (const auto& text : texts) {
    for (const auto field : split(text, ',')) {
      const auto v = parse_count(field, option);
      if (v < 1 || v > static_cast<std::uint64_t>(most)) {
        throw UsageError("bad value " + quote_for_message(field) + " for " + option +
                         ": expected 1 to " + std::to_string(most));
      }
      values.insert(static_cast<int>(v));
    }
  }
  return {values.begin(), values.end()};
}

bool write_if_asked(const po::variables_map& vm, const std::string& name,
                    const std::function<std::string()>& make) {
  if (vm.count(name) == 0U || stop_requested()) return false;
  write_output(vm[name].as<std::string>(), make());
  return true;
}

void write_output(const std::string& path, std::string_view bytes) {
  try {
    write_file_atomically(path, bytes);
  } catch (const Error&) {
    if (!stop_requested()) throw;  // else the signal interrupted the write (EINTR)
    throw Error(ExitCode::interrupted, "stopped by a signal while " + quote_for_message(path) +
                                           " was written: not written");
  }
}

}  // namespace hpar
