// SPDX-License-Identifier: BSD-3-Clause
// mandelbrot: escape-time image of the Mandelbrot set, one image row per work item.
//
// Reference loop (every pixel of a W x H image; c = the pixel centre in the complex plane):
//     for (row = 0; row < H; ++row)
//       for (col = 0; col < W; ++col) {
//         z = 0; n = 0;
//         while (n < max_iter && |z|^2 <= 4) { z = z*z + c; ++n; }
//         iterations[row][col] = n;
//       }
// Pixel centres: c = (cx0 + (col + 1/2 - W/2) * step) + i (cy0 - (row + 1/2 - H/2) * step) with
// step = span / W, so row 0 is the top and the viewport is span wide around (cx0, cy0).
//
// Work model: per pixel n iterations of 3 multiplies and 5 adds/compares (about 8 flops each);
// no memory traffic besides 4 bytes per pixel when an image is asked for. The cost per row
// ranges from W (rows far outside the set) to W * max_iter (rows through the set): a strongly
// imbalanced load that `--schedule dynamic` balances inside a rank.
// Split: blocks of one row, contiguous slices of rows per rank, threads over rows.
// Results per row (count partials): total iterations, pixels that reached max_iter, and the
// row's polynomial hash sum_col n * P^(W-1-col) mod 2^64 (P = 2^40 + 435, the 64-bit FNV
// prime). Rank 0 folds the rows in row order into the hash of all counts in row-major order,
// the reported checksum, identical on any layout. With `--image FILE.png` the rows also send
// their counts (4 bytes per pixel) and rank 0 colours them and writes a palette PNG through
// libpng's simplified API (encoded in memory, then written atomically).
// Verify on rank 0: (1) up to 16 rows spread over the image are recomputed serially with the
// textbook loop (xt = x*x - y*y + cx; y = 2*x*y + cy; x = xt) and must match their rows' three
// partials exactly (same operations, same rounding, so the counts are equal bit for bit); (2) every
// row has at least one iteration per pixel (z = 0 never escapes at once), so a row that was not
// computed fails; (3) closed form: points safely inside the main cardioid or the period-2 bulb
// never escape, so each row reports at least as many max_iter pixels as it has such points,
// and on the recomputed rows (and on every row of a gathered image) each such pixel has
// exactly max_iter.
// Vectorisation (GCC 12, -fopt-info-vec): the escape-time loop is not vectorised (each pixel
// leaves it after its own number of iterations); per pixel it runs scalar in every build.

#include <png.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "hpar/core/errors.hpp"
#include "hpar/core/files.hpp"
#include "hpar/core/format.hpp"
#include "hpar/core/job.hpp"
#include "hpar/core/parse.hpp"

namespace po = boost::program_options;

namespace hpar::jobs {
namespace {

constexpr std::uint64_t hash_prime = 0x100000001b3ULL;  // 64-bit FNV prime
constexpr std::uint64_t max_side = 1'000'000'000;       // width/height limit
constexpr std::uint64_t max_image_side = 1'000'000;     // libpng's default reader limit
constexpr std::uint64_t max_image_pixels = std::uint64_t{1} << 31;
constexpr std::size_t sampled_rows = 16;
enum Partial : std::size_t { iterations_partial, inside_partial, hash_partial, partials };

/// Where the image lies in the complex plane.
struct Viewport {
  std::uint64_t width = 0;
  std::uint64_t height = 0;
  double center_x = -0.5;
  double center_y = 0.0;
  double span = 3.0;
  double step = 0.0;  ///< span / width, set by fix_step()

