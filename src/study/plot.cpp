// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/study/plot.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "hpar/core/errors.hpp"
#include "hpar/core/files.hpp"

extern char** environ;

namespace hpar {
namespace {

/// A gnuplot single-quoted string ('' stands for a quote inside).
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') out += '\'';
    if (c == '\n') continue;
    out += c;
  }
  return out + "'";
}

/// A temporary file without a name (created in $TMPDIR and unlinked at once): nothing of it
/// can outlive the process, however it ends. Closed when it goes out of scope.
class AnonymousFile {
 public:
  AnonymousFile() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hpar-gnuplot-XXXXXX").string();
    fd_ = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd_ < 0) {
      throw RuntimeError("cannot create a temporary file for gnuplot in " +
                         quote_for_message(std::filesystem::path(pattern).parent_path().string()) +
                         ": " + std::strerror(errno));
    }
    ::unlink(pattern.c_str());
  }
  AnonymousFile(const AnonymousFile&) = delete;
  AnonymousFile& operator=(const AnonymousFile&) = delete;
  ~AnonymousFile() { ::close(fd_); }
  [[nodiscard]] int descriptor() const { return fd_; }

  /// Replaces the contents with `text` and rewinds.
  void fill(const std::string& text) {
    for (std::size_t done = 0; done < text.size();) {
      const ssize_t n =
          ::pwrite(fd_, text.data() + done, text.size() - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw RuntimeError(std::string("cannot write gnuplot's script: ") + why());
      done += static_cast<std::size_t>(n);
    }
  }
  /// Everything in the file.
  [[nodiscard]] std::string contents() const {
    std::string out;
    char buffer[65536];
    for (off_t at = 0;;) {
      const ssize_t n = ::pread(fd_, buffer, sizeof buffer, at);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw RuntimeError(std::string("cannot read gnuplot's output: ") + why());
      if (n == 0) return out;
      out.append(buffer, static_cast<std::size_t>(n));
      at += n;
    }
  }

 private:
  static const char* why() { return std::strerror(errno); }
  int fd_ = -1;
};

