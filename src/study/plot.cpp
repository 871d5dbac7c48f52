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
#include <limits>
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

/// One series: the points of one study, schedule and threads per rank, by cores.
struct Series {
  std::size_t study = 0;
  std::string schedule;
  int threads = 1;
  std::vector<std::size_t> points;  ///< indices into the study's points, ascending cores
  bool untrusted = false;           ///< a point of it was measured while the machine was busy
};

/// What the script needs to know of the studies besides the points themselves.
struct PlotShape {
  bool several_schedules = false;
  bool several_studies = false;
  bool log = false;  ///< log scales: 8 cores or more
  std::set<int> core_counts;
  std::size_t repetitions = 0;  ///< most runs of a point
  std::vector<Series> series;
  std::vector<int> failed_cores;       ///< failed layouts (no time, or a wrong answer): cores
  std::vector<std::string> untrusted;  ///< names of the untrusted points
  std::vector<std::string> failed;     ///< names of the failed layouts
};

std::string layout_text(const ScalingPoint& p) {
  return std::to_string(p.ranks) + "x" + std::to_string(p.threads) + " " + p.schedule;
}

void add_series(const std::vector<Study>& studies, std::size_t k, PlotShape& shape) {
  const Study& study = studies[k];
  const std::string of = shape.several_studies ? " (" + study.label + ")" : "";
  std::map<std::pair<std::string, int>, Series> by_key;
  for (std::size_t i = 0; i < study.points.size(); ++i) {
    const auto& p = study.points[i];
    shape.core_counts.insert(p.cores());
    shape.repetitions = std::max(shape.repetitions, p.seconds.size());
    Series& s = by_key[{p.schedule, p.threads}];
    s.study = k;
    s.schedule = p.schedule;
    s.threads = p.threads;
    s.points.push_back(i);
    if (p.failed) {
      shape.failed_cores.push_back(p.cores());
      shape.failed.push_back(layout_text(p) + " (wrong answer)" + of);
    } else if (!p.trusted) {
      s.untrusted = true;
      shape.untrusted.push_back(layout_text(p) + of);
    }
  }
  for (const auto& a : study.absent) {
    shape.core_counts.insert(a.cores());
    shape.failed_cores.push_back(a.cores());
    shape.failed.push_back(layout_text(a) + " (no launch succeeded)" + of);
  }
  for (auto& [key, s] : by_key) {
    std::sort(s.points.begin(), s.points.end(), [&](std::size_t a, std::size_t b) {
      return study.points[a].cores() < study.points[b].cores();
    });
    shape.series.push_back(std::move(s));
  }
}

PlotShape plot_shape(const std::vector<Study>& studies) {
  PlotShape shape;
  std::set<std::string> schedules;
  for (const auto& study : studies) {
    for (const auto& p : study.points) schedules.insert(p.schedule);
  }
  shape.several_schedules = schedules.size() > 1;
  shape.several_studies = studies.size() > 1;
  for (std::size_t k = 0; k < studies.size(); ++k) add_series(studies, k, shape);
  shape.log = *shape.core_counts.rbegin() >= 8;
  return shape;
}

std::string series_title(const Series& s, const std::vector<Study>& studies,
                         const PlotShape& shape) {
  std::string t = std::to_string(s.threads) + (s.threads == 1 ? " thread/rank" : " threads/rank");
  if (shape.several_schedules) t += ", " + s.schedule;
  if (shape.several_studies) t = studies[s.study].label + ": " + t;
  return t;
}

/// The terminal for `format` and the output file.
void write_terminal(std::ostream& o, const std::vector<Study>& studies, ImageFormat format,
                    const std::string& path) {
  o << "# hpar: time, speedup and efficiency of a " << to_string(studies.front().mode)
    << " scaling study of " << studies.front().job << "\n";
  switch (format) {
    case ImageFormat::png:
      o << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
           "  set terminal pngcairo size 1500,600 font 'Sans,9'\n"
           "} else {\n"
           "  set terminal png size 1500,600\n"
           "}\n";
      break;
    case ImageFormat::svg:
      o << "set terminal svg size 1500,600 font 'Sans,9' background rgb 'white'\n";
      break;
    case ImageFormat::pdf:
      o << "set terminal pdfcairo size 15in,6in font 'Sans,9'\n";
      break;
  }
  if (!path.empty()) o << "set output " << quoted(path) << "\n";  // else stdout
}