  void fix_step() { step = span / static_cast<double>(width); }
  /// Real part of the centre of pixel column `col`.
  [[nodiscard]] double x(std::uint64_t col) const {
    return center_x + (static_cast<double>(col) + 0.5 - 0.5 * static_cast<double>(width)) * step;
  }
  /// Imaginary part of the centre of pixel row `row` (row 0 at the top).
  [[nodiscard]] double y(std::uint64_t row) const {
    return center_y - (static_cast<double>(row) + 0.5 - 0.5 * static_cast<double>(height)) * step;
  }
};

/// Escape time of c = cx + i cy: iterations of z = z^2 + c from 0 while |z|^2 <= 4, at most
/// max_iter. The squares are kept from one iteration to the next (3 multiplies per iteration).
inline std::uint32_t escape_time(double cx, double cy, std::uint32_t max_iter) {
  double x = 0.0;
  double y = 0.0;
  double x2 = 0.0;
  double y2 = 0.0;
  std::uint32_t n = 0;
  while (n < max_iter && x2 + y2 <= 4.0) {
    y = (x + x) * y + cy;
    x = x2 - y2 + cx;
    x2 = x * x;
    y2 = y * y;
    ++n;
  }
  return n;
}

/// The independent reference: the textbook escape-time loop, written as it is usually taught.
std::uint32_t reference_escape_time(double cx, double cy, std::uint32_t max_iter) {
  double x = 0.0;
  double y = 0.0;
  std::uint32_t n = 0;
  while (x * x + y * y <= 4.0 && n < max_iter) {
    const double xt = x * x - y * y + cx;
    y = 2.0 * x * y + cy;
    x = xt;
    ++n;
  }
  return n;
}

/// Closed form: c lies inside the main cardioid or the period-2 bulb with a margin, so its
/// orbit stays bounded and it reaches max_iter whatever the rounding.
bool safely_inside(double cx, double cy) {
  constexpr double margin = 1e-6;
  const double xq = cx - 0.25;
  const double q = xq * xq + cy * cy;
  if (q * (q + xq) < 0.25 * cy * cy - margin) return true;
  return (cx + 1.0) * (cx + 1.0) + cy * cy < 0.0625 - margin;
}

/// P^e mod 2^64.
std::uint64_t hash_power(std::uint64_t e) {
  std::uint64_t result = 1;
  std::uint64_t base = hash_prime;
  for (; e != 0; e >>= 1) {
    if ((e & 1) != 0) result *= base;
    base *= base;
  }
  return result;
}

/// The three partials of one row of iteration counts.
std::array<std::uint64_t, partials> row_partials(std::span<const std::uint32_t> counts,
                                                 std::uint32_t max_iter) {
  std::array<std::uint64_t, partials> p{};
  for (const auto n : counts) {
    p[iterations_partial] += n;
    p[inside_partial] += n == max_iter ? 1 : 0;
    p[hash_partial] = p[hash_partial] * hash_prime + n;
  }
  return p;
}

/// Palette index of an escape time: 0 (black) inside, else 1..255 on a log scale.
std::uint8_t colour_index(std::uint32_t n, std::uint32_t max_iter) {
  if (n >= max_iter) return 0;
  const double t = std::log1p(static_cast<double>(n)) / std::log1p(static_cast<double>(max_iter));
  return static_cast<std::uint8_t>(1 + std::min(254L, std::lround(254.0 * t)));
}

/// 256 RGB entries: black, then a gradient through dark blue, white, orange and dark red.
std::array<std::uint8_t, std::size_t{3} * 256> palette() {
  constexpr std::array<std::array<double, 4>, 5> stops{{{0.0, 0, 7, 100},
                                                        {0.16, 32, 107, 203},
                                                        {0.42, 237, 255, 255},
                                                        {0.64, 255, 170, 0},
                                                        {1.0, 60, 2, 0}}};
  std::array<std::uint8_t, std::size_t{3} * 256> rgb{};
  for (int i = 1; i < 256; ++i) {
    const double t = (i - 1) / 254.0;
    std::size_t s = 0;
    while (s + 2 < stops.size() && t > stops[s + 1][0]) ++s;
    const double f = (t - stops[s][0]) / (stops[s + 1][0] - stops[s][0]);
    for (std::size_t k = 0; k < 3; ++k) {
      const double v = stops[s][k + 1] + f * (stops[s + 1][k + 1] - stops[s][k + 1]);
      rgb[3 * static_cast<std::size_t>(i) + k] = static_cast<std::uint8_t>(std::lround(v));
    }
  }
  return rgb;
}

/// A palette PNG of `indices` (one byte per pixel, row-major), encoded in memory by libpng.
std::string encode_png(const Viewport& v, const std::vector<std::uint8_t>& indices) {
  const auto colours = palette();
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(v.width);
  image.height = static_cast<png_uint_32>(v.height);
  image.format = PNG_FORMAT_RGB_COLORMAP;
  image.colormap_entries = 256;
  png_alloc_size_t size = PNG_IMAGE_PNG_SIZE_MAX(image);
  std::string png(size, '\0');
  const int ok =
      png_image_write_to_memory(&image, png.data(), &size, 0, indices.data(), 0, colours.data());
  if (ok == 0) {
    const std::string why = image.message;
    png_image_free(&image);
    throw RuntimeError("cannot encode the PNG image: " + why);
  }
  png.resize(size);
  return png;
}

/// Refuses an image path rank 0 could not write: a directory, or a missing or read-only
/// parent directory.
void check_writable(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  if (path.empty() || !target.has_filename()) {
    throw UsageError("bad value " + quote_for_message(path) + " for --image: expected a file name");
  }
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  if (fs::is_directory(target, ec)) {
    throw UsageError("cannot write --image " + quote_for_message(path) + ": it is a directory");
  }
  if (!fs::is_directory(dir, ec) || ::access(dir.c_str(), W_OK | X_OK) != 0) {
    throw UsageError("cannot write --image " + quote_for_message(path) + ": directory " +
                     quote_for_message(dir.string()) + " does not exist or is not writable");
  }
}

class Mandelbrot final : public Job {
 public:
  Mandelbrot(Viewport view, std::uint32_t max_iter, std::string image, int threads)
      : view_(view), max_iter_(max_iter), image_(std::move(image)), threads_(threads) {}

