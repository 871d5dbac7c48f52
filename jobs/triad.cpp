// SPDX-License-Identifier: BSD-3-Clause
// triad: the STREAM triad, a[i] = b[i] + s * c[i], as a memory-bandwidth job.
//
// Reference loop (STREAM's, repeated R times; here the two arrays swap roles each repeat so
// that every repeat leaves a trace in the final values):
//     for (i = 0; i < n; ++i) { b[i] = i % 1009; c[i] = 1 + i % 13; a[i] = 0; }   // pass 0
//     for (k = 1; k <= R; ++k)                                                     // passes 1..R
//       for (i = 0; i < n; ++i) if (k odd) a[i] = b[i] + s*c[i]; else b[i] = a[i] + s*c[i];
// After R repeats the last array written holds b0(i) + R*s*c(i) (exact when s is a whole
// number: all values are then integers far below 2^53).
//
// Work model: per element and repeat 2 flops and 24 bytes (two 8-byte reads, one write),
// counted as STREAM counts them (no write-allocate traffic). Best and median GB/s come from
// the R timed triad passes only (pass 0 first-touches the memory, the last pass verifies).
// Split: blocks of 32768 elements, contiguous slices of blocks per rank. Each rank allocates
// only its slice in `prepare` without touching it; pass 0 writes every element on the
// thread that owns its block (static schedule: the same thread in every pass), so pages land
// near the cores that use them. `--per-rank` makes N the size per rank (weak scaling).
// Verify (pass R+1, not timed as a triad): each block sums its final values in index order
// (one real partial) and counts elements farther from the closed form b0(i) + R*s*c(i) than
// the rounding bound (one count partial). Rank 0 compares every block sum with the closed
// form sum(b0) + R*s*sum(c) over the block (integer sums in closed form, independent of the
// arrays), requires zero mismatches, and folds the block sums in block order into the
// reported checksum, identical on any layout.
// Vectorisation (GCC 12, -fopt-info-vec): the triad loop vectorises in every build (__restrict
// arrays): 2 elements per SSE2 instruction in a portable build, 8 per AVX-512 instruction in a
// native one. Memory-bound either way, so it is not multi-versioned. No FMA contraction
// (-ffp-contract=off): b + s*c rounds the same in every build.

#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <limits>
#include <memory>

#include "hpar/core/errors.hpp"
#include "hpar/core/format.hpp"
#include "hpar/core/job.hpp"
#include "hpar/core/parse.hpp"

namespace po = boost::program_options;

namespace hpar::jobs {
namespace {

constexpr std::uint64_t block_elements = 32768;
constexpr std::uint64_t b_period = 1009;  // b0(i) = i % 1009
constexpr std::uint64_t c_period = 13;    // c(i) = 1 + i % 13
constexpr double bytes_per_element = 24.0;
constexpr std::uint64_t max_repeat = 1'000'000;
constexpr double eps = std::numeric_limits<double>::epsilon();

/// sum_{i in [0, n)} (i % m), exactly.
std::uint64_t sum_of_residues(std::uint64_t n, std::uint64_t m) {
  const std::uint64_t full = n / m;
  const std::uint64_t rest = n % m;
  return full * (m * (m - 1) / 2) + rest * (rest - 1) / 2;  // mod 2^64: differences are exact
}

/// The triad over n elements: dst = src + s * c.
void triad(double* __restrict dst, const double* __restrict src, const double* __restrict c,
           double s, std::uint64_t n) {
  for (std::uint64_t i = 0; i < n; ++i) dst[i] = src[i] + s * c[i];
}

class Triad final : public Job {
 public:
  Triad(std::uint64_t elements, int repeat, double scalar)
      : elements_(elements), repeat_(repeat), scalar_(scalar) {}

  [[nodiscard]] WorkPlan plan() const override {
    WorkPlan p;
    p.items = elements_;
    p.block_items = block_elements;
    p.passes = repeat_ + 2;
    p.real_partials = 1;
    p.count_partials = 1;
    p.item_unit = "elements";
    p.contiguous_slices = true;              // arrays are allocated per rank slice in prepare
    p.memory_per_item = 3 * sizeof(double);  // a, b and c of the rank's slice
    return p;
  }

  /// Allocates this rank's three arrays and leaves them untouched (no value-initialisation):
  /// pass 0 touches every page first, on the thread that will use it.
  void prepare(Slice items) override {
    base_ = items.begin;
    const std::uint64_t n = items.size();
    a_.reset(new double[n]);
    b_.reset(new double[n]);
    c_.reset(new double[n]);
  }

