// SPDX-License-Identifier: BSD-3-Clause
// farm: the user's own command, once per input, across ranks x threads (a task farm).
//
//     mpirun -np R hpar run farm --threads T [--inputs a,b | --range F:L | --input-file F |
//                                             --args-file F] -- COMMAND [ARG...]
//
// Reference loop: for each input x, in input order: run COMMAND x, print what it printed. The
// farm's standard output is exactly that loop's, byte for byte, on every layout: each task's
// stdout is captured (in a file of the rank's own temporary folder) and becomes the ordered
// bytes of its block, which the engine streams in input order as the tasks finish.
// Work model: one task per block (item); the dynamic distribution (the farm's default) deals
// a rank one task per slot (thread) as it asks (--chunk N: N per slot), the dynamic,1 schedule
// hands them to the rank's threads: every thread is a slot that runs one task at a time.
// A task is started with posix_spawn (hpar/core/process.hpp: own process group, time limit,
// TERM then KILL), never through a shell unless --shell. Its stderr is passed on whole when it
// ends (not interleaved with other tasks' mid-line). A stop request (SIGTERM, a Slurm time
// limit) ends the running tasks; their blocks are not done, so that --checkpoint/--resume
// runs them again.
// --worker: the command starts once per slot (a Worker, hpar/core/process.hpp) and is fed each
// task's input over a pipe, one framed answer per input (docs/workers.md); the answer is the
// block's ordered bytes. A worker that dies, times out or breaks the protocol fails its input
// and is started again for the next one.
// Verify: the farm's answer is its tasks' exit codes: PASS when every task exited 0 (after
// --retries), FAIL (exit code 3) naming how many did not. --joblog FILE records every attempt.

#include "farm.hpp"
#include "farm_drain.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/program_options.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <span>
#include <sstream>
#include <thread>
#include <tuple>

#include "hpar/core/chores.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/files.hpp"
#include "hpar/core/format.hpp"
#include "hpar/core/job.hpp"
#include "hpar/core/machine.hpp"
#include "hpar/core/parse.hpp"
#include "hpar/core/process.hpp"
#include "hpar/core/stop.hpp"

namespace po = boost::program_options;

namespace hpar::jobs {
namespace farm {
namespace {

/// Every line of `path` (a final line without a newline included), a CRLF line's CR taken off;
/// a NUL byte is refused.
std::vector<std::string> read_lines(const std::string& path, const std::string& option) {
  require_readable_file(path, option);
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find('\0') != std::string::npos) {
      throw UsageError("line " + std::to_string(lines.size() + 1) + " of " + option + " " +
                       quote_for_message(path) + " holds a NUL byte");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

/// The values of a `:::: FILE` input source: its lines.
std::vector<std::string> read_source_file(const std::string& path) {
  return read_lines(path, "::::");
}

/// The placeholders, longest first where one is the start of another.
constexpr std::string_view known[] = {"{}", "{#}", "{%}", "{.}", "{/}", "{//}", "{/.}"};

std::string basename_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dirname_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

/// `path` without the extension of its last part ("dir/a.b.c" -> "dir/a.b").
std::string without_extension(const std::string& path) {
  const auto slash = path.rfind('/');
  const auto dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) ||
      dot == (slash == std::string::npos ? 0 : slash + 1)) {
    return path;
  }
  return path.substr(0, dot);
}

/// The placeholder that starts at `text[at]` (its length), or 0. Throws on an unknown one, on
/// a positional one past `columns` (one input source: {1} is the input) and on GNU parallel's
/// `{= perl =}`, which the farm does not run.
std::size_t placeholder_at(std::string_view text, std::size_t at, std::size_t columns) {
  if (text[at] != '{' || (at > 0 && text[at - 1] == '$')) return 0;  // ${1}: the shell's
  if (text.substr(at).starts_with("{=") && text.find("=}", at + 2) != std::string_view::npos) {
    throw UsageError("placeholder " + quote_for_message(text.substr(at)) +
                     ": {= perl expression =} is GNU parallel's and not supported (use --shell "
                     "and the shell, e.g. -- 'echo \"$(basename {} .gz)\"')");
  }
  const auto close = text.find('}', at + 1);
  if (close == std::string_view::npos) return 0;
  const std::string_view inside = text.substr(at + 1, close - at - 1);
  const std::string_view whole = text.substr(at, close - at + 1);
  if (!inside.empty() && inside.find_first_not_of("0123456789") == std::string_view::npos) {
    const bool zero = inside.find_first_not_of('0') == std::string_view::npos;
    if (zero || inside.size() > 9 || std::stoul(std::string(inside)) > columns) {
      throw UsageError("placeholder " + quote_for_message(whole) +
                       (columns <= 1 ? std::string(": there is one input source, so only {1} "
                                                   "(the input)")
                                     : ": the tasks have " + std::to_string(columns) +
                                           " columns, {1} to {" + std::to_string(columns) + "}"));
    }
    return whole.size();
  }
  if (inside.find_first_not_of("#%./") != std::string_view::npos) return 0;  // the command's
  if (std::find(std::begin(known), std::end(known), whole) == std::end(known)) {
    throw UsageError("unknown placeholder " + quote_for_message(whole) +
                     " (known: {} {1} {#} {%} {.} {/} {//} {/.})");
  }
  return whole.size();
}

std::string replacement(std::string_view placeholder, const TaskFields& f) {
  if (placeholder.size() > 2 && placeholder[1] >= '0' && placeholder[1] <= '9') {  // {N}
    const std::size_t n = std::stoul(std::string(placeholder.substr(1, placeholder.size() - 2)));
    if (f.columns == nullptr) return n == 1 ? f.input : std::string();
    return n <= f.columns->size() ? (*f.columns)[n - 1] : std::string();
  }
  if (placeholder == "{}") return f.input;
  if (placeholder == "{#}") return std::to_string(f.number);
  if (placeholder == "{%}") return std::to_string(f.slot);
  if (placeholder == "{.}") return without_extension(f.input);
  if (placeholder == "{/}") return basename_of(f.input);
  if (placeholder == "{//}") return dirname_of(f.input);
  return without_extension(basename_of(f.input));  // {/.}
}

}  // namespace

std::string parallel_quote(const std::string& text) {
  if (text.empty()) return "''";
  const auto plain = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("-_.+/").find(c) != std::string_view::npos;
  };
  if (std::all_of(text.begin(), text.end(), plain)) return text;
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\"'\"'") : std::string(1, c);
  out += "'";
  if (out.starts_with("''")) out.erase(0, 2);  // as parallel: no '' at the ends
  if (out.ends_with("''")) out.erase(out.size() - 2);
  return out;
}

std::string dry_run_word(std::string_view word, const TaskFields& fields, bool shell) {
  // The command's own text as it stands with --shell (a shell line, as GNU parallel takes it);
  // without, a text the shell would change is quoted, so that the line runs what hpar runs.
  const auto literal = [shell](const std::string& text) {
    const bool plain = text.find_first_of(" \t\n'\"\\$`*?[]#~|&;<>(){}!") == std::string::npos;
    return shell || plain ? text : parallel_quote(text);
  };
  if (word.empty()) return shell ? "" : "''";
  const std::size_t columns = fields.columns == nullptr ? 1 : SIZE_MAX;
  std::string out;
  std::string text;  // literal text not yet added
  for (std::size_t i = 0; i < word.size(); ++i) {
    const std::size_t length = placeholder_at(word, i, columns);
    if (length == 0) {
      text += word[i];
      continue;
    }
    // A column past the task's last is nothing at all (GNU parallel's {2} of a short line).
    const std::string_view placeholder = word.substr(i, length);
    const bool missing = fields.columns != nullptr && placeholder[1] >= '1' &&
                         placeholder[1] <= '9' &&
                         std::stoul(std::string(placeholder.substr(1))) > fields.columns->size();
    out += literal(text) + (missing ? "" : parallel_quote(replacement(placeholder, fields)));
    text.clear();
    i += length - 1;
  }
  if (!text.empty()) out += literal(text);
  return out;
}

bool has_placeholder(std::string_view word, std::size_t columns) {
  bool found = false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    const std::size_t length = placeholder_at(word, i, columns);
    if (length != 0) {
      found = true;
      i += length - 1;
    }
  }
  return found;
}

std::string expand(std::string_view word, const TaskFields& fields, bool quote) {
  std::string out;
  const std::size_t columns = fields.columns == nullptr ? 1 : SIZE_MAX;  // checked before the run
  for (std::size_t i = 0; i < word.size(); ++i) {
    const std::size_t length = placeholder_at(word, i, columns);
    if (length == 0) {
      out += word[i];
      continue;
    }
    const std::string value = replacement(word.substr(i, length), fields);
    out += quote ? shell_quote(value) : value;
    i += length - 1;
  }
  return out;
}

std::vector<std::string> task_argv(const std::vector<std::string>& command,
                                   const std::vector<std::string>& arguments,
                                   const TaskFields& fields, bool shell) {
  const std::size_t columns = fields.columns == nullptr ? 1 : SIZE_MAX;
  const bool placeholders = std::any_of(command.begin(), command.end(), [&](const std::string& w) {
    return has_placeholder(w, columns);
  });
  std::vector<std::string> words;
  words.reserve(command.size() + arguments.size());
  for (const auto& word : command) words.push_back(expand(word, fields, shell));
  if (!placeholders) {
    for (const auto& argument : arguments)
      words.push_back(shell ? shell_quote(argument) : argument);
  }
  if (!shell) return words;
  std::string line;
  for (const auto& word : words) append_word(line, word);
  return {"/bin/sh", "-c", line};
}

std::vector<std::vector<std::string>> take_sources(std::vector<std::string>& command) {
  const auto is_mark = [](const std::string& w) { return w == ":::" || w == "::::"; };
  const auto first = std::find_if(command.begin(), command.end(), is_mark);
  std::vector<std::vector<std::string>> sources;
  std::string mark;
  for (auto it = first; it != command.end(); ++it) {
    if (is_mark(*it)) {
      mark = *it;
      if (mark == ":::") sources.emplace_back();
      if (std::next(it) == command.end() || is_mark(*std::next(it))) {
        throw UsageError(mark + " with no " + (mark == ":::" ? "values" : "file") + " after it");
      }
      continue;
    }
    if (mark == ":::") {
      sources.back().push_back(*it);
    } else {  // :::: FILE: each file a source of its lines
      sources.push_back(read_source_file(*it));
    }
  }
  command.erase(first, command.end());
  return sources;
}

std::vector<std::vector<std::string>> combine_sources(
    const std::vector<std::vector<std::string>>& sources, bool link) {
  std::vector<std::vector<std::string>> tasks;
  if (sources.empty()) return tasks;
  std::size_t count = link ? 0 : 1;
  for (const auto& source : sources) {
    count = link ? std::max(count, source.size()) : count * source.size();
    if (count > (std::size_t{1} << 26)) {
      throw UsageError("the input sources make more than 2^26 tasks");
    }
  }
  for (std::size_t t = 0; t < count; ++t) {
    std::vector<std::string> columns(sources.size());
    std::size_t rest = t;
    for (std::size_t k = sources.size(); k-- > 0;) {  // the last source varies fastest
      const auto& source = sources[k];
      columns[k] = source[link ? t % source.size() : rest % source.size()];
      rest /= source.size();
    }
    tasks.push_back(std::move(columns));
  }
  return tasks;
}

std::vector<std::string> split_arguments(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (i + 1 < line.size()) word += line[++i];
    } else if (c == '\'') {
      const auto close = line.find('\'', i + 1);
      if (close == std::string_view::npos) {
        throw UsageError("unterminated ' in " + quote_for_message(line));
      }
      word.append(line.substr(i + 1, close - i - 1));
      i = close;
    } else if (c == '"') {
      std::size_t j = i + 1;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size() &&
            std::string_view("\"\\$`").find(line[j + 1]) != std::string_view::npos) {
          ++j;
        }
        word += line[j];
      }
      if (j >= line.size()) throw UsageError("unterminated \" in " + quote_for_message(line));
      i = j;
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