  [[nodiscard]] WorkPlan plan() const override {
    WorkPlan p;
    p.items = view_.height;
    p.block_items = 1;
    p.count_partials = partials;
    p.ordered_output = !image_.empty();
    p.ordered_to_finish = true;  // the counts are binary: they go to the PNG only
    p.item_unit = "rows";
    // Rank 0 recomputes rows (a row of counts); an image takes every pixel's count (gathered),
    // its palette index and the encoded PNG (at most about two bytes a pixel), and a row of
    // counts per thread.
    const std::uint64_t pixels = view_.width * view_.height;
    p.memory_on_root = view_.width * sizeof(std::uint32_t);
    if (!image_.empty()) {
      p.memory_on_root += pixels * (sizeof(std::uint32_t) + 1 + 2) + (std::uint64_t{1} << 20);
      p.memory_per_rank =
          static_cast<std::uint64_t>(threads_) * view_.width * sizeof(std::uint32_t);
    }
    return p;
  }

  void compute(const Block& block, BlockOutput& out) override {
    const std::uint64_t row = block.items.begin;
    const double cy = view_.y(row);
    char* pixels = nullptr;
    if (out.bytes != nullptr) {
      out.bytes->resize(view_.width * sizeof(std::uint32_t));
      pixels = out.bytes->data();
    }
    std::uint64_t iterations = 0;
    std::uint64_t inside = 0;
    std::uint64_t hash = 0;
    for (std::uint64_t col = 0; col < view_.width; ++col) {
      const std::uint32_t n = escape_time(view_.x(col), cy, max_iter_);
      iterations += n;
      inside += n == max_iter_ ? 1 : 0;
      hash = hash * hash_prime + n;
      if (pixels != nullptr) std::memcpy(pixels + col * sizeof n, &n, sizeof n);
    }
    if (out.counts.size() == partials) {
      out.counts[iterations_partial] = iterations;
      out.counts[inside_partial] = inside;
      out.counts[hash_partial] = hash;
    }
  }

  JobResult finish(Gathered& g) override {
    const Totals totals = fold_rows(g);
    std::vector<std::string> problems;
    const std::uint64_t samples = check_sampled_rows(g, problems);
    const std::uint64_t closed_form_pixels = check_every_row(g, problems);
    JobResult result;
    std::vector<std::uint8_t> indices;
    if (!image_.empty()) indices = check_and_colour_image(g, problems);
    result.lines = result_lines(totals);
    if (!image_.empty() && problems.empty()) result.lines.push_back(write_image(g, indices));
    add_metrics(g, totals, result);
    result.verification.status =
        problems.empty() ? Verification::Status::pass : Verification::Status::fail;
    if (problems.empty()) {
      result.verification.detail = std::to_string(samples) +
                                   " rows equal the serial textbook loop; every row >= 1 "
                                   "iteration per pixel; " +
                                   std::to_string(closed_form_pixels) +
                                   " cardioid/bulb points reached max-iter";
    } else {
      for (const auto& p : problems) {
        result.verification.detail += (result.verification.detail.empty() ? "" : "; ") + p;
      }
    }
    return result;
  }

