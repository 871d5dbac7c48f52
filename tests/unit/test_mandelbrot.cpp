// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>
#include <png.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "hpar/core/errors.hpp"
#include "job_harness.hpp"

using namespace hpar;
using hpar::testing::make_job;
using hpar::testing::run_serially;

namespace {

// The textbook escape-time loop, written plainly over the whole image, row-major.
std::vector<unsigned> reference_image(unsigned w, unsigned h, unsigned max_iter, double cx0,
                                      double cy0, double span) {
  std::vector<unsigned> counts;
  const double step = span / w;
  for (unsigned row = 0; row < h; ++row) {
    const double cy = cy0 - (row + 0.5 - 0.5 * h) * step;
    for (unsigned col = 0; col < w; ++col) {
      const double cx = cx0 + (col + 0.5 - 0.5 * w) * step;
      double x = 0, y = 0;
      unsigned n = 0;
      while (n < max_iter && x * x + y * y <= 4.0) {
        const double t = x * x - y * y + cx;
        y = 2 * x * y + cy;
        x = t;
        ++n;
      }
      counts.push_back(n);
    }
  }
  return counts;
}

// Hash of all counts in row-major order: h = h * P + n mod 2^64 (P the 64-bit FNV prime).
unsigned long long reference_hash(const std::vector<unsigned>& counts) {
  unsigned long long hash = 0;
  for (const unsigned n : counts) hash = hash * 0x100000001b3ULL + n;
  return hash;
}

std::string line_with(const JobResult& r, const std::string& prefix) {
  for (const auto& l : r.lines) {
    if (l.rfind(prefix, 0) == 0) return l;
  }
  return "(no line starting with '" + prefix + "')";
}

}  // namespace

TEST(Mandelbrot, KnownEscapeTimes) {
  // A 1x1 image is the single pixel c = centre.
  const std::pair<const char*, const char*> cases[] = {
      {"1", "3"}, {"0.5", "5"}, {"0.3", "12"}, {"2.1", "1"}, {"-2", "1000"}, {"-1", "1000"}};
  for (const auto& [cx, iterations] : cases) {
    auto job = make_job("mandelbrot", {"--width", "1", "--height", "1", "--max-iter", "1000",
                                       "--center-x", cx, "--span", "1"});
    auto g = run_serially(*job);
    EXPECT_EQ(g.counts[0], std::stoull(iterations)) << "c = " << cx;
  }
}

TEST(Mandelbrot, ChecksumAndRowsMatchThePlainLoop) {
  const unsigned w = 61, h = 37, m = 200;
  auto job = make_job("mandelbrot", {"--width", "61", "--height", "37", "--max-iter", "200",
                                     "--center-x=-0.6", "--center-y", "0.1", "--span", "2.7"});
  const auto plan = job->plan();
  EXPECT_EQ(plan.items, h);
  EXPECT_EQ(plan.block_items, 1U);
  EXPECT_FALSE(plan.ordered_output);
  auto g = run_serially(*job);
  const auto expected = reference_image(w, h, m, -0.6, 0.1, 2.7);
  unsigned long long iterations = 0, inside = 0;
  for (unsigned row = 0; row < h; ++row) {
    unsigned long long row_iterations = 0;
    for (unsigned col = 0; col < w; ++col) row_iterations += expected[row * w + col];
    EXPECT_EQ(g.counts[std::size_t{row} * 3], row_iterations) << "row " << row;
    iterations += row_iterations;
  }
  for (const unsigned n : expected) inside += n == m ? 1 : 0;
  const auto r = job->finish(g);
  EXPECT_EQ(r.verification.status, Verification::Status::pass) << r.verification.detail;
  EXPECT_EQ(line_with(r, "result: checksum"), "result: checksum " +
                                                  std::to_string(reference_hash(expected)) +
                                                  " (hash of all iteration counts, row-major)");
  EXPECT_EQ(line_with(r, "result: iterations")
                .rfind("result: iterations " + std::to_string(iterations) + ", mean ", 0),
            0U)
      << line_with(r, "result: iterations");
  EXPECT_NE(
      line_with(r, "result: iterations").find(std::to_string(inside) + " pixels reached max-iter"),
      std::string::npos);
  EXPECT_GT(inside, 0U);
}

TEST(Mandelbrot, MirrorRowsAreEqual) {
  // Centre on the real axis, even height: row r and row h-1-r are complex conjugates.
  auto job = make_job("mandelbrot", {"--width", "40", "--height", "20", "--max-iter", "300"});
  auto g = run_serially(*job);
  for (unsigned r = 0; r < 10; ++r) {
    for (unsigned k = 0; k < 3; ++k) EXPECT_EQ(g.counts[r * 3 + k], g.counts[(19 - r) * 3 + k]);
  }
}