TaskLauncher task_launcher() {
  TaskLauncher l;
  const char* given = std::getenv("HPAR_TASK_MPIEXEC");
  l.path = given != nullptr && *given != '\0' ? given : HPAR_TASK_MPIEXEC_DEFAULT;
  l.kind = std::string_view(HPAR_TASK_MPI_FLAVOUR) == "mpich" ? TaskLauncher::Kind::mpich
                                                              : TaskLauncher::Kind::open_mpi;
  const char* root = std::getenv("OMPI_ALLOW_RUN_AS_ROOT");
  const char* confirm = std::getenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM");
  l.allow_root = ::geteuid() == 0 && (root == nullptr || confirm == nullptr);
  const char* job = std::getenv("SLURM_JOB_ID");
  l.in_slurm = job != nullptr && *job != '\0';
  return l;
}

std::string rankfile_text(std::uint64_t ranks, std::uint64_t threads,
                          const std::vector<int>& cpus) {
  std::string text;
  for (std::uint64_t r = 0; r < ranks; ++r) {
    text += "rank " + std::to_string(r) + "=localhost slot=";
    for (std::uint64_t c = 0; c < threads; ++c) {
      text += (c == 0 ? "" : ",") + std::to_string(cpus.at(r * threads + c));
    }
    text += "\n";
  }
  return text;
}

std::vector<std::string> task_launcher_words(const TaskLauncher& launcher, std::uint64_t ranks,
                                             std::uint64_t threads, const std::vector<int>& cpus,
                                             const std::string& rankfile) {
  const std::string n = std::to_string(ranks);
  if (launcher.kind == TaskLauncher::Kind::mpich) {
    std::string user = "user:";
    for (std::uint64_t r = 0; r < ranks; ++r) {
      for (std::uint64_t c = 0; c < threads; ++c) {
        user += (c != 0 ? "+" : r != 0 ? "," : "") + std::to_string(cpus.at(r * threads + c));
      }
    }
    std::vector<std::string> words = {launcher.path, "-n", n, "-bind-to", user};
    if (launcher.in_slurm) {  // Hydra would start its proxies through srun, on every node
      words.insert(words.begin() + 1, {"-launcher", "fork", "-hosts", "localhost"});
    }
    return words;
  }
  std::vector<std::string> words = {
      launcher.path, "-np", n, "--rankfile", rankfile, "--mca", "rmaps_rank_file_physical", "1"};
  if (launcher.in_slurm) {  // Slurm's allocation would hold 1 slot a task, its srun all nodes
    words.insert(words.end(), {"--mca", "ras", "^slurm", "--mca", "plm", "^slurm"});
  }
  if (launcher.allow_root) words.emplace_back("--allow-run-as-root");
  return words;
}

}  // namespace farm

namespace {

using farm::TaskFields;

/// What one task's block gives back, as count partials: the task's own fields, then one group
/// per attempt (the attempts it did not need stay zero). The host it ran on is the block's
/// record (WorkPlan::block_records).
namespace field {
constexpr std::size_t attempts = 0;  // attempts made, 1 .. retries + 1
constexpr std::size_t rank = 1;
constexpr std::size_t slot = 2;  // 1-based, as {%}
constexpr std::size_t per_task = 3;
// per attempt, from per_task + attempt * per_attempt:
constexpr std::size_t exit_code = 0;
constexpr std::size_t signal = 1;
constexpr std::size_t end = 2;       // ProcessOutcome::End: 0 exited, 1 signalled, 2 timed out
constexpr std::size_t start_us = 3;  // microseconds since the epoch
constexpr std::size_t runtime_us = 4;
constexpr std::size_t out_bytes = 5;
constexpr std::size_t cpu_us = 6;
constexpr std::size_t leftovers = 7;  // 1: processes of its group ran on after it; ended
constexpr std::size_t per_attempt = 8;
}  // namespace field

constexpr std::uint64_t most_retries = 100;
/// The longest --timeout, in seconds (a year): beyond it a limit means nothing, and a huge one
/// (1e300) would overflow the waits it is turned into.
constexpr double most_timeout_seconds = 365.0 * 24 * 3600;
/// --task-threads and --task-ranks at most (so that R x K never overflows; a node has fewer).
constexpr std::uint64_t most_task_cpus = 1U << 20;

struct Inputs {
  std::vector<std::string> list;               ///< {} of each task
  std::vector<std::vector<std::string>> args;  ///< with --args-file: each task's words
  /// The args are the tasks' columns, {1} {2} ... (::: sources, --colsep, -N): how many.
  bool positional = false;
  std::size_t columns = 1;
  std::string source;  ///< for messages: "--inputs", a file's path
};

Inputs read_inputs(const po::variables_map& vm) {
  const int given = static_cast<int>(vm.count("inputs") + vm.count("range") +
                                     vm.count("input-file") + vm.count("args-file"));
  if (given != 1) {
    throw UsageError(given == 0 ? "no inputs: give --inputs, --range, --input-file or --args-file"
                                : "give one of --inputs, --range, --input-file and --args-file");
  }
  Inputs in;
  if (vm.count("inputs") != 0U) {
    in.source = "--inputs";
    for (const auto field : split(vm["inputs"].as<std::string>(), ',')) {
      in.list.emplace_back(field);
    }
  } else if (vm.count("range") != 0U) {
    in.source = "--range";
    const std::string text = vm["range"].as<std::string>();
    const auto parts = split(text, ':');
    if (parts.size() < 2 || parts.size() > 3) {
      throw UsageError("bad value " + quote_for_message(text) +
                       " for --range: expected FIRST:LAST[:STRIDE]");
    }
    const std::int64_t first = parse_int(parts[0], "--range");
    const std::int64_t last = parse_int(parts[1], "--range");
    const std::int64_t stride = parts.size() == 3 ? parse_int(parts[2], "--range") : 1;
    if (stride <= 0 || last < first) {
      throw UsageError("bad --range " + quote_for_message(text) +
                       ": FIRST <= LAST and a STRIDE of 1 or more");
    }
    const auto count = (static_cast<std::uint64_t>(last) - static_cast<std::uint64_t>(first)) /
                           static_cast<std::uint64_t>(stride) +
                       1;
    if (count > (std::uint64_t{1} << 26)) {
      throw UsageError("--range " + quote_for_message(text) + " makes more than 2^26 tasks");
    }
    for (std::uint64_t i = 0; i < count; ++i) {
      in.list.push_back(std::to_string(static_cast<std::int64_t>(
          static_cast<std::uint64_t>(first) + i * static_cast<std::uint64_t>(stride))));
    }
  } else if (vm.count("input-file") != 0U) {
    in.source = vm["input-file"].as<std::string>();
    in.list = farm::read_lines(in.source, "--input-file");
  } else {
    in.source = vm["args-file"].as<std::string>();
    for (auto& line : farm::read_lines(in.source, "--args-file")) {
      auto words = farm::split_arguments(line);
      if (words.empty()) continue;  // a blank line is no task
      in.list.push_back(std::move(line));
      in.args.push_back(std::move(words));
    }
  }
  if (in.list.empty()) throw UsageError("no inputs in " + quote_for_message(in.source));
  return in;
}

std::uint64_t micros(double seconds) {
  return static_cast<std::uint64_t>(std::llround(std::max(0.0, seconds) * 1e6));
}

/// Standard error is written by one slot at a time (whole lines of one task together).
std::mutex& stderr_mutex() {
  static std::mutex mutex;
  return mutex;
}

/// Writes `text` to standard error in one piece.
void write_stderr(const std::string& text) {
  const std::lock_guard<std::mutex> lock(stderr_mutex());
  std::cout.flush();
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
}

/// --halt WHEN,WHY=N[%] (GNU parallel's): when the tasks that failed (succeeded, or ended
/// either way) reach N, or P % of all the tasks, no new task starts on any rank; `now` also
/// ends the running ones (TERM to their process groups, then KILL), `soon` lets them finish.
struct HaltPolicy {
  enum class Why { never, fail, success, done };
  Why why = Why::never;
  bool now = false;
  std::uint64_t count = 0;  ///< N (0 with a percentage)
  double percent = 0.0;     ///< P, 0 < P <= 100 (0: a count)
  std::string text;         ///< as given, for messages
};

/// Parses --halt: never | now|soon,fail=N|fail=P%|success=N|success=P%|done=N|done=P%, and
/// GNU parallel's old forms 0, 1 (soon,fail=1), 2 (now,fail=1), -1, -2 (success).
HaltPolicy parse_halt(const std::string& given) {
  const std::string hint = "bad --halt " + quote_for_message(given) +
                           ": expected never or now|soon,fail=N|fail=P%|success=N|success=P%|"
                           "done=N|done=P% (e.g. soon,fail=1)";
  const std::map<std::string, std::string> old_forms = {
      {"1", "soon,fail=1"}, {"2", "now,fail=1"}, {"-1", "soon,success=1"}, {"-2", "now,success=1"}};
  HaltPolicy h;
  h.text = given;
  if (given == "never" || given == "0") return h;
  const auto old_form = old_forms.find(given);
  const std::string text = old_form == old_forms.end() ? given : old_form->second;
  const auto comma = text.find(',');
  const auto equals = text.find('=', comma == std::string::npos ? 0 : comma);
  if (comma == std::string::npos || equals == std::string::npos) throw UsageError(hint);
  const std::string when = text.substr(0, comma);
  const std::string why = text.substr(comma + 1, equals - comma - 1);
  std::string value = text.substr(equals + 1);
  if (when != "now" && when != "soon") throw UsageError(hint);
  h.now = when == "now";
  const std::map<std::string, HaltPolicy::Why> whys = {{"fail", HaltPolicy::Why::fail},
                                                       {"success", HaltPolicy::Why::success},
                                                       {"done", HaltPolicy::Why::done}};
  if (whys.count(why) == 0) throw UsageError(hint);
  h.why = whys.at(why);
  try {
    if (value.ends_with('%')) {
      value.pop_back();
      h.percent = parse_real(value, "--halt");
      if (!(h.percent > 0.0 && h.percent <= 100.0)) throw UsageError(hint);
    } else {
      h.count = parse_count(value, "--halt");
      if (h.count == 0) throw UsageError(hint);
    }
  } catch (const UsageError&) {
    throw UsageError(hint);
  }
  return h;
}

struct Settings {
  std::vector<std::string> command;
  bool shell = false;
  bool tag = false;
  std::uint64_t retries = 0;
  double timeout = 0.0;
  std::uint64_t task_threads = 0;    ///< 0: not set
  std::uint64_t task_ranks = 0;      ///< --task-ranks R: each task an R-rank MPI program; 0: not
  std::uint64_t chunk = 1;           ///< tasks dealt per slot at a time
  bool chunk_given = false;          ///< --chunk N given (--worker: a fixed batch, not adaptive)
  bool oversubscribe_tasks = false;  ///< slots x task_threads may exceed the CPUs
  std::string joblog;
  bool worker = false;     ///< --worker: the command runs once per slot, fed the inputs
  bool dry_run = false;    ///< --dry-run: each task's command is its output; nothing runs
  bool unordered = false;  ///< --unordered: each task's output as it finishes
  std::string results;     ///< --results DIR: a folder of each task's outputs
  HaltPolicy halt;
  double task_time = 0.0;    ///< --task-time: a task's expected run time (0: the p90)
  double deadline = -1.0;    ///< --deadline: seconds from the start (0: none; -1: Slurm's)
  double drain_lead = 90.0;  ///< --drain-lead: before a Slurm job's end
};

/// Now, in seconds since the epoch.
double epoch_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// When the tasks must have ended (seconds since the epoch; 0: no drain): --deadline from now,
/// else inside a Slurm job its end less --drain-lead.
double drain_deadline(const Settings& s, const JobContext& context) {
  if (s.deadline >= 0.0) return s.deadline > 0.0 ? epoch_seconds() + s.deadline : 0.0;
  return context.allocation_end > 0.0 ? context.allocation_end - s.drain_lead : 0.0;
}

/// The joblog's End of an attempt (field::end): a task's, then a worker's answers.
constexpr const char* end_names[] = {"exited",          "signalled",       "timed out",
                                     "error",           "protocol error",  "worker died",
                                     "ended by --halt", "not run (--halt)"};
namespace ended {
constexpr std::uint64_t exited = 0;
constexpr std::uint64_t signalled = 1;
constexpr std::uint64_t timed_out = 2;
constexpr std::uint64_t error = 3;     // the worker answered `err`
constexpr std::uint64_t protocol = 4;  // the worker's answer was no frame
constexpr std::uint64_t died = 5;      // the worker ended before it answered
constexpr std::uint64_t halted = 6;    // --halt now ended it while it ran
constexpr std::uint64_t not_run = 7;   // --halt: never started (no attempt; the joblog's line)
}  // namespace ended

/// --worker without --chunk: a slot's batch (the inputs sent to its worker at once) is as many
/// as its worker answered in batch_seconds at the rate of its last batch, at least 1, at most
/// twice the last batch and most_batch (docs/workers.md).
constexpr double batch_seconds = 0.01;
constexpr std::uint64_t most_batch = 512;

/// How many fresh workers of a slot in a row may end or break the protocol before they
/// answered anything, before the farm gives up (a worker that cannot work at all).
constexpr int most_fresh_failures = 3;

class Farm final : public Job {
  struct Slot;  // --worker: a slot's worker and its batch (below)