 private:
  /// The image's figures, folded from the rows in row order.
  struct Totals {
    std::uint64_t iterations = 0;
    std::uint64_t inside = 0;    ///< pixels that reached max_iter
    std::uint64_t checksum = 0;  ///< hash of all counts in row-major order
  };

  /// Partial `k` of row `r`.
  static std::uint64_t partial(const Gathered& g, std::uint64_t r, Partial k) {
    return g.counts[r * partials + k];
  }

  /// Keeps the first three problems.
  static void add_problem(std::vector<std::string>& problems, std::string text) {
    if (problems.size() < 3) problems.push_back(std::move(text));
  }

  [[nodiscard]] Totals fold_rows(const Gathered& g) const {
    Totals t;
    const std::uint64_t row_shift = hash_power(view_.width);
    for (std::uint64_t r = 0; r < view_.height; ++r) {
      t.iterations += partial(g, r, iterations_partial);
      t.inside += partial(g, r, inside_partial);
      t.checksum = t.checksum * row_shift + partial(g, r, hash_partial);
    }
    return t;
  }

  /// (1) Sampled rows recomputed by the textbook loop, with the closed form on their pixels.
  /// Returns the rows checked.
  std::uint64_t check_sampled_rows(const Gathered& g, std::vector<std::string>& problems) const {
    std::uint64_t samples = 0;
    std::vector<std::uint32_t> counts(view_.width);
    for (const std::uint64_t r : sample_rows()) {
      const double cy = view_.y(r);
      for (std::uint64_t c = 0; c < view_.width; ++c) {
        counts[c] = reference_escape_time(view_.x(c), cy, max_iter_);
        if (safely_inside(view_.x(c), cy) && counts[c] != max_iter_) {
          add_problem(problems, "reference pixel (" + std::to_string(r) + ", " + std::to_string(c) +
                                    ") inside the cardioid/bulb escaped after " +
                                    std::to_string(counts[c]));
        }
      }
      const auto expected = row_partials(counts, max_iter_);
      for (std::size_t k = 0; k < partials; ++k) {
        if (partial(g, r, static_cast<Partial>(k)) != expected[k]) {
          add_problem(problems, "row " + std::to_string(r) + " differs from the serial reference");
          break;
        }
      }
      ++samples;
    }
    return samples;
  }

  /// (2) and (3) on every row: at least one iteration per pixel; the closed-form lower bound of
  /// max-iter pixels. Returns the pixels the closed form puts inside.
  std::uint64_t check_every_row(const Gathered& g, std::vector<std::string>& problems) const {
    std::uint64_t closed_form_pixels = 0;
    for (std::uint64_t r = 0; r < view_.height; ++r) {
      if (partial(g, r, iterations_partial) < view_.width) {
        add_problem(problems,
                    "row " + std::to_string(r) + " has fewer than one iteration per pixel");
      }
      const std::uint64_t bound = closed_form_count(r);
      closed_form_pixels += bound;
      if (partial(g, r, inside_partial) < bound) {
        add_problem(problems, "row " + std::to_string(r) + " has " +
                                  std::to_string(partial(g, r, inside_partial)) +
                                  " max-iter pixels, fewer than its " + std::to_string(bound) +
                                  " points inside the cardioid/bulb");
      }
    }
    return closed_form_pixels;
  }