/// One inline data block per series ($s0, $s1, ...), and $failed: the failed layouts' cores.
void write_data(std::ostream& o, const std::vector<Study>& studies,
                const std::vector<ScalingAnalysis>& analyses, const PlotShape& shape) {
  int index = 0;
  for (const auto& series : shape.series) {
    const Study& study = studies[series.study];
    // Columns 5-8 and 10-11: the slowest and fastest run (error bars); 12: trusted; 13: failed.
    o << "$s" << index++
      << " << EOD\n# cores speedup efficiency_percent ranks speedup_min speedup_max"
         " efficiency_min efficiency_max seconds seconds_min seconds_max trusted failed\n";
    for (const auto i : series.points) {
      const auto& pa = analyses[series.study].points[i];
      const auto& p = study.points[i];
      const double low = pa.speedup * pa.median / pa.max;
      const double high = pa.speedup * pa.median / pa.min;
      const int c = p.cores();
      o << c << ' ' << pa.speedup << ' ' << 100.0 * pa.efficiency << ' ' << p.ranks << ' ' << low
        << ' ' << high << ' ' << 100.0 * low / c << ' ' << 100.0 * high / c << ' ' << pa.median
        << ' ' << pa.min << ' ' << pa.max << ' ' << (p.trusted ? 1 : 0) << ' ' << (p.failed ? 1 : 0)
        << '\n';
    }
    o << "EOD\n";
  }
  if (!shape.failed_cores.empty()) {
    o << "$failed << EOD\n";
    for (const int c : shape.failed_cores) o << c << '\n';
    o << "EOD\n";
  }
}

/// Why a fit is not drawn, or empty when it is: a poor fit or one at its bound (e.g. a serial
/// fraction of 1: no speedup at all) says nothing a curve should show.
std::string fit_not_drawn(const ScalingFit& f) {
  std::ostringstream why;
  why << std::fixed << std::setprecision(3);
  if (f.at_bound) {
    why << "its serial fraction " << f.serial_fraction << " is at the bound of the fit";
  } else if (f.quality() == "poor") {
    why << "it fits poorly (R^2 " << (f.r_squared ? *f.r_squared : 0.0) << ")";
  }
  return why.str();
}

/// The notes under the panels: untrusted points, failed layouts, fits not drawn.
std::vector<std::string> plot_notes(const std::vector<Study>& studies,
                                    const std::vector<ScalingAnalysis>& analyses,
                                    const PlotShape& shape) {
  const auto joined = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  };
  std::vector<std::string> notes;
  if (!shape.untrusted.empty()) {
    notes.push_back("hollow: measured while the machine was busy, times not to be trusted: " +
                    joined(shape.untrusted));
  }
  if (!shape.failed.empty()) notes.push_back("x on the axis: failed: " + joined(shape.failed));
  for (std::size_t k = 0; k < studies.size(); ++k) {
    for (const auto& f : analyses[k].fits) {
      const std::string why = fit_not_drawn(f);
      if (why.empty()) continue;
      notes.push_back(std::string(f.model == "amdahl" ? "no Amdahl" : "no Gustafson") +
                      " curve for " + f.schedule +
                      (shape.several_studies ? " (" + studies[k].label + ")" : "") + ": " + why);
    }
  }
  return notes;
}

/// The title, the three-panel layout with room for the notes, and the cores axis.
void write_layout(std::ostream& o, const std::vector<Study>& studies,
                  const std::vector<std::string>& notes, const PlotShape& shape) {
  const Study& first = studies.front();
  std::string title = first.job + ": " + to_string(first.mode) + " scaling";
  if (shape.several_studies) {
    title += ", " + std::to_string(studies.size()) + " studies overlaid";
  } else if (!first.host.empty()) {
    title += " on " + first.host;
  }
  title += " (median of " + std::to_string(shape.repetitions) + " run" +
           (shape.repetitions == 1 ? "" : "s") + " per point; bars: fastest and slowest run)";
  if (std::any_of(studies.begin(), studies.end(), [](const Study& s) { return !s.complete; })) {
    title += "  STOPPED before its last point: incomplete";
  }
  const double room = 0.035 * static_cast<double>(notes.size());
  o << "set multiplot layout 1,3 title " << quoted(title);
  if (!notes.empty()) o << " scale 1," << 1.0 - room << " offset 0," << room / 2.0;
  o << "\n";
  for (std::size_t i = 0; i < notes.size(); ++i) {
    o << "set label " << i + 1 << " " << quoted(notes[i]) << " at screen 0.01,"
      << 0.02 + 0.03 * static_cast<double>(notes.size() - 1 - i) << " font ',8'\n";
  }
  o << "set grid\nset key outside below\nset style data linespoints\nset samples 400\n";
  o << "set xlabel 'cores (ranks x threads per rank)'\n";
  const int max_cores = *shape.core_counts.rbegin();
  o << "set xrange [" << (shape.log ? 0.8 : 0.5) << ":"
    << (shape.log ? max_cores * 1.25 : max_cores + 0.5) << "]\n";
  o << "set xtics (";
  bool first_tic = true;
  for (const int c : shape.core_counts) {
    o << (first_tic ? "" : ", ") << c;
    first_tic = false;
  }
  o << ")\n";
}