 public:
  Farm(Settings settings, Inputs inputs, const JobContext& context)
      : s_(std::move(settings)),
        in_(std::move(inputs)),
        rank_(context.rank),
        threads_(context.threads_per_rank),
        ranks_(context.ranks),
        host_(host_name()),
        drain_(s_.worker || s_.dry_run ? 0.0 : drain_deadline(s_, context), s_.task_time,
               s_.timeout) {
    if (s_.task_threads != 0 || s_.task_ranks != 0) share_cpus(context);
    clear_halt_request();  // a halt ends with the run that asked for it
    clear_drain_request();
    if (rank_ == 0 && drain_.active() && drain_.deadline() < epoch_seconds() + 1.0) {
      write_stderr(
          "hpar: note: the farm's deadline (" +
          std::string(s_.deadline >= 0.0 ? "--deadline" : "the Slurm job's end less --drain-lead") +
          ") has passed: " +
          (s_.task_time > 0.0 ? "no task starts" : "each slot starts one task, then drains") +
          "\n");
    }
    halt_at_ = s_.halt.count;
    if (s_.halt.percent > 0.0) {  // of all the tasks, as GNU parallel
      halt_at_ = std::max<std::uint64_t>(
          1, static_cast<std::uint64_t>(
                 std::ceil(s_.halt.percent * static_cast<double>(in_.list.size()) / 100.0)));
    }
    for (int t = 0; s_.worker && t < std::max(threads_, 1); ++t) {
      slots_.push_back(std::make_unique<Slot>());
    }
    // The joblog is checked (and its temporary file made) before any task runs.
    if (rank_ == 0 && !s_.joblog.empty()) joblog_ = std::make_unique<AtomicFile>(s_.joblog);
    // Last: nothing after it throws, so the destructor removes the folder (written here).
    if (s_.task_ranks != 0) write_rankfiles();
  }

  [[nodiscard]] WorkPlan plan() const override {
    WorkPlan p;
    p.items = in_.list.size();
    p.block_items = 1;
    p.count_partials = field::per_task + field::per_attempt * (s_.retries + 1);
    p.block_records = true;
    p.ordered_output = true;
    p.output_as_finished = s_.unordered;
    p.item_unit = "tasks";
    p.deal_per_thread = s_.chunk;
    p.batches = s_.worker;
    std::uint64_t input_bytes = 0;
    for (const auto& input : in_.list) input_bytes += 2 * input.size() + 64;
    p.memory_per_rank = input_bytes;
    return p;
  }

  void prepare(Slice /*items*/) override {
    if (!s_.results.empty()) {  // checked in make(); every rank, where it does not exist yet
      std::error_code ignored;
      std::filesystem::create_directories(s_.results, ignored);
    }
    if (rank_ == 0 && !s_.joblog.empty()) {  // the live joblog, before the first block
      live_fd_ =
          ::open(s_.joblog.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
      live_opened_ = true;
      if (live_fd_ >= 0 && !s_.joblog.ends_with(".jsonl")) {
        (void)!::write(live_fd_, tsv_header, std::strlen(tsv_header));
      }
    }
  }
  Farm(const Farm&) = delete;
  Farm& operator=(const Farm&) = delete;
  ~Farm() override {
    for (auto& slot : slots_) {  // the end of the inputs: each worker exits, or is ended
      if (slot->worker) (void)slot->worker->finish(5.0);
    }
    if (live_fd_ >= 0) ::close(live_fd_);
    if (!rankfile_dir_.empty() && !s_.dry_run) {
      std::error_code ignored;
      std::filesystem::remove_all(rankfile_dir_, ignored);
    }
  }

  /// The CPUs of each rank of a task (--task-threads K; 1 without).
  [[nodiscard]] std::uint64_t task_k() const { return std::max<std::uint64_t>(s_.task_threads, 1); }
  /// The CPUs of one task: R x K with --task-ranks R, else K.
  [[nodiscard]] std::uint64_t task_width() const {
    return task_k() * std::max<std::uint64_t>(s_.task_ranks, 1);
  }
  /// The CPUs of slot `thread`'s tasks: task_width() of the rank's own, from thread x width on.
  [[nodiscard]] std::vector<int> task_cpus(int thread) const {
    std::vector<int> cpus;
    const auto width = task_width();
    for (std::uint64_t c = 0; c < width; ++c) {
      cpus.push_back(cpus_[(static_cast<std::uint64_t>(thread) * width + c) % cpus_.size()]);
    }
    return cpus;
  }
  /// --task-ranks: Open MPI's rankfile of slot `thread` (in the farm's temporary folder).
  [[nodiscard]] std::string rankfile(int thread) const {
    return rankfile_dir_ + "/slot-" + std::to_string(rank_ * threads_ + thread + 1);
  }
  /// --task-ranks: the launcher's words before the command of slot `thread`'s tasks.
  [[nodiscard]] std::vector<std::string> launcher_words(int thread) const {
    return farm::task_launcher_words(launcher_, s_.task_ranks, task_k(), task_cpus(thread),
                                     rankfile(thread));
  }
  /// A task's record (WorkPlan::block_records): the host, and with --task-ranks a newline and
  /// the launcher's words of slot `thread` (the joblog's Command, written by rank 0).
  [[nodiscard]] std::string task_record(int thread) const {
    return s_.task_ranks == 0 ? host_ : host_ + "\n" + launcher_prefix(thread);
  }
  /// The launcher's words of slot `thread`, shell-quoted, for the joblog's Command.
  [[nodiscard]] std::string launcher_prefix(int thread) const {
    std::string prefix;
    for (const auto& word : launcher_words(thread)) append_word(prefix, shell_quote(word));
    return prefix;
  }
  /// --task-ranks with Open MPI: each slot's rankfile (its R ranks' CPUs), in a temporary
  /// folder of this rank's that goes with the farm (--dry-run: named, not written).
  void write_rankfiles() {
    launcher_ = farm::task_launcher();
    if (launcher_.kind != farm::TaskLauncher::Kind::open_mpi) return;
    const char* tmp = std::getenv("TMPDIR");
    std::string dir = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/hpar-ranks-";
    if (s_.dry_run) {
      rankfile_dir_ = dir + "XXXXXX";
      return;
    }
    dir += "XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr) {
      throw RuntimeError("--task-ranks: cannot make a folder for rankfiles (" + dir +
                         "): " + std::strerror(errno));
    }
    rankfile_dir_ = dir;
    try {
      for (int t = 0; t < std::max(threads_, 1); ++t) {
        std::ofstream out(rankfile(t));
        out << farm::rankfile_text(s_.task_ranks, task_k(), task_cpus(t));
        if (!out.flush()) throw RuntimeError("--task-ranks: cannot write " + rankfile(t));
      }
    } catch (...) {  // the constructor throws: no destructor removes the folder
      std::error_code ignored;
      std::filesystem::remove_all(rankfile_dir_, ignored);
      throw;
    }
  }

  /// How slot `thread` runs the task of `fields` with `args`: its command line, time limit,
  /// environment (HPAR_*, and with --task-threads its CPUs and OMP_NUM_THREADS; HPAR_ATTEMPT last,
  /// which compute sets per attempt).
  ProcessSpec task_spec(int thread, const TaskFields& fields,
                        const std::vector<std::string>& args) const {
    ProcessSpec spec;
    spec.argv = farm::task_argv(s_.command, args, fields, s_.shell);
    spec.timeout_seconds = s_.timeout;
    spec.launcher_environment = false;
    spec.failed_start_exits = true;
    spec.die_with_parent = true;
    spec.environment = {{"HPAR_TASK", std::to_string(fields.number)},
                        {"HPAR_INPUT", fields.input},
                        {"HPAR_RANK", std::to_string(rank_)},
                        {"HPAR_SLOT", std::to_string(fields.slot)},
                        {"HPAR_HOST", host_}};
    if (s_.task_threads != 0 || s_.task_ranks != 0) {
      spec.cpus = task_cpus(thread);
      std::string list;
      for (const int cpu : spec.cpus) list += (list.empty() ? "" : ",") + std::to_string(cpu);
      spec.environment.emplace_back("OMP_NUM_THREADS", std::to_string(task_k()));
      spec.environment.emplace_back("HPAR_CPUS", list);
    }
    if (s_.task_ranks != 0) {  // started by the MPI launcher as R ranks on the task's CPUs
      auto words = launcher_words(thread);
      words.insert(words.end(), spec.argv.begin(), spec.argv.end());
      spec.argv = std::move(words);
    }
    spec.environment.emplace_back("HPAR_ATTEMPT", "1");
    return spec;
  }