  [[nodiscard]] std::vector<std::string> result_lines(const Totals& t) const {
    const std::uint64_t w = view_.width;
    const std::uint64_t h = view_.height;
    return {"result: mandelbrot " + std::to_string(w) + " x " + std::to_string(h) + ", max-iter " +
                std::to_string(max_iter_) + ", center (" + format_exact(view_.center_x) + ", " +
                format_exact(view_.center_y) + "), span " + format_exact(view_.span),
            "result: checksum " + std::to_string(t.checksum) +
                " (hash of all iteration counts, row-major)",
            "result: iterations " + std::to_string(t.iterations) + ", mean " +
                format_exact(static_cast<double>(t.iterations) / static_cast<double>(w * h)) +
                " per pixel, " + std::to_string(t.inside) + " pixels reached max-iter"};
  }

  /// Writes the PNG (freeing the gathered counts first) and returns its result line.
  std::string write_image(Gathered& g, const std::vector<std::uint8_t>& indices) const {
    std::string().swap(g.ordered);
    const std::string png = encode_png(view_, indices);
    write_file_atomically(image_, png);
    return "result: wrote " + image_ + " (" + std::to_string(view_.width) + " x " +
           std::to_string(view_.height) + " PNG, " + std::to_string(png.size()) + " bytes)";
  }

  void add_metrics(const Gathered& g, const Totals& t, JobResult& result) const {
    const double seconds = g.pass_seconds.empty() ? 0.0 : g.pass_seconds.front();
    if (seconds > 0) {
      const auto pixels = static_cast<double>(view_.width * view_.height);
      result.metrics.emplace_back("pixels/s", format_rate(pixels / seconds));
      result.metrics.emplace_back("iterations/s",
                                  format_rate(static_cast<double>(t.iterations) / seconds));
    }
    result.metrics.emplace_back("checksum", std::to_string(t.checksum));
  }

  /// Up to 16 rows spread evenly over the image, first and last included.
  [[nodiscard]] std::vector<std::uint64_t> sample_rows() const {
    const std::uint64_t h = view_.height;
    std::vector<std::uint64_t> rows;
    const std::uint64_t n = std::min<std::uint64_t>(h, sampled_rows);
    for (std::uint64_t k = 0; k < n; ++k) rows.push_back(n == 1 ? 0 : k * (h - 1) / (n - 1));
    return rows;
  }

  /// Pixels of row r safely inside the cardioid or bulb (only columns with x in [-1.25, 0.375]
  /// can be, so only those are tested).
  [[nodiscard]] std::uint64_t closed_form_count(std::uint64_t r) const {
    const double cy = view_.y(r);
    if (std::abs(cy) > 0.66) return 0;
    const double step = view_.step;
    const double first = (-1.25 - view_.x(0)) / step;
    const double last = (0.375 - view_.x(0)) / step;
    const double width = static_cast<double>(view_.width);
    if (last < 0 || first > width) return 0;
    const auto begin = static_cast<std::uint64_t>(std::max(0.0, std::floor(first) - 1));
    const auto end = static_cast<std::uint64_t>(std::min(width, std::ceil(last) + 2));
    std::uint64_t count = 0;
    for (std::uint64_t c = begin; c < end; ++c) count += safely_inside(view_.x(c), cy) ? 1 : 0;
    return count;
  }

  /// The gathered counts must reproduce every row's partials, and every pixel safely inside
  /// the cardioid/bulb must have max_iter. Returns the palette index of every pixel.
  [[nodiscard]] std::vector<std::uint8_t> check_and_colour_image(
      const Gathered& g, std::vector<std::string>& problems) const {
    const std::uint64_t w = view_.width;
    const std::uint64_t row_bytes = w * sizeof(std::uint32_t);
    if (g.ordered.size() != row_bytes * view_.height) {
      problems.push_back("gathered image has " + std::to_string(g.ordered.size()) + " bytes");
      return {};
    }
    std::vector<std::uint8_t> indices(w * view_.height);
    std::vector<std::uint32_t> counts(w);
    for (std::uint64_t r = 0; r < view_.height; ++r) {
      std::memcpy(counts.data(), g.ordered.data() + r * row_bytes, row_bytes);
      const auto p = row_partials(counts, max_iter_);
      for (std::size_t k = 0; k < partials; ++k) {
        if (g.counts[r * partials + k] != p[k] && problems.size() < 3) {
          problems.push_back("image row " + std::to_string(r) + " differs from its checksums");
          break;
        }
      }
      const double cy = view_.y(r);
      for (std::uint64_t c = 0; c < w; ++c) {
        indices[r * w + c] = colour_index(counts[c], max_iter_);
        if (counts[c] != max_iter_ && std::abs(cy) < 0.66 && safely_inside(view_.x(c), cy) &&
            problems.size() < 3) {
          problems.push_back("image pixel (" + std::to_string(r) + ", " + std::to_string(c) +
                             ") inside the cardioid/bulb escaped");
        }
      }
    }
    return indices;
  }