/// Runs `gnuplot` with the script on its standard input, its standard output (the PNG) and
/// error (messages) in files, and waits. Returns its exit status (128 + N for signal N).
int run_gnuplot(const AnonymousFile& script, const AnonymousFile& png,
                const AnonymousFile& messages) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, script.descriptor(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, png.descriptor(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, messages.descriptor(), STDERR_FILENO);
  std::string program = "gnuplot";
  char* argv[] = {program.data(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw RuntimeError(std::string("cannot run gnuplot: ") + std::strerror(rc) +
                       " (install it, e.g. Debian's gnuplot-nox)");
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw RuntimeError(std::string("waitpid: ") + std::strerror(errno));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// The first line of gnuplot's messages that says something (not blank, not a caret line).
std::string first_message(const std::string& messages) {
  for (std::size_t p = 0, q; p < messages.size(); p = q + 1) {
    q = messages.find('\n', p);
    if (q == std::string::npos) q = messages.size();
    std::string line = messages.substr(p, q - p);
    if (line.find_first_not_of(" \t^") != std::string::npos) return line;
  }
  return messages;
}

std::string series_title(int threads, const std::string& schedule, bool several_schedules) {
  std::string t = std::to_string(threads) + (threads == 1 ? " thread/rank" : " threads/rank");
  if (several_schedules) t += ", " + schedule;
  return t;
}

/// What the script needs to know of a study besides the points themselves.
struct PlotShape {
  bool several_schedules = false;
  std::set<int> core_counts;
  std::size_t repetitions = 0;  ///< most runs of a point
  /// One series per (schedule, threads per rank): point indices by cores.
  std::map<std::pair<std::string, int>, std::vector<std::size_t>> series;
};

PlotShape plot_shape(const Study& study) {
  PlotShape shape;
  std::set<std::string> schedules;
  for (std::size_t i = 0; i < study.points.size(); ++i) {
    const auto& p = study.points[i];
    schedules.insert(p.schedule);
    shape.core_counts.insert(p.cores());
    shape.repetitions = std::max(shape.repetitions, p.seconds.size());
    shape.series[{p.schedule, p.threads}].push_back(i);
  }
  shape.several_schedules = schedules.size() > 1;
  for (auto& [key, idx] : shape.series) {
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
      return study.points[a].cores() < study.points[b].cores();
    });
  }
  return shape;
}

/// The terminal (pngcairo when there is one) and the output file.
void write_terminal(std::ostream& o, const Study& study, const std::string& png_path) {
  o << "# hpar: speedup and efficiency of a " << to_string(study.mode) << " scaling study of "
    << study.job << "\n";
  o << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
       "  set terminal pngcairo size 1000,450 font 'Sans,9'\n"
       "} else {\n"
       "  set terminal png size 1000,450\n"
       "}\n";
  if (!png_path.empty()) o << "set output " << quoted(png_path) << "\n";  // else stdout
}

/// One inline data block per series ($s0, $s1, ...).
void write_data(std::ostream& o, const Study& study, const ScalingAnalysis& analysis,
                const PlotShape& shape) {
  int index = 0;
  for (const auto& [key, idx] : shape.series) {
    // Columns 5-8: the speedup and efficiency of the slowest and fastest run (error bars).
    o << "$s" << index++
      << " << EOD\n# cores speedup efficiency_percent ranks speedup_min speedup_max"
         " efficiency_min efficiency_max\n";
    for (const auto i : idx) {
      const auto& pa = analysis.points[i];
      const double low = pa.speedup * pa.median / pa.max;
      const double high = pa.speedup * pa.median / pa.min;
      const int c = study.points[i].cores();
      o << c << ' ' << pa.speedup << ' ' << 100.0 * pa.efficiency << ' ' << study.points[i].ranks
        << ' ' << low << ' ' << high << ' ' << 100.0 * low / c << ' ' << 100.0 * high / c << '\n';
    }
    o << "EOD\n";
  }
}

/// The title, the two-plot layout, the style and the cores axis both plots share.
void write_layout(std::ostream& o, const Study& study, const PlotShape& shape) {
  const int max_cores = *shape.core_counts.rbegin();
  const std::string title = study.job + ": " + to_string(study.mode) + " scaling" +
                            (study.host.empty() ? std::string() : " on " + study.host) +
                            " (median of " + std::to_string(shape.repetitions) + " run" +
                            (shape.repetitions == 1 ? "" : "s") +
                            " per point; bars: fastest and slowest run)";
  o << "set multiplot layout 1,2 title " << quoted(title) << "\n";
  o << "set grid\nset key bottom right box opaque\nset style data linespoints\nset samples 400\n";
  o << "set xlabel 'cores (ranks x threads per rank)'\n";
  if (max_cores >= 8) o << "set logscale x 2\n";
  o << "set xrange [" << (max_cores >= 8 ? 0.8 : 0.5) << ":"
    << (max_cores >= 8 ? max_cores * 1.25 : max_cores + 0.5) << "]\n";
  o << "set xtics (";
  bool first = true;
  for (const int c : shape.core_counts) {
    o << (first ? "" : ", ") << c;
    first = false;
  }
  o << ")\n";
}

/// `, $sN using COLUMNS with yerrorlines ... title '...'` for every series.
void write_series(std::ostream& o, const PlotShape& shape, const char* columns) {
  int index = 0;
  for (const auto& [key, idx] : shape.series) {
    o << ", $s" << index++ << " using " << columns << " with yerrorlines pointtype 7 title "
      << quoted(series_title(key.second, key.first, shape.several_schedules));
  }
}

/// Left: the speedup, the ideal line and the fitted law of each schedule.
void write_speedup_plot(std::ostream& o, const Study& study, const ScalingAnalysis& analysis,
                        const PlotShape& shape) {
  const bool strong = study.mode == ScalingMode::strong;
  double top_speedup = *shape.core_counts.rbegin();
  for (const auto& pa : analysis.points) top_speedup = std::max(top_speedup, pa.speedup);
  o << "set ylabel " << quoted(strong ? "speedup" : "scaled speedup") << "\n";
  o << "set yrange [0:" << top_speedup * 1.15 << "]\n";
  o << "plot x with lines dashtype 2 linecolor rgb 'gray40' title 'ideal'";
  write_series(o, shape, "1:2:5:6");
  const auto& base = study.points[analysis.baseline];
  const double base_speed = base.cores() * analysis.points[analysis.baseline].median;
  for (const auto& f : analysis.fits) {
    std::ostringstream label;
    label << std::fixed << std::setprecision(3)
          << (strong ? "Amdahl fit, serial fraction " : "Gustafson fit, serial fraction ")
          << f.serial_fraction
          << (shape.several_schedules ? " (" + f.schedule + ")" : std::string())
          << (f.quality() == "poor" ? ", POOR FIT" : "");
    if (strong && f.one_core_seconds > 0.0) {
      o << ", (x < 1 ? 1/0 : " << base_speed / f.one_core_seconds << " / (" << f.serial_fraction
        << " + (1 - " << f.serial_fraction << ") / x))";
    } else if (!strong) {
      o << ", (x < 1 ? 1/0 : x - " << f.serial_fraction << " * (x - 1))";
    } else {
      continue;
    }
    o << " with lines dashtype 3 linewidth 1.5 title " << quoted(label.str());
  }
  o << "\n";
}

/// Right: the parallel efficiency and its ideal line.
void write_efficiency_plot(std::ostream& o, const ScalingAnalysis& analysis,
                           const PlotShape& shape) {
  double top_efficiency = 100.0;
  for (const auto& pa : analysis.points) {
    top_efficiency = std::max(top_efficiency, 100.0 * pa.efficiency);
  }
  o << "set ylabel 'parallel efficiency (%)'\n";
  o << "set key bottom left\n";
  o << "set yrange [0:" << top_efficiency * 1.1 << "]\n";
  o << "plot 100 with lines dashtype 2 linecolor rgb 'gray40' title 'ideal'";
  write_series(o, shape, "1:3:7:8");
  o << "\nunset multiplot\n";
}

}  // namespace