/// Every series in the panel: its line, its trusted points filled and its untrusted points
/// hollow (with error bars from columns `low`:`high`), then the failed layouts at `bottom`.
void write_series(std::ostream& o, const std::vector<Study>& studies, const PlotShape& shape, int y,
                  int low, int high, double bottom) {
  int index = 0;
  for (const auto& s : shape.series) {
    const int colour = index + 1;
    const std::string data = "$s" + std::to_string(index++);
    o << ", " << data << " using 1:($13 > 0 ? 1/0 : $" << y << ") with lines linecolor " << colour
      << " notitle";
    o << ", " << data << " using 1:($12 > 0 && $13 == 0 ? $" << y << " : 1/0):" << low << ":"
      << high << " with yerrorbars pointtype 7 linecolor " << colour << " title "
      << quoted(series_title(s, studies, shape));
    if (s.untrusted) {
      o << ", " << data << " using 1:($12 == 0 && $13 == 0 ? $" << y << " : 1/0):" << low << ":"
        << high << " with yerrorbars pointtype 6 pointsize 1.5 linecolor " << colour << " notitle";
    }
  }
  if (!shape.untrusted.empty()) {
    o << ", keyentry with points pointtype 6 pointsize 1.5 linecolor rgb 'black' title "
         "'hollow: not trusted (busy machine)'";
  }
  if (!shape.failed_cores.empty()) {
    o << ", $failed using 1:(" << bottom
      << ") with points pointtype 2 pointsize 2 linecolor rgb 'red' title 'failed'";
  }
}

/// Left: the median time of each point against cores.
void write_time_plot(std::ostream& o, const std::vector<Study>& studies,
                     const std::vector<ScalingAnalysis>& analyses, const PlotShape& shape) {
  double low = std::numeric_limits<double>::max();
  double high = 0.0;
  for (const auto& a : analyses) {
    for (const auto& pa : a.points) {
      low = std::min(low, pa.min);
      high = std::max(high, pa.max);
    }
  }
  const double bottom = shape.log ? low / 2.0 : 0.0;
  o << "set ylabel 'time (s)'\n";
  if (shape.log) o << "set logscale xy\n";
  o << "set yrange [" << bottom << ":" << (shape.log ? high * 2.0 : high * 1.15) << "]\n";
  o << "plot 1/0 notitle";
  write_series(o, studies, shape, 9, 10, 11, bottom);
  o << "\nunset label\n";  // the notes are drawn once
}