  void compute(const Block& block, BlockOutput& out) override {
    const int thread = block.slot;
    const std::uint64_t task = block.index;
    TaskFields fields{in_.list[task], task + 1,
                      static_cast<std::uint64_t>(rank_ * threads_ + thread + 1),
                      in_.positional ? &in_.args[task] : nullptr};
    auto& counts = out.counts;
    counts[field::rank] = static_cast<std::uint64_t>(rank_);
    counts[field::slot] = fields.slot;
    if (out.record != nullptr) *out.record = task_record(thread);
    if (s_.dry_run) {
      *out.bytes = dry_run_line(task, thread) + "\n";  // nothing runs
      return;
    }
    if (halt_requested()) return;  // --halt: not run (no attempt), no output
    if (!s_.worker && drain_refuses(fields)) throw BlockStopped();  // run by the next job
    if (s_.worker) {
      compute_by_worker(thread, fields, out);
      return;
    }
    const auto& args = in_.args.empty() ? std::vector<std::string>{in_.list[task]} : in_.args[task];
    ProcessSpec spec = task_spec(thread, fields, args);
    // The task's output through pipes (memory, past 64 MiB an unlinked file in TMPDIR): a
    // process it leaves behind cannot write into the next task's output.
    CapturedOutput task_out;
    CapturedOutput task_err;
    spec.stdout_capture = &task_out;
    spec.stderr_capture = &task_err;
    for (std::uint64_t attempt = 0; attempt <= s_.retries; ++attempt) {
      // A retry is a task start too: past the deadline the next job runs the task afresh.
      if (attempt > 0 && drain_refuses(fields)) throw BlockStopped();
      spec.environment.back().second = std::to_string(attempt + 1);
      const double start = epoch_seconds();
      ProcessOutcome outcome;
      try {
        // On the main thread the wait deals other ranks their tasks and prints finished
        // output (every few ms), so that nothing waits on this task.
        spec.poll_seconds = main_thread_has_chores() ? 0.002 : 0.1;
        // A free slot of this rank wakes it at once for its next task.
        spec.wake_fd = main_thread_has_chores() ? main_thread_wake_fd() : -1;
        outcome = run_process(spec, [this] {
          main_thread_chores();
          return stop_requested() || halts_now();
        });
      } catch (const Error& e) {
        throw RuntimeError("task " + std::to_string(fields.number) + " (input " +
                           quote_for_message(fields.input) + "): " + e.what());
      }
      // Stopped by us, or by the signal that asks us to stop (Slurm's stop of a step and a
      // terminal's Ctrl-C signal the task too, maybe a moment before this rank): not done, run
      // again on resume. Ended by --halt now: done, recorded as such, its cut output dropped.
      const bool halted = outcome.end == ProcessOutcome::End::stopped && !stop_requested();
      if (!halted && (outcome.end == ProcessOutcome::End::stopped || stopped_with_us(outcome))) {
        throw BlockStopped();
      }
      if (!halted) drain_.ended(outcome.seconds);  // a cut run says nothing of a task's time
      const bool last = outcome.ok() || attempt == s_.retries || halted;
      if (last && !halted && !s_.results.empty()) {
        save_results(task, thread, outcome, task_out, task_err);
      }
      if (!halted) pass_on_stderr(task_err, fields.number);
      if (outcome.left_processes) {
        write_stderr("hpar: task " + std::to_string(fields.number) + " (input " +
                     quote_for_message(fields.input) + ") left processes behind; ended\n");
      }
      auto* a = &counts[field::per_task + field::per_attempt * attempt];
      record_attempt(a, outcome, halted, start);
      counts[field::attempts] = attempt + 1;
      if (last && !halted) {
        *out.bytes = tagged_stdout(task, task_out.take());  // the last attempt's output
        a[field::out_bytes] = out.bytes->size();
      } else {
        a[field::out_bytes] = task_out.size();
      }
      live_log(task, attempt, &counts[0], a);
      if (last) {
        if (!halted) count_for_halt(outcome.ok(), fields);
        break;
      }
    }
  }

  /// The drain (--deadline, or a Slurm job's end): true when the task of `fields` is not to
  /// start, because it would end past the deadline (said once per rank) or the rank drains.
  bool drain_refuses(const TaskFields& fields) {
    bool first = false;
    const double now = epoch_seconds();
    if (!drain_.refuses(now, first)) return false;
    if (first) {
      write_stderr("hpar: rank " + std::to_string(rank_) + " drains: task " +
                   std::to_string(fields.number) + " (input " + quote_for_message(fields.input) +
                   ") would end past the deadline (a task takes about " +
                   format_fixed(drain_.estimate().value_or(0.0), 1) + " s" + ", " +
                   format_fixed(std::max(drain_.deadline() - now, 0.0), 1) + " s" +
                   " are left): no task starts on this rank any more; the running ones finish\n");
    }
    return true;
  }

  /// An attempt's counters from how its process ended (`halted`: --halt now ended it) and when
  /// it started (seconds since the epoch).
  static void record_attempt(std::uint64_t* a, const ProcessOutcome& outcome, bool halted,
                             double start) {
    a[field::exit_code] = static_cast<std::uint64_t>(outcome.exit_code);
    a[field::signal] = static_cast<std::uint64_t>(outcome.signal);
    a[field::end] = halted                                          ? ended::halted
                    : outcome.end == ProcessOutcome::End::exited    ? ended::exited
                    : outcome.end == ProcessOutcome::End::signalled ? ended::signalled
                                                                    : ended::timed_out;
    a[field::start_us] = micros(start);
    a[field::runtime_us] = micros(outcome.seconds);
    a[field::cpu_us] = micros(outcome.cpu_seconds);
    a[field::leftovers] = outcome.left_processes ? 1 : 0;
  }

  /// How slot `thread` (1-based `slot`) starts its worker (--worker): the command once, with
  /// a task's environment less what changes per input, and PYTHONPATH ending with the folder
  /// of hpar's Python helper.
  ProcessSpec worker_spec(int thread, std::uint64_t slot) const {
    ProcessSpec spec = task_spec(thread, TaskFields{"", 0, slot}, {});
    const auto per_input = [](const auto& kv) {
      return kv.first == "HPAR_TASK" || kv.first == "HPAR_INPUT" || kv.first == "HPAR_ATTEMPT";
    };
    std::erase_if(spec.environment, per_input);
    spec.environment.emplace_back("HPAR_WORKER", "1");
    const std::string helper = python_helper_dir();
    if (!helper.empty()) {
      const char* path = std::getenv("PYTHONPATH");
      spec.environment.emplace_back("PYTHONPATH", path != nullptr && *path != '\0'
                                                      ? std::string(path) + ":" + helper
                                                      : helper);
    }
    return spec;
  }

  [[nodiscard]] std::uint64_t batch(int thread) const override {
    if (!s_.worker || s_.chunk_given) return s_.chunk;
    return slots_[static_cast<std::size_t>(thread)]->size.load(std::memory_order_relaxed);
  }

  /// --worker: the tasks slot `thread` computes next; their inputs go to its worker at once
  /// (on the first one's compute). Without --chunk, the batch size follows from the last one.
  void batch_begins(int thread, std::span<const std::uint64_t> tasks) override {
    Slot& slot = *slots_[static_cast<std::size_t>(thread)];
    const std::lock_guard<std::mutex> lock(slot.mutex);
    const auto now = std::chrono::steady_clock::now();
    if (!s_.chunk_given && !slot.ahead.empty()) {  // the rate of the last batch
      const double each = std::chrono::duration<double>(now - slot.begun).count() /
                          static_cast<double>(slot.ahead.size());
      const std::uint64_t last = slot.ahead.size();
      const double fit = each > 0.0 ? batch_seconds / each : static_cast<double>(most_batch);
      const auto next = static_cast<std::uint64_t>(std::clamp(
          fit, 1.0,
          static_cast<double>(std::min(2 * std::max(last, slot.size.load()), most_batch))));
      slot.size.store(next, std::memory_order_relaxed);
    }
    slot.begun = now;
    slot.ahead.assign(tasks.begin(), tasks.end());
    slot.stash.clear();
    slot.solo.clear();
  }

  /// Starts slot `slot`'s worker afresh when it has none (or its last one ended), for task
  /// `fields`. Throws RuntimeError when it cannot be started.
  void start_worker(Slot& slot, int thread, const TaskFields& fields) {
    if (slot.worker && slot.worker->running()) return;
    slot.worker.reset();
    slot.sent.clear();
    slot.worker = std::make_unique<Worker>(worker_spec(thread, fields.slot));
    slot.answered = false;
  }

  /// Sends task `task` to the slot's worker, and when nothing else waits there the tasks of
  /// its batch after it (those not answered yet): the batch in one go.
  void send_from(Slot& slot, std::uint64_t task) {
    const bool alone = !slot.sent.empty() || slot.alone(task);
    slot.worker->send(in_.list[task]);
    slot.sent.push_back(task);
    if (alone) return;
    auto it = std::find(slot.ahead.begin(), slot.ahead.end(), task);
    if (it == slot.ahead.end()) return;
    for (++it; it != slot.ahead.end(); ++it) {
      if (slot.stashed(*it) != slot.stash.end() || slot.alone(*it)) continue;
      slot.worker->send(in_.list[*it]);
      slot.sent.push_back(*it);
    }
  }

  /// The answer to task `fields` (attempt > 0: asked again) from the worker of slot `thread`:
  /// one taken earlier with another's, or sent now (with the rest of its batch) and waited
  /// for, the answers to the inputs sent before it kept for theirs. Throws RuntimeError when the
  /// worker cannot be started, or when fresh workers of the slot ended or broke the protocol
  /// before any answer most_fresh_failures times in a row.
  WorkerReply ask_worker(int thread, const TaskFields& fields, bool again, int& pid) {
    Slot& slot = *slots_[static_cast<std::size_t>(thread)];
    const std::lock_guard<std::mutex> lock(slot.mutex);
    const std::uint64_t task = fields.number - 1;
    if (auto kept = slot.stashed(task); !again && kept != slot.stash.end()) {
      WorkerReply reply = std::move(kept->second);
      pid = kept->first.second;
      slot.stash.erase(kept);
      return reply;
    }
    const double poll = main_thread_has_chores() ? 0.002 : 0.1;
    for (;;) {
      start_worker(slot, thread, fields);
      pid = slot.worker->pid();
      if (again || std::find(slot.sent.begin(), slot.sent.end(), task) == slot.sent.end()) {
        send_from(slot, task);
        again = false;
      }
      WorkerReply reply = slot.worker->receive(s_.timeout, poll, [this] {
        main_thread_chores();
        return stop_requested() || halts_now();
      });
      const std::uint64_t answered = slot.sent.front();
      slot.sent.pop_front();
      using Kind = WorkerReply::Kind;
      if (reply.kind == Kind::ok || reply.kind == Kind::error) {
        slot.answered = true;
        slot.fresh_failures = 0;
        std::erase(slot.solo, answered);
      } else {
        if (reply.kind == Kind::stopped) return reply;
        if (!slot.sent.empty()) {
          // It ended with several inputs in flight (their answers maybe unwritten): which one
          // ended it is not known. Each is asked again alone, of a fresh worker.
          slot.solo.push_back(answered);
          slot.solo.insert(slot.solo.end(), slot.sent.begin(), slot.sent.end());
          write_stderr("hpar: the worker (slot " + std::to_string(fields.slot) + ", pid " +
                       std::to_string(pid) + ") " + failure_of(reply) + " with inputs " +
                       std::to_string(answered + 1) + " to " +
                       std::to_string(slot.sent.back() + 1) + " of a batch sent; a new one " +
                       "answers them one at a time\n");
          slot.sent.clear();
          continue;
        }
        std::erase(slot.solo, answered);
        if (!slot.answered && (reply.kind == Kind::died || reply.kind == Kind::protocol) &&
            ++slot.fresh_failures >= most_fresh_failures) {
          throw RuntimeError(
              "the worker " + quote_for_message(command_line(0, fields.slot)) + " of slot " +
              std::to_string(fields.slot) + " ended or broke the protocol before its first " +
              "answer " + std::to_string(most_fresh_failures) + " times in a row (last: input " +
              std::to_string(answered + 1) + " " + quote_for_message(in_.list[answered]) + ": " +
              failure_of(reply) + "); see docs/workers.md");
        }
      }
      if (answered == task) return reply;
      slot.stash.emplace_back(std::make_pair(answered, pid), std::move(reply));  // another's
    }
  }

  /// What went wrong with a reply other than ok, in words.
  [[nodiscard]] std::string failure_of(const WorkerReply& reply) const {
    switch (reply.kind) {
      case WorkerReply::Kind::protocol:
        return "broke the protocol: " + reply.problem;
      case WorkerReply::Kind::died:
        return "ended (" + reply.exit.describe(0.0) + ") before it answered" +
               (reply.problem.empty() ? "" : ", after " + reply.problem);
      case WorkerReply::Kind::timed_out:
        return reply.exit.describe(s_.timeout);
      default:
        return "answered err";
    }
  }