TEST(Mandelbrot, CorruptedPartialsFailVerification) {
  auto job = make_job("mandelbrot", {"--width", "50", "--height", "40", "--max-iter", "100"});
  auto clean = run_serially(*job);
  ASSERT_EQ(job->finish(clean).verification.status, Verification::Status::pass);
  // A sampled row's hash (row 0 is always sampled).
  auto g = clean;
  g.counts[2] += 1;
  EXPECT_EQ(job->finish(g).verification.status, Verification::Status::fail);
  // A row that is not sampled but was never computed (all zero).
  g = clean;
  for (unsigned k = 0; k < 3; ++k) g.counts[1 * 3 + k] = 0;
  const auto r = job->finish(g);
  EXPECT_EQ(r.verification.status, Verification::Status::fail);
  EXPECT_NE(r.verification.detail.find("row 1 "), std::string::npos) << r.verification.detail;
  // A row through the cardioid claiming fewer max-iter pixels than the closed form allows.
  g = clean;
  g.counts[19 * 3 + 1] = 0;  // row 19 is not sampled
  const auto bound = job->finish(g);
  EXPECT_EQ(bound.verification.status, Verification::Status::fail);
  EXPECT_NE(bound.verification.detail.find("cardioid"), std::string::npos)
      << bound.verification.detail;
}

TEST(Mandelbrot, ImageIsAValidPng) {
  const std::string path = ::testing::TempDir() + "hpar_mandelbrot_test.png";
  std::remove(path.c_str());
  auto job = make_job("mandelbrot",
                      {"--width", "64", "--height", "48", "--max-iter", "100", "--image", path});
  EXPECT_TRUE(job->plan().ordered_output);
  auto g = run_serially(*job);
  EXPECT_EQ(g.ordered.size(), 64U * 48U * 4U);
  const auto r = job->finish(g);
  EXPECT_EQ(r.verification.status, Verification::Status::pass) << r.verification.detail;
  EXPECT_TRUE(job->plan().ordered_to_finish);  // the counts go to the PNG, not to stdout
  EXPECT_EQ(line_with(r, "result: wrote").rfind("result: wrote " + path + " (64 x 48 PNG, ", 0),
            0U);

  // Read it back with libpng: size, and colours (black inside the set, not black outside).
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  ASSERT_NE(png_image_begin_read_from_file(&image, path.c_str()), 0) << image.message;
  EXPECT_EQ(image.width, 64U);
  EXPECT_EQ(image.height, 48U);
  image.format = PNG_FORMAT_RGB;
  std::vector<unsigned char> rgb(PNG_IMAGE_SIZE(image));
  ASSERT_NE(png_image_finish_read(&image, nullptr, rgb.data(), 0, nullptr), 0) << image.message;
  const auto pixel = [&](unsigned row, unsigned col) {
    const unsigned char* p = &rgb[(std::size_t{row} * 64 + col) * 3];
    return p[0] + p[1] + p[2];
  };
  // Default viewport: centre -0.5, span 3; c = -0.25 + 0i (in the cardioid) is near col 37.
  EXPECT_EQ(pixel(24, 37), 0);
  EXPECT_EQ(pixel(23, 37), 0);
  EXPECT_GT(pixel(0, 0), 0);  // c = -2 + 1.1i escapes at once
  std::remove(path.c_str());
}

TEST(Mandelbrot, BadOptionsAreUsageErrors) {
  const auto message = [](std::vector<std::string> args) -> std::string {
    try {
      make_job("mandelbrot", std::move(args));
    } catch (const UsageError& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_NE(message({"--width", "0"}).find("--width"), std::string::npos);
  EXPECT_NE(message({"--height=-4"}).find("--height"), std::string::npos);
  EXPECT_NE(message({"--height", "2e9"}).find("--height"), std::string::npos);
  EXPECT_NE(message({"--max-iter", "0"}).find("--max-iter"), std::string::npos);
  EXPECT_NE(message({"--max-iter", "5000000000"}).find("--max-iter"), std::string::npos);
  EXPECT_NE(message({"--span", "0"}).find("--span"), std::string::npos);
  EXPECT_NE(message({"--span=-1"}).find("--span"), std::string::npos);
  EXPECT_NE(message({"--span", "1e308", "--width", "1"}).find("--span"), std::string::npos);
  EXPECT_NE(message({"--center-x", "left"}).find("--center-x"), std::string::npos);
  EXPECT_NE(message({"--center-y", "nan"}).find("--center-y"), std::string::npos);
  EXPECT_NE(message({"--image", "/nonexistent-dir/x.png"}).find("--image"), std::string::npos);
  EXPECT_NE(message({"--image", ::testing::TempDir()}).find("--image"), std::string::npos);
  EXPECT_NE(message({"--image", "x.png", "--width", "2000000"}).find("--image"), std::string::npos);
  EXPECT_NO_THROW(make_job("mandelbrot", {"--width", "1", "--height", "1", "--max-iter", "1"}));
}
