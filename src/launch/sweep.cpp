// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/launch/sweep.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "hpar/core/errors.hpp"
#include "hpar/core/format.hpp"
#include "hpar/core/parse.hpp"
#include "hpar/launch/binding.hpp"

namespace hpar {
namespace {

std::vector<int> powers_of_two_to(int n) {
  std::vector<int> out;
  for (int p = 1; p <= n && p > 0; p *= 2) out.push_back(p);
  return out;
}

/// The words of `text`, split on blanks.
std::vector<std::string> words_of(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  std::string word;
  while (in >> word) out.push_back(word);
  return out;
}

/// The number in `text` (a decimal or scientific figure, e.g. "1.5e-3"); none otherwise.
std::optional<double> figure(const std::string& text) {
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

const std::regex& placeholder() {
  static const std::regex pattern(R"(\{(ranks|threads|cores|run)(?:\*([0-9][0-9.eE+]*))?\})");
  return pattern;
}

/// The numbers the metrics matched so far: the measured one's and each named figure's.
struct MetricValues {
  std::vector<double> metric;
  std::vector<std::vector<double>> figures;
};

/// Applies `rules` to one line of output.
void scan_line(const std::string& line, const OutputRules& rules, OutputFindings& found,
               MetricValues& values) {
  std::smatch m;
  if (rules.metric && std::regex_search(line, m, rules.metric->regex)) {
    const std::string text = m[1].str();
    if (const auto v = figure(text)) {
      values.metric.push_back(*v * rules.metric_scale);
    } else if (found.metric_problem.empty()) {
      found.metric_problem = "--metric's group matched '" + text + "', which is not a number";
    }
  }
  values.figures.resize(rules.figures.size());
  for (std::size_t k = 0; k < rules.figures.size(); ++k) {
    if (std::regex_search(line, m, rules.figures[k].pattern.regex) && m.size() > 1) {
      if (const auto v = figure(m[1].str())) values.figures[k].push_back(*v);
    }
  }
  if (rules.check && !found.check_found && std::regex_search(line, rules.check->regex)) {
    found.check_found = true;
    found.check_line = line;
  }
  if (rules.same) {
    for (auto it = std::sregex_iterator(line.begin(), line.end(), rules.same->regex);
         it != std::sregex_iterator(); ++it) {
      const auto& match = *it;
      found.values.push_back(match.size() > 1 && match[1].matched ? match[1].str()
                                                                  : match[0].str());
      if (match.length(0) == 0) break;  // an empty match would repeat forever
    }
  }
}

/// The figure --metric-pick chooses among the matches.
std::optional<double> pick(const std::vector<double>& values, const std::string& how) {
  if (values.empty()) return std::nullopt;
  if (how == "last") return values.back();
  if (how == "max") return *std::max_element(values.begin(), values.end());
  if (how == "min") return *std::min_element(values.begin(), values.end());
  return values.front();
}

/// Sets the findings' picked values once every line is scanned.
void pick_values(const OutputRules& rules, const MetricValues& values, OutputFindings& found) {
  found.metric_seconds = pick(values.metric, rules.metric_pick);
  for (std::size_t k = 0; k < rules.figures.size() && k < values.figures.size(); ++k) {
    if (const auto v = pick(values.figures[k], rules.metric_pick)) {
      found.figures.emplace_back(rules.figures[k].name, *v);
    }
  }
}

}  // namespace

std::string layout_text(const SweepLayout& layout) {
  return std::to_string(layout.ranks) + "x" + std::to_string(layout.threads);
}

std::vector<SweepLayout> sweep_layouts(const std::vector<int>& ranks,
                                       const std::vector<int>& threads,
                                       const std::vector<int>& cores, int default_cores) {
  std::vector<int> counts = cores;
  if (ranks.empty() && threads.empty() && counts.empty()) {
    counts = powers_of_two_to(default_cores);
    if (counts.empty() || counts.back() != default_cores) counts.push_back(default_cores);
  }
  const int most = counts.empty() ? default_cores : *std::max_element(counts.begin(), counts.end());
  std::vector<int> all(static_cast<std::size_t>(std::max(most, 1)));
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i) + 1;
  const std::vector<int>& rank_list = !ranks.empty()   ? ranks
                                      : counts.empty() ? powers_of_two_to(default_cores)
                                                       : all;
  const std::vector<int>& thread_list = !threads.empty() ? threads
                                        : counts.empty() ? powers_of_two_to(default_cores)
                                                         : all;
  const std::set<int> wanted(counts.begin(), counts.end());
  std::vector<SweepLayout> out;
  for (const int r : rank_list) {
    for (const int t : thread_list) {
      if (wanted.empty() || wanted.count(r * t) != 0U) out.push_back({r, t});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return std::make_pair(x.cores(), x.ranks) < std::make_pair(y.cores(), y.ranks);
  });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<SweepCapacity> slurm_capacity(const std::string& cpus_per_node) {
  static const std::regex group(R"(([0-9]+)(?:\(x([0-9]+)\))?)");
  SweepCapacity capacity;
  capacity.nodes = 0;
  capacity.per_node = std::numeric_limits<int>::max();
  capacity.source = "the Slurm allocation (SLURM_JOB_CPUS_PER_NODE=" + cpus_per_node + ")";
  std::istringstream in(cpus_per_node);
  std::string field;
  while (std::getline(in, field, ',')) {
    std::smatch m;
    if (!std::regex_match(field, m, group) || m[1].length() > 6 || m[2].length() > 6) {
      return std::nullopt;
    }
    const int cpus = std::stoi(m[1].str());
    const int repeat = m[2].matched ? std::stoi(m[2].str()) : 1;
    if (cpus < 1 || repeat < 1) return std::nullopt;
    capacity.nodes += repeat;
    capacity.per_node = std::min(capacity.per_node, cpus);
  }
  if (capacity.nodes == 0) return std::nullopt;
  return capacity;
}

std::string fit_problem(const SweepLayout& layout, const SweepCapacity& capacity) {
  const std::string name = layout_text(layout) + " (" + std::to_string(layout.cores()) + " cores)";
  if (layout.threads > capacity.per_node) {
    return name + ": " + std::to_string(layout.threads) + " threads per rank, but a node has " +
           std::to_string(capacity.per_node) + " cores";
  }
  const long long fit = static_cast<long long>(capacity.per_node / layout.threads) * capacity.nodes;
  if (layout.ranks > fit) {
    return name + ": more than the " + std::to_string(capacity.total()) + " cores of " +
           capacity.source;
  }
  return "";
}

SweepLauncher parse_launcher(const std::string& text, bool in_slurm) {
  SweepLauncher l;
  if (text == "auto") {
    l.kind = in_slurm ? SweepLauncher::Kind::srun : SweepLauncher::Kind::mpirun;
    l.why = in_slurm ? "inside a Slurm allocation (SLURM_JOB_ID is set)"
                     : "not inside a Slurm allocation";
  } else if (text == "mpirun" || text == "srun" || text == "none") {
    l.kind = text == "mpirun" ? SweepLauncher::Kind::mpirun
             : text == "srun" ? SweepLauncher::Kind::srun
                              : SweepLauncher::Kind::none;
    l.why = "--launcher " + text;
  } else if (text.find("{ranks}") != std::string::npos) {
    l.kind = SweepLauncher::Kind::custom;
    l.words = words_of(text);
    l.why = "--launcher template";
  } else {
    throw UsageError("bad --launcher '" + text +
                     "': expected auto, mpirun, srun, none or a command template with {ranks} "
                     "(e.g. 'mpiexec -n {ranks} -genv OMP_NUM_THREADS {threads}')");
  }
  return l;
}

std::vector<std::string> launch_command(const SweepLauncher& launcher, const SweepLayout& layout,
                                        bool oversubscribed,
                                        const std::vector<std::string>& program) {
  // The ranks as the launcher's slots come (one allocation), bound by the binding rules.
  const Placement placement{
      .ranks = layout.ranks, .threads = layout.threads, .oversubscribed = oversubscribed};
  const Binding binding = binding_for(placement);
  std::vector<std::string> cmd;
  switch (launcher.kind) {
    case SweepLauncher::Kind::mpirun:
      cmd = batch_launch_words(BatchLauncher::mpirun, placement);
      if (launcher.add_allow_run_as_root) cmd.emplace_back("--allow-run-as-root");
      break;
    case SweepLauncher::Kind::srun:
      // Since Slurm 22.05 srun does not take --cpus-per-task from the allocation: always given.
      cmd = {"srun", "--mpi=" + launcher.srun_mpi, "--ntasks=" + std::to_string(layout.ranks),
             "--cpus-per-task=" + std::to_string(layout.threads),
             "--cpu-bind=" + binding.srun_cpu_bind};
      if (binding.srun_overcommit) cmd.emplace_back("--overcommit");
      break;
    case SweepLauncher::Kind::none:
      break;
    case SweepLauncher::Kind::custom:
      cmd = substitute_layout(launcher.words, layout);
      break;
  }
  cmd.insert(cmd.end(), launcher.extra.begin(), launcher.extra.end());
  cmd.insert(cmd.end(), program.begin(), program.end());
  return cmd;
}

std::vector<std::pair<std::string, std::string>> launch_environment(const SweepLayout& layout,
                                                                    bool keep_places,
                                                                    bool keep_bind) {
  return binding_environment({.ranks = layout.ranks, .threads = layout.threads}, keep_places,
                             keep_bind);
}

std::vector<std::string> substitute_layout(const std::vector<std::string>& arguments,
                                           const SweepLayout& layout, int run) {
  std::vector<std::string> out;
  for (const auto& arg : arguments) {
    std::string result;
    auto last = arg.cbegin();
    for (auto it = std::sregex_iterator(arg.begin(), arg.end(), placeholder());
         it != std::sregex_iterator(); ++it) {
      const auto& m = *it;
      result.append(last, m[0].first);
      const std::string name = m[1].str();
      const int value = name == "ranks"     ? layout.ranks
                        : name == "threads" ? layout.threads
                        : name == "run"     ? run
                                            : layout.cores();
      const auto base = static_cast<std::uint64_t>(std::max(value, 0));
      const std::uint64_t factor = m[2].matched ? parse_count(m[2].str(), "{" + name + "*K}") : 1;
      if (factor != 0 && base > std::numeric_limits<std::uint64_t>::max() / factor) {
        throw UsageError("{" + name + "*" + m[2].str() + "} does not fit in 64 bits");
      }
      result += std::to_string(base * factor);
      last = m[0].second;
    }
    result.append(last, arg.cend());
    out.push_back(result);
  }
  return out;
}

bool has_placeholders(const std::vector<std::string>& arguments) {
  for (const auto& arg : arguments) {
    for (auto it = std::sregex_iterator(arg.begin(), arg.end(), placeholder());
         it != std::sregex_iterator(); ++it) {
      if ((*it)[1].str() != "run") return true;
    }
  }
  return false;
}

void check_placeholders(const std::vector<std::string>& arguments, const std::string& where) {
  static const std::regex any(R"(\{([A-Za-z_][A-Za-z0-9_]*)(\*[^{}]*)?\})");
  for (const auto& arg : arguments) {
    for (auto it = std::sregex_iterator(arg.begin(), arg.end(), any); it != std::sregex_iterator();
         ++it) {
      const std::string name = (*it)[1].str();
      const auto at = static_cast<std::size_t>(it->position(0));
      if (at > 0 && arg[at - 1] == '$') continue;  // ${NAME}: a shell's variable, not ours
      if (name != "ranks" && name != "threads" && name != "cores" && name != "run") {
        throw UsageError("unknown placeholder '" + (*it)[0].str() + "' in " + where +
                         ": the known ones are {ranks}, {threads}, {cores}, {run} (and "
                         "{NAME*K}, K a whole number)");
      }
    }
  }
}

std::pair<std::string, std::string> split_metric(const std::string& text) {
  static const std::regex named(R"(([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*))");
  std::smatch m;
  if (std::regex_match(text, m, named)) return {m[1].str(), m[2].str()};
  return {"", text};
}

SweepPattern sweep_pattern(const std::string& text, const std::string& option, bool needs_group) {
  SweepPattern p;
  p.text = text;
  try {
    p.regex = std::regex(text, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw UsageError("bad " + option + " '" + text + "': not a regular expression (" + e.what() +
                     ")");
  }
  if (needs_group && p.regex.mark_count() < 1) {
    throw UsageError("bad " + option + " '" + text +
                     "': it needs a group around the number, e.g. 'time: ([0-9.]+)'");
  }
  return p;
}

OutputFindings scan_output(const std::vector<std::string>& lines, const OutputRules& rules) {
  OutputFindings found;
  MetricValues values;
  for (const auto& line : lines) scan_line(line, rules, found, values);
  pick_values(rules, values, found);
  return found;
}

OutputFindings scan_output_files(const std::string& stdout_path, const std::string& stderr_path,
                                 const OutputRules& rules) {
  OutputFindings found;
  MetricValues values;
  for (const auto& path : {stdout_path, stderr_path}) {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      scan_line(line, rules, found, values);
    }
  }
  pick_values(rules, values, found);
  return found;
}

double metric_unit_seconds(const std::string& unit) {
  if (unit == "s") return 1.0;
  if (unit == "ms") return 1e-3;
  if (unit == "us") return 1e-6;
  if (unit == "ns") return 1e-9;
  throw UsageError("bad --metric-unit '" + unit + "': expected s, ms, us or ns");
}

std::string command_line_text(const std::vector<std::pair<std::string, std::string>>& environment,
                              const std::vector<std::string>& command) {
  std::string out;
  for (const auto& [name, value] : environment) {
    append_word(out, name + "=" + shell_quote(value));
  }
  for (const auto& word : command) append_word(out, shell_quote(word));
  return out;
}

}  // namespace hpar