  /// The input's task run by the slot's worker (--worker), with --retries: a worker that
  /// answered `err` stays; one that died, broke the protocol or timed out is restarted for the
  /// next attempt or input. Its `err` message goes to stderr, as a task's stderr.
  void compute_by_worker(int thread, const TaskFields& fields, BlockOutput& out) {
    auto& counts = out.counts;
    const std::uint64_t task = fields.number - 1;
    for (std::uint64_t attempt = 0; attempt <= s_.retries; ++attempt) {
      const double start =
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
              .count();
      int pid = 0;
      WorkerReply reply;
      try {
        reply = ask_worker(thread, fields, attempt > 0, pid);
      } catch (const Error& e) {
        throw RuntimeError("task " + std::to_string(fields.number) + " (input " +
                           quote_for_message(fields.input) + "): " + e.what());
      }
      using Kind = WorkerReply::Kind;
      // Stopped: by us, or (a worker that died) by the signal that asks this rank to stop.
      const bool answered = reply.kind == Kind::ok || reply.kind == Kind::error;
      const bool halted = reply.kind == Kind::stopped && !stop_requested();  // --halt now
      if ((reply.kind == Kind::stopped && !halted) ||
          (reply.kind == Kind::died ? stopped_with_us(reply.exit)
                                    : !answered && stop_requested())) {
        throw BlockStopped();
      }
      auto* a = &counts[field::per_task + field::per_attempt * attempt];
      a[field::end] = halted                          ? ended::halted
                      : reply.kind == Kind::ok        ? ended::exited
                      : reply.kind == Kind::error     ? ended::error
                      : reply.kind == Kind::protocol  ? ended::protocol
                      : reply.kind == Kind::timed_out ? ended::timed_out
                                                      : ended::died;
      a[field::exit_code] = reply.kind == Kind::error ? 1
                            : reply.kind == Kind::died
                                ? static_cast<std::uint64_t>(reply.exit.exit_code)
                                : 0;
      a[field::signal] =
          reply.kind == Kind::died ? static_cast<std::uint64_t>(reply.exit.signal) : 0;
      a[field::start_us] = micros(start);
      a[field::runtime_us] = micros(reply.seconds);
      counts[field::attempts] = attempt + 1;
      if (reply.kind == Kind::error) {
        pass_on_text(reply.bytes, fields.number);
      } else if (reply.kind != Kind::ok && !halted) {
        const std::string worker = "the worker (slot " + std::to_string(fields.slot) + ", pid " +
                                   std::to_string(pid) + ")";
        write_stderr("hpar: input " + std::to_string(fields.number) + " " +
                     quote_for_message(fields.input) + " failed: " +
                     (reply.kind == Kind::timed_out
                          ? failure_of(reply) + "; " + worker + " was ended"
                          : worker + " " + failure_of(reply)) +
                     "; a new one starts for the next input\n");
      }
      const bool last = reply.kind == Kind::ok || attempt == s_.retries || halted;
      if (reply.kind == Kind::ok) {
        a[field::out_bytes] = reply.bytes.size();
        *out.bytes = tagged_stdout(task, std::move(reply.bytes));
      }
      live_log(task, attempt, &counts[0], a);
      if (last) {
        if (!halted) count_for_halt(reply.kind == Kind::ok, fields);
        break;
      }
    }
  }

  JobResult finish(Gathered& g) override {
    const Tally tally = tally_and_log(g);
    JobResult result;
    const double makespan = g.pass_seconds.empty() ? 0.0 : g.pass_seconds.back();
    result.metrics = metrics(tally, makespan, static_cast<double>(ranks_ * threads_));
    if (!s_.joblog.empty()) result.metrics.emplace_back("joblog", s_.joblog);
    result.verification = verdict(tally);
    if (s_.dry_run) {
      result.verification = {Verification::Status::pass, "dry run: " + std::to_string(tally.tasks) +
                                                             " commands printed, none run"};
    }
    return result;
  }

 private:
  /// --halt now asked for on some rank: the running tasks end.
  [[nodiscard]] bool halts_now() const { return s_.halt.now && halt_requested(); }

  /// --halt: counts a task that ended (its last attempt: `ok` or failed) and, when that
  /// reaches the policy's mark, halts every rank (request_halt) and says so once.
  void count_for_halt(bool ok, const TaskFields& fields) {
    using Why = HaltPolicy::Why;
    const Why why = s_.halt.why;
    if (why == Why::never) return;
    const std::uint64_t failed = ok ? failed_now_.load() : failed_now_.fetch_add(1) + 1;
    const std::uint64_t succeeded = ok ? succeeded_now_.fetch_add(1) + 1 : succeeded_now_.load();
    const std::uint64_t n = why == Why::fail      ? failed
                            : why == Why::success ? succeeded
                                                  : failed + succeeded;
    if ((why == Why::fail && ok) || (why == Why::success && !ok) || n < halt_at_) return;
    if (halt_told_.exchange(true)) return;
    request_halt();
    write_stderr("hpar: --halt " + s_.halt.text + ": task " + std::to_string(fields.number) +
                 " (input " + quote_for_message(fields.input) + ") " +
                 (ok ? "succeeded" : "failed") + ", the " + std::to_string(n) +
                 (why == Why::fail      ? " failed"
                  : why == Why::success ? " succeeded"
                                        : " done") +
                 (n == 1 ? " task" : " tasks") + " of rank " + std::to_string(rank_) +
                 (s_.halt.now ? ": ending the running tasks, starting no more\n"
                              : ": starting no more tasks, the running ones finish\n"));
  }

  /// What the tasks' last attempts came to.
  struct Tally {
    std::uint64_t tasks = 0;
    std::uint64_t failed = 0;
    std::uint64_t halted = 0;   ///< ended by --halt now
    std::uint64_t not_run = 0;  ///< never started (--halt)
    std::uint64_t retried = 0;
    std::uint64_t timed_out = 0;
    double busy = 0.0;      ///< seconds of every attempt this run made (not a checkpoint's)
    std::uint64_t ran = 0;  ///< attempts this run made
    /// This run's attempts by slot: first start and last end (µs since the epoch) and the
    /// seconds they ran: what a slot spent between its first and last task outside them is
    /// hpar's cost (the wait for the first and after the last is not).
    std::map<std::uint64_t, std::tuple<std::uint64_t, std::uint64_t, double>> per_slot;
    std::vector<double> runtimes;                   ///< of the last attempts, ascending
    std::map<std::string, std::uint64_t> failures;  ///< the failed tasks by failure_kind
  };

  static constexpr const char* tsv_header =
      "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\tRank\tSlot\t"
      "Attempt\tEnd\tInput\n";

  /// Appends an attempt's joblog line to --joblog as the attempt ends, in one write (whole
  /// lines, readable at once, left after a stop or a kill of hpar). Rank 0 made the file in
  /// prepare(), before the first pass's barrier; a rank that cannot open it (another host,
  /// no shared file system) writes no live lines. The complete log in task order replaces it
  /// at the end.
  void live_log(std::uint64_t t, std::uint64_t a, const std::uint64_t* c, const std::uint64_t* r) {
    if (s_.joblog.empty()) return;
    {
      const std::lock_guard<std::mutex> lock(live_mutex_);
      if (!live_opened_) live_fd_ = ::open(s_.joblog.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
      live_opened_ = true;
    }
    if (live_fd_ < 0) return;
    std::ostringstream line;
    const auto thread = static_cast<int>(c[field::slot]) - 1 - rank_ * threads_;
    log_attempt(line, s_.joblog.ends_with(".jsonl"), t, a, host_,
                with_launcher(s_.task_ranks == 0 ? "" : launcher_prefix(thread),
                              command_line(t, c[field::slot])),
                c, r);
    const std::string text = line.str();
    (void)!::write(live_fd_, text.data(), text.size());
  }

  /// Counts the tasks' outcomes and writes the joblog, if asked for (rank 0).
  Tally tally_and_log(const Gathered& g) {
    const std::size_t width = field::per_task + field::per_attempt * (s_.retries + 1);
    Tally tally;
    tally.tasks = g.blocks;
    std::ostringstream log;
    const bool jsonl = s_.joblog.ends_with(".jsonl");
    if (!jsonl) log << tsv_header;
    for (std::uint64_t t = 0; t < g.blocks; ++t) {
      const std::uint64_t* c = &g.counts[t * width];
      const std::uint64_t attempts = c[field::attempts];
      if (attempts > 1) ++tally.retried;
      std::string host;  // the joblog's (only then: a million tasks' command lines take time)
      std::string command;
      if (!s_.joblog.empty()) {
        const std::string& record = g.records[t];
        const auto newline = record.find('\n');  // --task-ranks: the host, then the launcher
        host = record.substr(0, newline);
        command = with_launcher(newline == std::string::npos ? "" : record.substr(newline + 1),
                                command_line(t, c[field::slot]));
      }
      if (attempts == 0) {  // --halt: never started; the joblog says so
        ++tally.not_run;
        std::array<std::uint64_t, field::per_attempt> none{};
        none[field::end] = ended::not_run;
        if (!s_.joblog.empty()) log_attempt(log, jsonl, t, 0, host, command, c, none.data());
        continue;
      }
      for (std::uint64_t a = 0; a < attempts; ++a) {
        const std::uint64_t* r = c + field::per_task + field::per_attempt * a;
        // A task restored from a checkpoint ran before this run began: its time is not this
        // run's (a second's slack for clocks of other hosts).
        if (static_cast<double>(r[field::start_us]) >= 1e6 * (began_ - 1.0)) {
          tally.busy += 1e-6 * static_cast<double>(r[field::runtime_us]);
          ++tally.ran;
          const std::uint64_t end = r[field::start_us] + r[field::runtime_us];
          auto [it, fresh] =
              tally.per_slot.try_emplace(c[field::slot], r[field::start_us], end, 0.0);
          auto& [first, last, ran] = it->second;
          if (!fresh) {
            first = std::min(first, r[field::start_us]);
            last = std::max(last, end);
          }
          ran += 1e-6 * static_cast<double>(r[field::runtime_us]);
        }
        if (a + 1 == attempts) {
          tally.runtimes.push_back(1e-6 * static_cast<double>(r[field::runtime_us]));
          if (r[field::end] == ended::halted) {
            ++tally.halted;
          } else if (r[field::end] != 0 || r[field::exit_code] != 0) {
            ++tally.failed;
            ++tally.failures[failure_kind(r)];
          }
          if (r[field::end] == ended::timed_out) ++tally.timed_out;
        }
        if (!s_.joblog.empty()) log_attempt(log, jsonl, t, a, host, command, c, r);
      }
    }
    if (joblog_) {
      try {
        joblog_->write(log.str());
        joblog_->commit();
      } catch (...) {  // a full disk: the live lines (maybe cut) go too, nothing half-written
        if (live_fd_ >= 0) ::close(live_fd_);
        live_fd_ = -1;
        ::unlink(s_.joblog.c_str());
        throw;
      }
    }
    std::sort(tally.runtimes.begin(), tally.runtimes.end());
    return tally;
  }

  /// Task t's command as GNU parallel's --dry-run prints it (slot 1): the command's words,
  /// the placeholders' values quoted as parallel quotes them; with no placeholder the task's
  /// arguments at the end.
  [[nodiscard]] std::string dry_run_line(std::uint64_t t, int thread) const {
    const TaskFields fields{in_.list[t], t + 1, 1, in_.positional ? &in_.args[t] : nullptr};
    const std::size_t columns = in_.positional ? SIZE_MAX : 1;
    bool placeholders = false;
    std::string line;
    if (s_.task_ranks != 0) {  // the launcher's words first, as the task runs
      for (const auto& word : launcher_words(thread)) append_word(line, farm::parallel_quote(word));
    }
    for (const auto& word : s_.command) {
      placeholders = placeholders || farm::has_placeholder(word, columns);
      append_word(line, farm::dry_run_word(word, fields, s_.shell));
    }
    if (placeholders) return line;
    const auto& args = in_.args.empty() ? std::vector<std::string>{in_.list[t]} : in_.args[t];
    for (const auto& argument : args) {
      line += ' ';
      line += farm::parallel_quote(argument);
    }
    return line;
  }

  /// What --tag puts before each line of task t's stdout: its input (its columns joined by a
  /// space) and a TAB, as GNU parallel.
  [[nodiscard]] std::string tag_of(std::uint64_t t) const {
    if (!in_.positional) return in_.list[t] + "\t";
    std::string tag;
    for (const auto& column : in_.args[t]) append_word(tag, column);
    return tag + "\t";
  }

  /// Task t's stdout as the farm prints it: with --tag each line (a last one without a newline
  /// too) after tag_of(t).
  [[nodiscard]] std::string tagged_stdout(std::uint64_t t, std::string bytes) const {
    if (!s_.tag || bytes.empty()) return bytes;
    const std::string tag = tag_of(t);
    std::string tagged;
    tagged.reserve(bytes.size() + tag.size() * 4);
    for (std::size_t from = 0; from < bytes.size();) {
      const std::size_t end = std::min(bytes.find('\n', from), bytes.size() - 1);
      tagged += tag;
      tagged.append(bytes, from, end - from + 1);
      from = end + 1;
    }
    return tagged;
  }

  /// --results DIR: task t's folder DIR/<t+1> with the files stdout, stderr, exitval (the
  /// joblog's Exitval: -1 for a signal or the time limit), seq, input and command, written in
  /// a temporary folder beside it and renamed into place (a folder there before, from an
  /// earlier run, is replaced whole): a script never sees one half-written.
  void save_results(std::uint64_t t, int thread, const ProcessOutcome& outcome,
                    const CapturedOutput& out, const CapturedOutput& err) const {
    namespace fs = std::filesystem;
    const fs::path dir(s_.results);
    const std::string seq = std::to_string(t + 1);
    const std::string unique =
        "." + seq + "." + std::to_string(::getpid()) + "." + std::to_string(rank_) + "." +
        std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
    const fs::path staging = dir / (unique + ".tmp");
    const fs::path old = dir / (unique + ".old");
    try {
      fs::create_directories(staging);
      const auto write = [&staging](const char* name, const CapturedOutput* bytes,
                                    const std::string& text) {
        const std::string path = (staging / name).string();
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) throw RuntimeError("cannot write " + quote_for_message(path));
        try {
          if (bytes != nullptr) bytes->write_to(fd);
          if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
            throw RuntimeError("cannot write " + quote_for_message(path));
        } catch (...) {
          ::close(fd);
          throw;
        }
        if (::close(fd) != 0) throw RuntimeError("cannot write " + quote_for_message(path));
      };
      const bool exited = outcome.end == ProcessOutcome::End::exited;
      write("stdout", &out, "");
      write("stderr", &err, "");
      write("exitval", nullptr, std::to_string(exited ? outcome.exit_code : -1) + "\n");
      write("seq", nullptr, seq + "\n");
      write("input", nullptr, in_.list[t] + "\n");
      write("command", nullptr,
            with_launcher(s_.task_ranks == 0 ? "" : launcher_prefix(thread), command_line(t, 1)) +
                "\n");
      const fs::path final_path = dir / seq;
      std::error_code none;
      if (fs::exists(final_path, none)) fs::rename(final_path, old);
      fs::rename(staging, final_path);
      fs::remove_all(old, none);
    } catch (const fs::filesystem_error& e) {
      std::error_code none;
      fs::remove_all(staging, none);
      throw RuntimeError("--results: task " + seq + ": " + e.what());
    } catch (...) {
      std::error_code none;
      fs::remove_all(staging, none);
      throw;
    }
  }