  Viewport view_;
  std::uint32_t max_iter_;
  std::string image_;
  int threads_;
};

void add_options(po::options_description& d) {
  d.add_options()("width", po::value<std::string>()->default_value("1024")->value_name("W"),
                  "image width in pixels")(
      "height", po::value<std::string>()->default_value("768")->value_name("H"),
      "image height in pixels (rows are the work items)")(
      "max-iter", po::value<std::string>()->default_value("1000")->value_name("M"),
      "iterations before a point counts as inside the set (1 .. 4294967295)")(
      "center-x", po::value<std::string>()->default_value("-0.5")->value_name("X"),
      "real part of the image centre")(
      "center-y", po::value<std::string>()->default_value("0")->value_name("Y"),
      "imaginary part of the image centre")(
      "span", po::value<std::string>()->default_value("3")->value_name("S"),
      "width of the viewport in the complex plane (> 0)")(
      "image", po::value<std::string>()->value_name("FILE.png"),
      "rank 0 writes the picture as a PNG (gathers 4 bytes per pixel)");
}

std::uint64_t parse_side(const po::variables_map& vm, const char* name) {
  const std::string option = std::string("--") + name;
  const std::uint64_t v = parse_count(vm[name].as<std::string>(), option);
  if (v < 1 || v > max_side) {
    throw UsageError(option + " must be between 1 and " + std::to_string(max_side));
  }
  return v;
}

std::unique_ptr<Job> make(const po::variables_map& vm, const JobContext& context) {
  Viewport view;
  view.width = parse_side(vm, "width");
  view.height = parse_side(vm, "height");
  const std::uint64_t max_iter = parse_count(vm["max-iter"].as<std::string>(), "--max-iter");
  if (max_iter < 1 || max_iter > std::numeric_limits<std::uint32_t>::max()) {
    throw UsageError("--max-iter must be between 1 and 4294967295");
  }
  view.center_x = parse_real(vm["center-x"].as<std::string>(), "--center-x");
  view.center_y = parse_real(vm["center-y"].as<std::string>(), "--center-y");
  view.span = parse_real(vm["span"].as<std::string>(), "--span");
  view.fix_step();
  if (!(view.span > 0) || !(view.step > 0) || !std::isfinite(view.x(0)) ||
      !std::isfinite(view.x(view.width - 1)) || !std::isfinite(view.y(0)) ||
      !std::isfinite(view.y(view.height - 1))) {
    throw UsageError("--span must be > 0 and give finite pixel coordinates (got " +
                     vm["span"].as<std::string>() + ")");
  }
  std::string image;
  if (vm.count("image") != 0U) {
    image = vm["image"].as<std::string>();
    if (view.width > max_image_side || view.height > max_image_side ||
        view.width * view.height > max_image_pixels) {
      throw UsageError("--image needs --width and --height at most " +
                       std::to_string(max_image_side) + " and at most 2^31 pixels");
    }
    check_writable(image);
  }
  return std::make_unique<Mandelbrot>(view, static_cast<std::uint32_t>(max_iter), std::move(image),
                                      context.threads_per_rank);
}

}  // namespace

JobInfo mandelbrot_job() {
  JobInfo info{"mandelbrot",
               "escape-time image of the Mandelbrot set, rows as work items (imbalanced; "
               "try --schedule dynamic)",
               add_options, make, "height"};
  info.identity_rules = {{"width", IdentityRule::count},    {"height", IdentityRule::count},
                         {"max-iter", IdentityRule::count}, {"center-x", IdentityRule::real},
                         {"center-y", IdentityRule::real},  {"span", IdentityRule::real},
                         {"image", IdentityRule::ignored}};
  return info;
}

}  // namespace hpar::jobs
