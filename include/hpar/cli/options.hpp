// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// A subcommand's command line, parsed the same way for every command (one parser, one refusal
/// of stray words, the same messages), and the option values several commands share.

#include <boost/program_options.hpp>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hpar {

/// How parse_options treats what on a command line is not one of the command's options.
struct OptionRules {
  /// The command takes positional words (paths, study files): they land in
  /// ParsedOptions::words, in order. When false a stray word is a usage error.
  bool words = false;
  /// With `words`: how many at most (more is a usage error, as a stray word is).
  std::size_t most_words = static_cast<std::size_t>(-1);
  /// After the command line, read the INI file named by --config (which the options must
  /// declare) with the same option names; what the command line gives wins.
  bool config_file = false;
  /// Options that are not the command's, and every word, are passed on in order
  /// (ParsedOptions::passed_on) instead of refused. Abbreviated option names are then not
  /// accepted, so that no passed-on option is taken for one of the command's.
  bool pass_on_unknown = false;
};

/// A parsed subcommand command line.
struct ParsedOptions {
  boost::program_options::variables_map vm;  ///< the options given, and the defaults
  std::vector<std::string> words;            ///< positional words (OptionRules::words)
  std::vector<std::string> passed_on;        ///< tokens not ours (OptionRules::pass_on_unknown)
};

/// Parses `args` (the words after the command's name) against `options` by `rules`, the same
/// way on every rank. Throws UsageError: unknown option, missing or repeated value, a stray
/// word, a --config that is not a readable regular file, two outputs naming one file
/// (refuse_shared_outputs). What the user typed is quoted with quote_for_message.
[[nodiscard]] ParsedOptions parse_options(
    std::span<const std::string> args, const boost::program_options::options_description& options,
    const OptionRules& rules = {});

/// Throws UsageError when two options that name files hpar writes (--output, --report-json,
/// --trace, --image, --json, --csv, --plot) lead to the same file (output_identity: links
/// followed), "-" and character devices such as /dev/null aside. Checked before anything runs.
void refuse_shared_outputs(const boost::program_options::variables_map& vm);

/// The whole number option --NAME, which must lie in [low, high]. Throws UsageError ("--NAME
/// must be between LOW and HIGH", or the parse error of a value that is not a count).
[[nodiscard]] std::uint64_t count_option(const boost::program_options::variables_map& vm,
                                         const std::string& name, std::uint64_t low,
                                         std::uint64_t high);

/// Threads per rank: --threads T (1 to 4096) when given, else default_threads(). Throws
/// UsageError.
[[nodiscard]] int threads_option(const boost::program_options::variables_map& vm);

/// Counts given as comma lists ("1,2,4"; several texts add up): the distinct values in
/// ascending order, each in [1, most]. Throws UsageError naming `option` and the bad value.
[[nodiscard]] std::vector<int> count_list(const std::vector<std::string>& texts,
                                          const std::string& option, int most);

/// Writes `bytes` to `path` with write_file_atomically; a failure that a stop signal caused
/// (an open or write interrupted: a FIFO nobody reads, a slow device) is Error exit 4, "stopped
/// by a signal while PATH was written: not written". Throws what write_file_atomically throws.
void write_output(const std::string& path, std::string_view bytes);

/// Writes the file that option --NAME names (atomically), with the text `make` returns, when
/// the option was given and no stop signal has come (an output phase stops at the next file:
/// what was not begun is not written). Returns whether it wrote; does not call `make` when it
/// does not. Throws what write_file_atomically throws.
bool write_if_asked(const boost::program_options::variables_map& vm, const std::string& name,
                    const std::function<std::string()>& make);

}  // namespace hpar