  /// `command` after the launcher's words `prefix` (--task-ranks), if any.
  static std::string with_launcher(const std::string& prefix, const std::string& command) {
    return prefix.empty() ? command : prefix + " " + command;
  }

  /// Task t's command as the slot `slot` ran it, as a shell command line (words quoted).
  [[nodiscard]] std::string command_line(std::uint64_t t, std::uint64_t slot) const {
    const TaskFields fields{in_.list[t], t + 1, slot, in_.positional ? &in_.args[t] : nullptr};
    const auto& args = s_.worker          ? std::vector<std::string>{}
                       : in_.args.empty() ? std::vector<std::string>{in_.list[t]}
                                          : in_.args[t];
    std::string command;
    for (const auto& word : farm::task_argv(s_.command, args, fields, s_.shell)) {
      append_word(command, shell_quote(word));
    }
    return command;
  }

  static std::vector<std::pair<std::string, std::string>> metrics(const Tally& t, double makespan,
                                                                  double slots) {
    const auto& r = t.runtimes;
    const auto at = [&](double q) {
      return r.empty() ? 0.0
                       : r[std::min(r.size() - 1,
                                    static_cast<std::size_t>(q * static_cast<double>(r.size())))];
    };
    const double longest = r.empty() ? 0.0 : r.back();
    const double ideal = std::max(t.busy / slots, longest);
    return {
        {"tasks", std::to_string(t.tasks) + " (" + std::to_string(t.tasks - t.failed) +
                      " succeeded, " + std::to_string(t.failed) + " failed, " +
                      std::to_string(t.retried) + " retried, " + std::to_string(t.timed_out) +
                      " timed out)"},
        {"runtimes", "min " + format_fixed(at(0.0), 3) + " s, median " + format_fixed(at(0.5), 3) +
                         " s, p95 " + format_fixed(at(0.95), 3) + " s, max " +
                         format_fixed(longest, 3) + " s"},
        {"slots", format_fixed(slots, 0) + " busy " +
                      format_fixed(makespan > 0 ? 100.0 * t.busy / (slots * makespan) : 0.0, 1) +
                      " % of the makespan " + format_fixed(makespan, 3) + " s (ideal " +
                      format_fixed(ideal, 3) + " s)"},
        {"overhead", format_fixed(overhead_us(t), 2) +
                         " us per task (a slot's time between its tasks, outside them)"},
    };
  }

  /// hpar's own cost per attempt: each slot's time from its first start to its last end outside
  /// the attempts' runtimes (which begin before the start and end after the wait), summed over
  /// the slots, per attempt.
  static double overhead_us(const Tally& t) {
    double between = 0.0;
    for (const auto& [slot, span] : t.per_slot) {
      const auto& [first, last, ran] = span;
      between += std::max(0.0, 1e-6 * static_cast<double>(last - first) - ran);
    }
    return t.ran == 0 ? 0.0 : 1e6 * between / static_cast<double>(t.ran);
  }

  [[nodiscard]] Verification verdict(const Tally& t) const {
    if (halt_requested() || t.halted + t.not_run != 0) return halt_verdict(t);
    if (t.failed == 0) {
      return {Verification::Status::pass,
              "all " + std::to_string(t.tasks) +
                  (s_.worker ? " inputs answered ok" : " tasks exited 0")};
    }
    std::string codes;
    for (const auto& [kind, n] : t.failures) {
      codes += (codes.empty() ? "" : ", ") + std::to_string(n) + " x " + kind;
    }
    return {Verification::Status::fail,
            std::to_string(t.failed) + " of " + std::to_string(t.tasks) +
                (s_.worker ? " inputs" : " tasks") + " failed (" + codes + ")"};
  }

  /// The verdict of a halted farm (--halt): GNU parallel's exit status, 0 for a halt on
  /// success (or done without a failure), else a failure (exit code 3); the detail says what
  /// ran, failed, was ended and did not run.
  [[nodiscard]] Verification halt_verdict(const Tally& t) const {
    std::string detail = "halted by --halt " + s_.halt.text + ": " +
                         std::to_string(t.tasks - t.failed - t.halted - t.not_run) + " of " +
                         std::to_string(t.tasks) + " tasks succeeded, " + std::to_string(t.failed) +
                         " failed";
    for (const auto& [kind, n] : t.failures) {
      detail +=
          (kind == t.failures.begin()->first ? " (" : ", ") + std::to_string(n) + " x " + kind;
    }
    if (!t.failures.empty()) detail += ")";
    detail += ", " + std::to_string(t.halted) + " ended by the halt, " + std::to_string(t.not_run) +
              " not run (see --joblog)";
    const bool pass = s_.halt.why == HaltPolicy::Why::success ||
                      (s_.halt.why == HaltPolicy::Why::done && t.failed == 0);
    return {pass ? Verification::Status::pass : Verification::Status::fail, detail};
  }

  /// The CPUs of this rank's tasks (--task-threads): the engine's share of the node's CPUs for
  /// this rank (its mask, or a part of the node's ranks' masks where they overlap); every slot
  /// gets K of them of its own, or the run is refused unless --oversubscribe-tasks.
  void share_cpus(const JobContext& context) {
    cpus_ = context.cpus.empty() ? affinity_cpus() : context.cpus;
    const std::uint64_t width = task_width();  // R x K with --task-ranks R
    const std::uint64_t need = static_cast<std::uint64_t>(threads_) * width;
    if (need <= cpus_.size() || s_.oversubscribe_tasks) {
      if (width > cpus_.size()) cpus_ = affinity_cpus();
      if (width <= cpus_.size()) return;
    }
    const std::string per_task =
        (s_.task_ranks != 0 ? " x --task-ranks " + std::to_string(s_.task_ranks) : "") +
        (s_.task_threads != 0 ? " x --task-threads " + std::to_string(s_.task_threads) : "");
    const std::size_t own = affinity_cpus().size();
    if (width > own) {  // one task alone is too wide: no sharing helps
      throw UsageError(per_task.substr(3) + " is more than the " + std::to_string(own) +
                       " CPUs rank " + std::to_string(rank_) + " can run on (one task's CPUs)");
    }
    throw UsageError(
        "--threads " + std::to_string(threads_) + per_task + " is more than the " +
        std::to_string(cpus_.size()) + " CPUs of rank " + std::to_string(rank_) +
        (context.cpus_shared
             ? " (its share of the " + std::to_string(context.node_ranks) + " ranks of its node)"
             : "") +
        "; --oversubscribe-tasks shares them");
  }

  /// True when the task did not succeed and this rank is asked to stop: now, or within a
  /// second when a SIGTERM or SIGINT ended the task (the same stop, arriving here later).
  static bool stopped_with_us(const ProcessOutcome& outcome) {
    if (outcome.ok()) return false;
    if (stop_requested()) return true;
    const bool stop_signal = outcome.end == ProcessOutcome::End::signalled &&
                             (outcome.signal == SIGTERM || outcome.signal == SIGINT);
    for (int wait = 0; stop_signal && wait < 100; ++wait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (stop_requested()) return true;
    }
    return false;
  }

  /// A task's stderr, whole and at once (a line of its own at the end); with --tag each line
  /// prefixed with the task's number. Without --tag any size passes in pieces.
  void pass_on_stderr(CapturedOutput& err, std::uint64_t number) const {
    if (err.size() == 0) return;
    if (!s_.tag) {
      const std::lock_guard<std::mutex> lock(stderr_mutex());
      std::cout.flush();
      try {
        err.write_to(STDERR_FILENO);
      } catch (const RuntimeError&) {  // stderr closed or full: as write_stderr, not fatal
        return;
      }
      if (err.last_byte() != '\n') (void)!::write(STDERR_FILENO, "\n", 1);
      return;
    }
    pass_on_text(err.take(), number);
  }

  /// A task's stderr text (or a worker's err message) on stderr in one piece, newline ended,
  /// each line prefixed with the task's number with --tag.
  void pass_on_text(std::string text, std::uint64_t number) const {
    if (text.empty()) return;
    if (text.back() != '\n') text += '\n';
    if (!s_.tag) {
      write_stderr(text);
      return;
    }
    const std::string prefix = "[task " + std::to_string(number) + "] ";
    std::string tagged;
    std::size_t from = 0;
    while (from < text.size()) {
      const std::size_t end = text.find('\n', from);
      tagged += prefix + text.substr(from, end - from + 1);
      from = end + 1;
    }
    write_stderr(tagged);
  }