  void compute(const Block& block, BlockOutput& out) override {
    const std::uint64_t first = block.items.begin;
    const std::uint64_t n = block.items.size();
    double* a = a_.get() + (first - base_);
    double* b = b_.get() + (first - base_);
    double* c = c_.get() + (first - base_);
    if (block.pass == 0) {
      initialise(a, b, c, first, n);
    } else if (block.pass <= repeat_) {
      if (block.pass % 2 == 1) {
        triad(a, b, c, scalar_, n);
      } else {
        triad(b, a, c, scalar_, n);
      }
    } else {
      verify(repeat_ % 2 == 1 ? a : b, first, n, out);
    }
  }

  JobResult finish(Gathered& g) override {
    // Every block sum against its closed form; fold them in block order.
    const WorkPlan p = plan();
    double checksum = 0.0;
    std::uint64_t mismatches = 0;
    std::uint64_t bad_blocks = 0;
    std::uint64_t first_bad = 0;
    for (std::uint64_t blk = 0; blk < g.blocks; ++blk) {
      const Slice items = p.block(blk);
      const double sum = g.reals[blk];
      checksum += sum;
      mismatches += g.counts[blk];
      const auto [expected, tolerance] = block_sum(items);
      if (!(std::abs(sum - expected) <= tolerance)) {
        if (bad_blocks == 0) first_bad = blk;
        ++bad_blocks;
      }
    }
    JobResult r;
    r.lines.push_back("result: triad " + std::to_string(elements_) + " elements x " +
                      std::to_string(repeat_) + " repeats, scalar " + format_exact(scalar_));
    r.lines.push_back("result: checksum " + format_exact(checksum) +
                      " (sum of the final array, blocks of " + std::to_string(block_elements) +
                      " in order)");
    r.verification.status = bad_blocks == 0 && mismatches == 0 ? Verification::Status::pass
                                                               : Verification::Status::fail;
    if (r.verification.status == Verification::Status::pass) {
      r.verification.detail = "all " + std::to_string(elements_) + " elements and " +
                              std::to_string(g.blocks) +
                              " block sums equal the closed form b0(i) + R*s*c(i)";
    } else {
      r.verification.detail = std::to_string(mismatches) + " elements and " +
                              std::to_string(bad_blocks) +
                              " block sums differ from the closed form";
      if (bad_blocks != 0)
        r.verification.detail += " (first block " + std::to_string(first_bad) + ")";
    }

    // Bandwidth from the timed triad passes 1..R, slowest rank per pass, as STREAM counts.
    std::vector<double> seconds;
    for (int k = 1; k <= repeat_ && static_cast<std::size_t>(k) < g.pass_seconds.size(); ++k) {
      seconds.push_back(g.pass_seconds[static_cast<std::size_t>(k)]);
    }
    std::sort(seconds.begin(), seconds.end());
    const double bytes = bytes_per_element * static_cast<double>(elements_);
    const auto rate = [&](double s) { return s > 0 ? bytes / s / 1e9 : 0.0; };
    if (!seconds.empty()) {
      const std::size_t m = seconds.size();
      const double median =
          m % 2 == 1 ? seconds[m / 2] : 0.5 * (seconds[m / 2 - 1] + seconds[m / 2]);
      r.throughput = Throughput{rate(seconds.front()), "GB/s"};
      r.metrics.emplace_back("best GB/s", format_rate(rate(seconds.front())));
      r.metrics.emplace_back("median GB/s", format_rate(rate(median)));
      r.metrics.emplace_back("worst GB/s", format_rate(rate(seconds.back())));
    }
    r.metrics.emplace_back("bytes/repeat", std::to_string(static_cast<std::uint64_t>(bytes)));
    r.metrics.emplace_back("checksum", format_exact(checksum));
    return r;
  }

 private:
  /// Pass 0: b0(i) = i % 1009, c(i) = 1 + i % 13, a = 0 for the global indices first..first+n.
  static void initialise(double* a, double* b, double* c, std::uint64_t first, std::uint64_t n) {
    std::uint64_t rb = first % b_period;
    std::uint64_t rc = first % c_period;
    for (std::uint64_t i = 0; i < n; ++i) {
      a[i] = 0.0;
      b[i] = static_cast<double>(rb);
      c[i] = static_cast<double>(1 + rc);
      rb = rb + 1 == b_period ? 0 : rb + 1;
      rc = rc + 1 == c_period ? 0 : rc + 1;
    }
  }