/// The fitted laws' curves in the speedup panel (where they mean something).
void write_fits(std::ostream& o, const std::vector<Study>& studies,
                const std::vector<ScalingAnalysis>& analyses, const PlotShape& shape) {
  for (std::size_t k = 0; k < studies.size(); ++k) {
    const Study& study = studies[k];
    const bool strong = study.mode == ScalingMode::strong;
    const auto& a = analyses[k];
    const double base_speed = study.points[a.baseline].cores() * a.points[a.baseline].median;
    for (const auto& f : a.fits) {
      if (!fit_not_drawn(f).empty()) continue;
      std::ostringstream label;
      label << std::fixed << std::setprecision(3)
            << (strong ? "Amdahl fit, serial fraction " : "Gustafson fit, serial fraction ")
            << f.serial_fraction << (shape.several_schedules ? " (" + f.schedule + ")" : "")
            << (shape.several_studies ? " (" + study.label + ")" : "");
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
  }
}

/// Middle: the speedup, the ideal line and the fitted laws (log-log or linear-linear).
void write_speedup_plot(std::ostream& o, const std::vector<Study>& studies,
                        const std::vector<ScalingAnalysis>& analyses, const PlotShape& shape) {
  const bool strong = studies.front().mode == ScalingMode::strong;
  double top = *shape.core_counts.rbegin();
  double least = 1.0;
  for (const auto& a : analyses) {
    for (const auto& pa : a.points) {
      top = std::max(top, pa.speedup * pa.median / pa.min);
      least = std::min(least, pa.speedup * pa.median / pa.max);
    }
  }
  const double bottom = shape.log ? least / 2.0 : 0.0;
  o << "set ylabel " << quoted(strong ? "speedup" : "scaled speedup") << "\n";
  o << (shape.log ? "set logscale xy 2\n" : "unset logscale\n");
  o << "set yrange [" << bottom << ":" << (shape.log ? top * 2.0 : top * 1.15) << "]\n";
  o << "plot x with lines dashtype 2 linecolor rgb 'gray40' title 'ideal'";
  write_series(o, studies, shape, 2, 5, 6, bottom);
  write_fits(o, studies, analyses, shape);
  o << "\n";
}

/// Right: the parallel efficiency and its ideal line (cores on the same axis as the others).
void write_efficiency_plot(std::ostream& o, const std::vector<Study>& studies,
                           const std::vector<ScalingAnalysis>& analyses, const PlotShape& shape) {
  double top = 100.0;
  for (const auto& a : analyses) {
    for (const auto& pa : a.points) top = std::max(top, 100.0 * pa.efficiency * pa.median / pa.min);
  }
  o << "set ylabel 'parallel efficiency (%)'\n";
  o << (shape.log ? "unset logscale\nset logscale x 2\n" : "unset logscale\n");
  o << "set yrange [0:" << top * 1.1 << "]\n";
  o << "plot 100 with lines dashtype 2 linecolor rgb 'gray40' title 'ideal'";
  write_series(o, studies, shape, 3, 7, 8, 0.0);
  o << "\nunset multiplot\n";
}

}  // namespace

ImageFormat image_format_for(const std::string& path) {
  if (path == "-") return ImageFormat::png;
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".png") return ImageFormat::png;
  if (ext == ".svg") return ImageFormat::svg;
  if (ext == ".pdf") return ImageFormat::pdf;
  throw UsageError("cannot tell the image format of " + quote_for_message(path) +
                   ": name it .png, .svg or .pdf");
}

std::string gnuplot_script(const std::vector<Study>& studies, ImageFormat format,
                           const std::string& path) {
  if (studies.empty()) throw UsageError("no study to plot");
  for (const auto& s : studies) {
    if (s.mode != studies.front().mode) {
      throw UsageError("cannot draw a " + to_string(s.mode) + " and a " +
                       to_string(studies.front().mode) +
                       " study in one plot: their speedups "
                       "mean different things");
    }
  }
  std::vector<ScalingAnalysis> analyses;
  for (const auto& s : studies) analyses.push_back(analyze_scaling(s.mode, s.points));
  const PlotShape shape = plot_shape(studies);
  const std::vector<std::string> notes = plot_notes(studies, analyses, shape);
  std::ostringstream o;
  o << std::setprecision(9);
  write_terminal(o, studies, format, path);
  write_data(o, studies, analyses, shape);
  write_layout(o, studies, notes, shape);
  write_time_plot(o, studies, analyses, shape);
  write_speedup_plot(o, studies, analyses, shape);
  write_efficiency_plot(o, studies, analyses, shape);
  return o.str();
}

std::string plot_image(const std::vector<Study>& studies, ImageFormat format) {
  AnonymousFile script;
  AnonymousFile image;
  AnonymousFile messages;
  script.fill(gnuplot_script(studies, format, ""));
  const int code = run_gnuplot(script, image, messages);
  const std::string text = messages.contents();
  if (code != 0) {
    throw RuntimeError("gnuplot failed (exit " + std::to_string(code) +
                       "): " + one_line_message(first_message(text), 300));
  }
  std::string bytes = image.contents();
  const bool signed_right = format == ImageFormat::png
                                ? bytes.starts_with(std::string("\x89PNG\r\n\x1a\n", 8))
                            : format == ImageFormat::pdf ? bytes.starts_with("%PDF")
                                                         : bytes.find("<svg") != std::string::npos;
  if (!signed_right) {
    const char* name = format == ImageFormat::png   ? "a PNG"
                       : format == ImageFormat::pdf ? "a PDF"
                                                    : "an SVG";
    throw RuntimeError(std::string("gnuplot did not write ") + name + " image (" +
                       one_line_message(text, 300) + ")");
  }
  return bytes;
}

void plot_study(const Study& study, const std::string& path) {
  const ImageFormat format = image_format_for(path);
  AtomicFile file(path);  // refuses a path that cannot be written before gnuplot runs
  file.write(plot_image({study}, format));
  file.commit();
}

}  // namespace hpar