  /// GNU parallel's Exitval of an attempt: its exit code (a worker's `err` answer: 1; a
  /// worker that died: its exit code), -1 when a signal, the time limit or a protocol error
  /// ended it.
  static std::int64_t exit_value_of(const std::uint64_t* r) {
    const std::uint64_t end = r[field::end];
    const bool exited = end == ended::exited || end == ended::error ||
                        (end == ended::died && r[field::signal] == 0);
    return exited ? static_cast<std::int64_t>(r[field::exit_code]) : -1;
  }

  /// How a failed attempt counts in the verdict: "exit 3", "error answer", ...
  static std::string failure_kind(const std::uint64_t* r) {
    switch (r[field::end]) {
      case ended::exited:
        return "exit " + std::to_string(r[field::exit_code]);
      case ended::error:
        return "err answer";
      case ended::protocol:
        return "protocol error";
      case ended::died:
        return "worker died";
      case ended::timed_out:
        return "time limit";
      case ended::halted:
        return "ended by --halt";
      default:
        return "signal";
    }
  }

  void log_attempt(std::ostringstream& log, bool jsonl, std::uint64_t t, std::uint64_t a,
                   const std::string& host, const std::string& command, const std::uint64_t* c,
                   const std::uint64_t* r) const {
    const double start = 1e-6 * static_cast<double>(r[field::start_us]);
    const double runtime = 1e-6 * static_cast<double>(r[field::runtime_us]);
    const char* end = end_names[std::min<std::uint64_t>(r[field::end], ended::not_run)];
    const std::uint64_t attempt = r[field::end] == ended::not_run ? 0 : a + 1;
    const std::int64_t exit_value = exit_value_of(r);
    const bool leftovers = r[field::leftovers] != 0;
    if (jsonl) {
      const nlohmann::json line = {{"seq", t + 1},
                                   {"host", host},
                                   {"start", start},
                                   {"runtime", runtime},
                                   {"receive", r[field::out_bytes]},
                                   {"exit", exit_value},
                                   {"signal", r[field::signal]},
                                   {"command", command},
                                   {"rank", c[field::rank]},
                                   {"slot", c[field::slot]},
                                   {"attempt", attempt},
                                   {"end", end},
                                   {"leftovers", leftovers},
                                   {"input", in_.list[t]}};
      log << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
      return;
    }
    const auto clean = [](std::string text) {  // one TSV field: no tab, no newline
      std::replace_if(
          text.begin(), text.end(), [](char ch) { return ch == '\t' || ch == '\n'; }, ' ');
      return text;
    };
    log << t + 1 << '\t' << clean(host) << '\t' << format_fixed(start, 3) << '\t'
        << format_fixed(runtime, 3) << "\t0\t" << r[field::out_bytes] << '\t' << exit_value << '\t'
        << r[field::signal] << '\t' << clean(command) << '\t' << c[field::rank] << '\t'
        << c[field::slot] << '\t' << attempt << '\t' << end
        << (leftovers ? " (left processes behind; ended)" : "") << '\t' << clean(in_.list[t])
        << '\n';
  }

  Settings s_;
  Inputs in_;
  int rank_;
  int threads_;
  int ranks_;
  std::string host_;
  farm::Drain drain_;
  /// When this run made the job, seconds since the epoch (tasks that started before it were
  /// restored from a checkpoint).
  double began_ = epoch_seconds();
  std::vector<int> cpus_;
  std::unique_ptr<AtomicFile> joblog_;
  std::mutex live_mutex_;
  bool live_opened_ = false;
  int live_fd_ = -1;  ///< the live joblog (live_log)
  /// --worker: each slot's worker, made on the slot's first input.
  struct Slot {
    std::mutex mutex;
    std::unique_ptr<Worker> worker;
    bool answered = false;   ///< the present worker answered an input
    int fresh_failures = 0;  ///< fresh workers in a row that failed before their first answer
    std::atomic<std::uint64_t> size{1};           ///< the next batch's size (adaptive)
    std::vector<std::uint64_t> ahead;             ///< the present batch's tasks
    std::chrono::steady_clock::time_point begun;  ///< when the present batch began
    std::deque<std::uint64_t> sent;               ///< tasks sent to the worker, not yet answered
    /// Tasks in flight when a worker ended: each is sent alone until it is answered.
    std::vector<std::uint64_t> solo;
    [[nodiscard]] bool alone(std::uint64_t task) const {
      return std::find(solo.begin(), solo.end(), task) != solo.end();
    }
    /// Answers (task, the worker's pid) taken while waiting for an earlier task's (a retry).
    using Kept = std::vector<std::pair<std::pair<std::uint64_t, int>, WorkerReply>>;
    Kept stash;
    Kept::iterator stashed(std::uint64_t task) {
      return std::find_if(stash.begin(), stash.end(),
                          [task](const auto& kept) { return kept.first.first == task; });
    }
  };
  std::vector<std::unique_ptr<Slot>> slots_;
  /// --halt: this rank's tasks that ended failed and succeeded, the mark, and whether this
  /// rank has halted the farm.
  std::atomic<std::uint64_t> failed_now_{0};
  std::atomic<std::uint64_t> succeeded_now_{0};
  std::uint64_t halt_at_ = 0;
  std::atomic<bool> halt_told_{false};
  /// --task-ranks: the MPI launcher of the tasks, and the folder of the slots' rankfiles.
  farm::TaskLauncher launcher_;
  std::string rankfile_dir_;
};

void add_options(po::options_description& d) {
  d.add_options()("inputs", po::value<std::string>()->value_name("A,B,..."),
                  "the inputs, comma-separated: one task each")(
      "range", po::value<std::string>()->value_name("FIRST:LAST[:STRIDE]"),
      "integer inputs FIRST, FIRST+STRIDE, ... up to LAST")(
      "input-file", po::value<std::string>()->value_name("FILE"), "one input per line")(
      "args-file", po::value<std::string>()->value_name("FILE"),
      "one task per line, the line split into arguments as a shell would (no shell runs)")(
      "shell", "run the command line through /bin/sh -c, each input quoted")(
      "retries", po::value<std::string>()->value_name("N")->default_value("0"),
      "run a failed task up to N more times")(
      "timeout", po::value<std::string>()->value_name("SECONDS")->default_value("0"),
      "end a task that runs longer (TERM to its process group, KILL 5 s later); 0: none")(
      "task-threads", po::value<std::string>()->value_name("K"),
      "give each task K of its rank's CPUs (pinned) and OMP_NUM_THREADS=K")(
      "task-ranks", po::value<std::string>()->value_name("R"),
      "run each task as an R-rank MPI program (the local mpiexec), each rank on --task-threads "
      "K CPUs of the task's own")(
      "oversubscribe-tasks",
      "let --threads x --task-ranks x --task-threads exceed the rank's CPUs (shared)")(
      "chunk", po::value<std::string>()->value_name("N")->default_value("1"),
      "deal each slot N tasks at a time (more for tiny tasks: fewer requests); with --worker "
      "N inputs sent at once (default: adaptive batches, docs/workers.md)")(
      "worker",
      "start the command once per slot and feed it the inputs over a pipe, one answer each "
      "(docs/workers.md)")(
      "link",
      "pair the input sources after the command (::: / ::::) value by value instead "
      "of every combination (a shorter source wraps around)")(
      "colsep", po::value<std::string>()->value_name("REGEX"),
      "split each input line into columns {1} {2} ... at REGEX (POSIX extended); with no "
      "placeholder the columns are the arguments")(
      "max-args,N", po::value<std::string>()->value_name("K"),
      "K inputs per task: {} all of them, {1} .. {K} each; with no placeholder they are the "
      "arguments")(
      "halt", po::value<std::string>()->value_name("WHEN,WHY")->default_value("never"),
      "GNU parallel's: stop starting tasks on every rank once fail=N, success=N or done=N "
      "tasks (or N% of all) ended; WHEN: soon (the running ones finish) or now (they are "
      "ended). E.g. soon,fail=1")(
      "joblog", po::value<std::string>()->value_name("FILE"),
      "one line per task attempt: TSV with GNU parallel's columns first, JSON Lines if FILE "
      "ends in .jsonl")("tag",
                        "prefix each line of a task's stdout with its input and a TAB (as GNU "
                        "parallel), and each line of its stderr with [task N]")(
      "dry-run",
      "print each task's command, as GNU parallel's --dry-run prints it, in input order; "
      "run nothing")("unordered",
                     "print each task's output whole as it finishes, not in input order")(
      "results", po::value<std::string>()->value_name("DIR"),
      "keep each task's stdout, stderr, exitval, seq, input and command in DIR/SEQ/ (made "
      "whole, then renamed into place)")(
      "deadline", po::value<std::string>()->value_name("SECONDS"),
      "drain: start no task that would end more than SECONDS after the farm's start (the "
      "running ones finish; exit 4, --checkpoint keeps what ended); inside a Slurm job the "
      "default is the job's end less --drain-lead; 0: no drain")(
      "task-time", po::value<std::string>()->value_name("SECONDS"),
      "a task's expected run time, for the drain (default: the p90 of the rank's finished "
      "tasks)")(
      "drain-lead", po::value<std::string>()->value_name("SECONDS")->default_value("90"),
      "inside a Slurm job: tasks end this long before the job's end (hpar's batch scripts' "
      "stop signal comes 60 to 90 s before it)")(
      "command", po::value<std::vector<std::string>>()->multitoken()->value_name("WORDS"),
      "the command and its arguments (give them after --)");
}

/// --results DIR: a directory (or a path one can be made at) that this user can write into,
/// checked by making and removing a folder in it (or in the nearest folder above it that
/// exists); throws UsageError otherwise.
void check_results_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  if (dir.empty()) throw UsageError("--results needs a directory (it was given '')");
  std::error_code ec;
  fs::path probe_in = fs::absolute(dir, ec);
  if (fs::exists(probe_in, ec) && !fs::is_directory(probe_in, ec)) {
    throw UsageError("--results " + quote_for_message(dir) + " is not a directory");
  }
  while (!fs::exists(probe_in, ec) && probe_in.has_parent_path() &&
         probe_in != probe_in.parent_path()) {
    probe_in = probe_in.parent_path();
  }
  if (!fs::is_directory(probe_in, ec)) {
    throw UsageError("--results " + quote_for_message(dir) + ": " +
                     quote_for_message(probe_in.string()) + " is not a directory");
  }
  std::string probe = (probe_in / ".hpar-results-XXXXXX").string();
  if (::mkdtemp(probe.data()) == nullptr) {
    throw UsageError("--results " + quote_for_message(dir) + ": cannot write into " +
                     quote_for_message(probe_in.string()) + ": " + std::strerror(errno));
  }
  ::rmdir(probe.c_str());
}

/// --dry-run, --unordered, --results and --tag: GNU parallel's output modes.
void output_modes(const po::variables_map& vm, Settings& s) {
  s.tag = vm.count("tag") != 0U;
  s.dry_run = vm.count("dry-run") != 0U;
  s.unordered = vm.count("unordered") != 0U;
  if (vm.count("results") != 0U) s.results = vm["results"].as<std::string>();
  if (s.dry_run && s.worker) throw UsageError("--dry-run prints commands: not with --worker");
  if (s.dry_run && vm.count("checkpoint") != 0U) {
    throw UsageError(
        "--dry-run runs nothing: not with --checkpoint (it would record the tasks "
        "as done)");
  }
  if (!s.results.empty() && s.worker) throw UsageError("--results is not (yet) for --worker");
  if (!s.results.empty() && !s.dry_run) check_results_dir(s.results);
  if (s.dry_run) {  // writes nothing but the commands
    s.results.clear();
    s.joblog.clear();
  }
}