  /// The last pass: sum of the final values in index order, and the elements farther from
  /// the closed form than the rounding of R triads allows.
  void verify(const double* x, std::uint64_t first, std::uint64_t n, BlockOutput& out) const {
    const double rs = static_cast<double>(repeat_) * scalar_;
    const double steps_eps = 2.0 * static_cast<double>(repeat_) * eps;
    std::uint64_t rb = first % b_period;
    std::uint64_t rc = first % c_period;
    double sum = 0.0;
    std::uint64_t wrong = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      const double b0 = static_cast<double>(rb);
      const double c = static_cast<double>(1 + rc);
      const double expected = b0 + rs * c;
      const double bound = steps_eps * (b0 + std::abs(rs) * c) + eps * std::abs(expected);
      wrong += std::abs(x[i] - expected) <= bound ? 0 : 1;
      sum += x[i];
      rb = rb + 1 == b_period ? 0 : rb + 1;
      rc = rc + 1 == c_period ? 0 : rc + 1;
    }
    if (!out.reals.empty()) out.reals[0] = sum;
    if (!out.counts.empty()) out.counts[0] = wrong;
  }

  /// Closed-form sum of b0(i) + R*s*c(i) over a block, and how far a correct sum may be from
  /// it (rounding of R triads per element plus the n-term sum).
  [[nodiscard]] std::pair<double, double> block_sum(Slice items) const {
    const auto residues = [&](std::uint64_t m) {
      return sum_of_residues(items.end, m) - sum_of_residues(items.begin, m);
    };
    const double n = static_cast<double>(items.size());
    const double sum_b = static_cast<double>(residues(b_period));
    const double sum_c = static_cast<double>(residues(c_period)) + n;
    const double rs = static_cast<double>(repeat_) * scalar_;
    const double expected = sum_b + rs * sum_c;
    const double magnitude = sum_b + std::abs(rs) * sum_c;
    return {expected, 2.0 * eps * (static_cast<double>(repeat_) + n + 2.0) * magnitude};
  }

  std::uint64_t elements_;
  int repeat_;
  double scalar_;
  std::uint64_t base_ = 0;
  std::unique_ptr<double[]> a_, b_, c_;
};

void add_options(po::options_description& d) {
  d.add_options()("size", po::value<std::string>()->default_value("10000000")->value_name("N"),
                  "elements per array (three arrays of 8-byte doubles: 24 N bytes in all)")(
      "per-rank", "N is the size per rank (weak scaling): N x ranks elements in all")(
      "repeat", po::value<std::string>()->default_value("10")->value_name("R"),
      "timed triad repeats (best and median GB/s over them)")(
      "scalar", po::value<std::string>()->default_value("3")->value_name("S"),
      "the scalar s in a = b + s*c");
}

std::unique_ptr<Job> make(const po::variables_map& vm, const JobContext& context) {
  const std::uint64_t size = parse_count(vm["size"].as<std::string>(), "--size");
  if (size < 1) throw UsageError("--size must be at least 1");
  const bool per_rank = vm.count("per-rank") != 0U;
  const auto ranks = static_cast<std::uint64_t>(std::max(context.ranks, 1));
  const std::uint64_t max_elements = std::numeric_limits<std::uint64_t>::max() / 24;
  if (size > max_elements / (per_rank ? ranks : 1)) {
    throw UsageError("--size " + std::to_string(size) + " is too large for 64-bit byte counts");
  }
  const std::uint64_t elements = per_rank ? size * ranks : size;
  const std::uint64_t repeat = parse_count(vm["repeat"].as<std::string>(), "--repeat");
  if (repeat < 1 || repeat > max_repeat) {
    throw UsageError("--repeat must be between 1 and " + std::to_string(max_repeat));
  }
  const double scalar = parse_real(vm["scalar"].as<std::string>(), "--scalar");
  if (!(std::abs(scalar) * static_cast<double>(repeat * c_period) < 1e300)) {
    throw UsageError("--scalar " + vm["scalar"].as<std::string>() +
                     " is too large: R*s*c would overflow a double");
  }
  return std::make_unique<Triad>(elements, static_cast<int>(repeat), scalar);
}

}  // namespace

JobInfo triad_job() {
  JobInfo info{
      "triad",
      "STREAM triad a = b + s*c: memory bandwidth in GB/s (--per-rank: weak scaling)",
      add_options,
      make,
      "size",
      "Note: triad needs one contiguous slice per rank (--distribution block only) and repeats\n"
      "its passes to time them, so it cannot be checkpointed (--checkpoint is refused)."};
  info.identity_rules = {{"size", IdentityRule::count},
                         {"repeat", IdentityRule::count},
                         {"scalar", IdentityRule::real}};
  return info;
}

}  // namespace hpar::jobs