std::string gnuplot_script(const Study& study, const ScalingAnalysis& analysis,
                           const std::string& png_path) {
  const PlotShape shape = plot_shape(study);
  std::ostringstream o;
  o << std::setprecision(9);
  write_terminal(o, study, png_path);
  write_data(o, study, analysis, shape);
  write_layout(o, study, shape);
  write_speedup_plot(o, study, analysis, shape);
  write_efficiency_plot(o, analysis, shape);
  return o.str();
}

std::string plot_png(const Study& study) {
  const ScalingAnalysis analysis = analyze_scaling(study.mode, study.points);
  AnonymousFile script;
  AnonymousFile png;
  AnonymousFile messages;
  script.fill(gnuplot_script(study, analysis, ""));
  const int code = run_gnuplot(script, png, messages);
  const std::string text = messages.contents();
  if (code != 0) {
    throw RuntimeError("gnuplot failed (exit " + std::to_string(code) +
                       "): " + one_line_message(first_message(text), 300));
  }
  std::string bytes = png.contents();
  if (bytes.substr(0, 8) != std::string("\x89PNG\r\n\x1a\n", 8)) {
    throw RuntimeError("gnuplot did not write a PNG image (" + one_line_message(text, 300) + ")");
  }
  return bytes;
}

void plot_study(const Study& study, const std::string& path) {
  AtomicFile file(path);  // refuses a path that cannot be written before gnuplot runs
  file.write(plot_png(study));
  file.commit();
}

}  // namespace hpar