/// The inputs from GNU parallel's sources after the command (::: and ::::), combined.
/// --deadline, --task-time and --drain-lead: seconds, at most a year; throws UsageError.
void drain_options(const po::variables_map& vm, Settings& s) {
  const auto seconds = [&vm](const char* option, double least) {
    const std::string given = vm[option].as<std::string>();
    const double value = parse_real(given, std::string("--") + option);
    if (!(value >= least) || value > most_timeout_seconds) {
      throw UsageError(std::string("--") + option + " " + quote_for_message(given) +
                       ": give seconds, " + (least > 0.0 ? "more than 0" : "0 or more") +
                       ", at most 31536000 (a year)");
    }
    return value;
  };
  if (vm.count("deadline") != 0U) s.deadline = seconds("deadline", 0.0);
  if (vm.count("task-time") != 0U) s.task_time = seconds("task-time", 1e-9);
  s.drain_lead = seconds("drain-lead", 0.0);
}

Inputs inputs_from_sources(const po::variables_map& vm,
                           const std::vector<std::vector<std::string>>& sources) {
  for (const char* option : {"inputs", "range", "input-file", "args-file"}) {
    if (vm.count(option) != 0U) {
      throw UsageError(std::string("give the inputs after the command (::: or ::::) or with --") +
                       option + ", not both");
    }
  }
  Inputs in;
  in.source = ":::";
  in.positional = true;
  in.columns = sources.size();
  for (auto& columns : farm::combine_sources(sources, vm.count("link") != 0U)) {
    std::string joined;
    for (const auto& c : columns) append_word(joined, c);
    in.list.push_back(std::move(joined));
    in.args.push_back(std::move(columns));
  }
  return in;
}

/// --colsep REGEX: each input's columns are its parts between the separator's matches.
void split_columns(Inputs& in, const std::string& pattern) {
  std::regex separator;
  try {
    separator = std::regex(pattern, std::regex::extended);
  } catch (const std::regex_error& e) {
    throw UsageError("bad --colsep " + quote_for_message(pattern) + ": " + e.what());
  }
  if (!in.args.empty())
    throw UsageError("--colsep splits input lines: not with --args-file or :::");
  std::size_t single = 0;
  for (const auto& input : in.list) {
    std::vector<std::string> columns;
    std::sregex_token_iterator it(input.begin(), input.end(), separator, -1);
    for (; it != std::sregex_token_iterator(); ++it) columns.push_back(*it);
    if (columns.empty()) columns.emplace_back();
    single += columns.size() == 1 ? 1 : 0;
    in.columns = std::max(in.columns, columns.size());
    in.args.push_back(std::move(columns));
  }
  in.positional = true;
  if (single != 0) {
    std::cerr << "hpar: warning: --colsep " << quote_for_message(pattern) << " matches nothing in "
              << single << " of the " << in.list.size()
              << " inputs: their tasks have one column ({2} and on are empty)\n";
  }
}

/// -N K: K inputs per task (the last may have fewer): {} all of them, {1} .. {K} each.
void group_inputs(Inputs& in, std::uint64_t k) {
  if (!in.args.empty() && !in.positional)
    throw UsageError("-N with --args-file: give one or the other");
  if (in.positional) throw UsageError("-N groups single inputs: not with ::: sources or --colsep");
  Inputs grouped;
  grouped.source = in.source;
  grouped.positional = true;
  grouped.columns = static_cast<std::size_t>(k);
  for (std::size_t i = 0; i < in.list.size(); i += k) {
    std::vector<std::string> group(
        in.list.begin() + static_cast<std::ptrdiff_t>(i),
        in.list.begin() + static_cast<std::ptrdiff_t>(std::min(in.list.size(), i + k)));
    std::string joined;
    for (const auto& g : group) append_word(joined, g);
    grouped.list.push_back(std::move(joined));
    grouped.args.push_back(std::move(group));
  }
  in = std::move(grouped);
}

/// The farm's inputs: GNU parallel's sources after the command, or the input options; then
/// --colsep and -N.
Inputs farm_inputs(const po::variables_map& vm, std::vector<std::string>& command) {
  const auto sources = farm::take_sources(command);
  Inputs in = sources.empty() ? read_inputs(vm) : inputs_from_sources(vm, sources);
  if (vm.count("link") != 0U && sources.size() < 2) {
    throw UsageError("--link pairs two or more input sources after the command (::: or ::::)");
  }
  if (vm.count("colsep") != 0U) split_columns(in, vm["colsep"].as<std::string>());
  if (vm.count("max-args") != 0U) {
    const std::uint64_t k = parse_count(vm["max-args"].as<std::string>(), "-N");
    if (k == 0 || k > 4096) throw UsageError("-N must be 1 to 4096");
    group_inputs(in, k);
  }
  return in;
}

std::unique_ptr<Job> make(const po::variables_map& vm, const JobContext& context) {
  Settings s;
  if (vm.count("command") != 0U) s.command = vm["command"].as<std::vector<std::string>>();
  Inputs inputs = farm_inputs(vm, s.command);
  if (s.command.empty()) {
    throw UsageError("no command: give it after '--', e.g. hpar run farm --inputs a,b -- echo {}");
  }
  s.shell = vm.count("shell") != 0U;
  s.worker = vm.count("worker") != 0U;
  for (const auto& word : s.command) {
    if (farm::has_placeholder(word, inputs.columns) && s.worker) {  // unknown ones throw
      throw UsageError(
          "--worker: the command starts once per slot and reads the inputs from "
          "its stdin, so it takes no placeholder: " +
          quote_for_message(word));
    }
  }
  s.retries = parse_count(vm["retries"].as<std::string>(), "--retries");
  if (s.retries > most_retries) {
    throw UsageError("--retries " + std::to_string(s.retries) + ": at most " +
                     std::to_string(most_retries));
  }
  s.timeout = parse_real(vm["timeout"].as<std::string>(), "--timeout");
  if (s.timeout < 0.0) throw UsageError("--timeout must not be negative");
  if (s.timeout > most_timeout_seconds) {
    throw UsageError("--timeout " + quote_for_message(vm["timeout"].as<std::string>()) +
                     " is too long: at most 31536000 seconds (a year); 0 for none");
  }
  if (vm.count("task-threads") != 0U) {
    s.task_threads = parse_count(vm["task-threads"].as<std::string>(), "--task-threads");
    if (s.task_threads == 0 || s.task_threads > most_task_cpus) {
      throw UsageError("--task-threads must be 1 to " + std::to_string(most_task_cpus));
    }
  }
  if (vm.count("task-ranks") != 0U) {
    s.task_ranks = parse_count(vm["task-ranks"].as<std::string>(), "--task-ranks");
    if (s.task_ranks == 0 || s.task_ranks > most_task_cpus) {
      throw UsageError("--task-ranks must be 1 to " + std::to_string(most_task_cpus));
    }
    if (s.worker)
      throw UsageError("--task-ranks runs each task as an MPI program: not with --worker");
    const std::string launcher = farm::task_launcher().path;
    if (find_program(launcher).empty()) {
      throw UsageError("--task-ranks: the MPI launcher " + quote_for_message(launcher) +
                       " is not found (set HPAR_TASK_MPIEXEC to the mpiexec of this MPI)");
    }
  }
  s.oversubscribe_tasks = vm.count("oversubscribe-tasks") != 0U;
  s.chunk = parse_count(vm["chunk"].as<std::string>(), "--chunk");
  s.chunk_given = !vm["chunk"].defaulted();
  if (s.chunk == 0 || s.chunk > 1024) throw UsageError("--chunk must be 1 to 1024");
  if (vm.count("joblog") != 0U) s.joblog = vm["joblog"].as<std::string>();
  s.halt = parse_halt(vm["halt"].as<std::string>());
  drain_options(vm, s);
  output_modes(vm, s);
  if (!s.shell && !farm::has_placeholder(s.command[0], inputs.columns) &&
      find_program(s.command[0]).empty()) {
    throw UsageError("program " + quote_for_message(s.command[0]) +
                     " not found (or not executable)" +
                     (s.command[0].find('/') == std::string::npos ? " in PATH" : ""));
  }
  return std::make_unique<Farm>(std::move(s), std::move(inputs), context);
}

}  // namespace

namespace farm {

bool task_failed(std::span<const std::uint64_t> counts) {
  const std::uint64_t attempts = counts.empty() ? 0 : counts[field::attempts];
  if (attempts == 0) return true;  // --halt left it unrun
  const std::size_t last = field::per_task + field::per_attempt * (attempts - 1);
  if (counts.size() < last + field::per_attempt) return true;
  return counts[last + field::end] != ended::exited || counts[last + field::exit_code] != 0;
}

}  // namespace farm

JobInfo farm_job() {
  JobInfo info{"farm", "your own command once per input, output joined in input order", add_options,
               make};
  info.notes =
      "Usage: mpirun -np R hpar run farm [options] -- COMMAND [ARG...]\n"
      "Placeholders in COMMAND and ARGs (GNU parallel's): {} and {1} the input, {#} the task\n"
      "number, {%} the slot, {.} {/} {//} {/.} parts of the input as a path; with none, the\n"
      "input is the last argument ({= =} is refused). Each task sees HPAR_TASK, HPAR_INPUT, "
      "HPAR_RANK, HPAR_SLOT,\n"
      "HPAR_ATTEMPT, HPAR_HOST (and HPAR_CPUS with --task-threads or --task-ranks). Exit code 3\n"
      "when a task failed. --task-ranks R: each task an R-rank MPI program (the local mpiexec,\n"
      "HPAR_TASK_MPIEXEC to pick another), each rank on --task-threads K CPUs of its own.\n"
      "Defaults: --distribution dynamic --schedule dynamic,1; --checkpoint DIR and\n"
      "--resume run only the tasks a stopped farm did not finish (--resume-failed: and the\n"
      "failed ones; 'hpar farm-status DIR' tells what is done). --halt soon,fail=1: no new\n"
      "task after a failure. --worker: COMMAND starts once per slot and answers each input\n"
      "over a pipe (docs/workers.md; Python: hpar_worker, folder printed by\n"
      "'hpar worker-path').\n"
      "Output modes (GNU parallel's): --tag, --dry-run, --unordered (with --resume: the\n"
      "restored tasks' output first, in input order), --results DIR (DIR/SEQ/{stdout,stderr,\n"
      "exitval,seq,input,command}); see docs/farm.md.";
  info.trailing_words = "command";
  info.block_failed = farm::task_failed;
  info.reads_allocation_end = true;  // the drain, inside a Slurm job
  info.default_distribution = "dynamic";
  info.default_schedule = "dynamic,1";
  // A checkpoint resumes the same tasks: what changes a task counts (the command, --shell,
  // the inputs: a file's content, not its path; --tag, which is in a task's stdout). --timeout,
  // --task-threads, --task-ranks, --chunk, --unordered, --results, the joblog and the drain
  // (--deadline,
  // --task-time, --drain-lead) change no task's records,
  // so a resume may change them. --retries is kept: the
  // records hold one group of counters per attempt it allows (WorkPlan::count_partials), and a
  // task that failed under fewer retries would not be run again under more, so a changed
  // --retries is refused ("--retries was 0, now 2") rather than mixed.
  info.identity_rules = {
      {"range", IdentityRule::integers},       {"input-file", IdentityRule::input_file},
      {"args-file", IdentityRule::input_file}, {"retries", IdentityRule::count},
      {"timeout", IdentityRule::ignored},      {"task-threads", IdentityRule::ignored},
      {"task-ranks", IdentityRule::ignored},   {"oversubscribe-tasks", IdentityRule::ignored},
      {"chunk", IdentityRule::ignored},        {"joblog", IdentityRule::ignored},
      {"halt", IdentityRule::ignored},         {"unordered", IdentityRule::ignored},
      {"results", IdentityRule::ignored},      {"deadline", IdentityRule::ignored},
      {"task-time", IdentityRule::ignored},    {"drain-lead", IdentityRule::ignored}};
  return info;
}

}  // namespace hpar::jobs
