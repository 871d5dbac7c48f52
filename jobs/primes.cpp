// SPDX-License-Identifier: BSD-3-Clause
// primes: count the primes <= N with a segmented sieve of Eratosthenes (and list them).
//
// Reference loop (one work item per number 0 .. N; a segment is a block of numbers):
//     base = odd primes <= sqrt(N);                       // plain sieve, in prepare()
//     for (lo = 0; lo <= N; lo += S) {                     // one segment [lo, lo + S)
//       mark the odd numbers of the segment as candidates;
//       for (p : base) for (m = first odd multiple of p >= max(p*p, lo); m < lo + S; m += 2p)
//         candidate[m] = false;
//       count += candidates left (+ 1 for the prime 2, - 1 for the number 1);
//     }
//
// Work model: per number about (ln ln N - 0.93) / 2 byte stores crossing off (1.1 at N = 10^10,
// odd multiples only), plus half a byte store to reset and half a byte load to count (one byte
// per odd number, in an S/2-byte buffer that stays in cache), and a few integer operations per
// base prime per segment; no floating point. Memory: the base primes (4 bytes each,
// sqrt(N) / ln sqrt(N) of them) on every rank, plus per thread one S/2-byte buffer and the next
// multiple of every base prime (8 bytes each), whatever N.
// Split: blocks are segments of S = 2^19 numbers. A thread that takes the segment after its
// previous one carries each prime's next multiple over (as a serial sieve does); any other
// segment starts with one division per base prime. Buffer and multiples are the engine's
// per-thread state (nothing to merge: serialize stays empty). Each segment hands back its count
// of primes (an exact integer) and, with --list, its primes as text lines in order, which
// rank 0 prints in number order after the result line.
// Verify: never against the sieve itself: when N = 10^k (k <= 14) against the published
// pi(10^k), otherwise against the Lucy_Hedgehog recurrence (count_primes_lucy), which counts
// primes from the values N / k alone in O(N^(3/4)) on rank 0.
// Vectorisation (GCC 12, -fopt-info-vec): crossing off (strided byte stores) does not
// vectorise; counting a segment's candidate bytes does (16 bytes per SSE2 step, 64 per AVX-512
// step), as do the set-up loops of the Lucy_Hedgehog check.

#include "primes.hpp"

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <charconv>
#include <cmath>
#include <vector>

#include "hpar/core/errors.hpp"
#include "hpar/core/job.hpp"
#include "hpar/core/parse.hpp"

namespace po = boost::program_options;

namespace hpar::jobs {
namespace {

constexpr std::uint64_t segment_numbers = std::uint64_t{1} << 19;  // even: segments start even
constexpr std::uint64_t max_limit = 100'000'000'000'000;           // 10^14
constexpr std::uint64_t max_list_limit = 1'000'000'000;            // 10^9: ~0.5 GB of text
constexpr std::uint64_t no_block = ~std::uint64_t{0};

/// floor(sqrt(n)), exact for every 64-bit n.
std::uint64_t isqrt(std::uint64_t n) {
  auto r = static_cast<std::uint64_t>(std::sqrt(static_cast<double>(n)));
  while (r > 0 && r > n / r) --r;
  while ((r + 1) <= n / (r + 1)) ++r;
  return r;
}

/// The odd primes <= n, by a plain sieve of Eratosthenes over the odd numbers.
std::vector<std::uint32_t> odd_primes_up_to(std::uint64_t n) {
  std::vector<std::uint32_t> primes;
  if (n < 3) return primes;
  std::vector<std::uint8_t> composite((n - 1) / 2, 0);  // index j: the number 2j + 3
  for (std::uint64_t j = 0; j < composite.size(); ++j) {
    if (composite[j] != 0U) continue;
    const std::uint64_t p = 2 * j + 3;
    primes.push_back(static_cast<std::uint32_t>(p));
    for (std::uint64_t m = (p * p - 3) / 2; m < composite.size(); m += p) composite[m] = 1;
  }
  return primes;
}

/// A thread's sieve: its segment buffer and where each base prime's next multiple lies.
struct SieveState final : ThreadState {
  std::vector<std::uint8_t> candidate;  // index j: the odd number lo + 2j + 1
  std::vector<std::uint64_t> next;      // per base prime: next odd multiple to cross off
  std::uint64_t next_block = no_block;  // the segment `next` is valid for
};

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
  out.push_back('\n');
}

class Primes final : public Job {
 public:
  Primes(std::uint64_t limit, bool list, int threads)
      : limit_(limit), list_(list), threads_(threads) {}

  [[nodiscard]] WorkPlan plan() const override {
    WorkPlan p;
    p.items = limit_ + 1;  // the numbers 0 .. N
    p.block_items = segment_numbers;
    p.count_partials = 1;
    p.ordered_output = list_;
    p.thread_state = true;
    p.scratch_state = true;  // buffers and next multiples: a cache, no results
    p.item_unit = "numbers";
    // The base primes (4 bytes each, fewer than 1.26 r / ln r below r = sqrt(N)) and the sieve
    // of r / 2 bytes that finds them; per thread a segment buffer, the next multiple of every
    // base prime (8 bytes each) and, with --list, a segment's primes as text (at most one per
    // odd number, 11 bytes each below 10^10). Rank 0's Lucy_Hedgehog count: 2 (r + 1) words.
    const std::uint64_t r = isqrt(limit_);
    const double log_r = std::log(static_cast<double>(std::max<std::uint64_t>(r, 3)));
    const auto base = static_cast<std::uint64_t>(1.26 * static_cast<double>(r) / log_r) + 16;
    const std::uint64_t thread_bytes =
        segment_numbers / 2 + 8 * base + (list_ ? segment_numbers / 2 * 11 : 0);
    p.memory_per_rank = 4 * base + r / 2 + static_cast<std::uint64_t>(threads_) * thread_bytes;
    p.memory_on_root = known_prime_count(limit_) ? 0 : 16 * (r + 1);
    return p;
  }

  void prepare(Slice /*items*/) override { base_ = odd_primes_up_to(isqrt(limit_)); }

  [[nodiscard]] std::unique_ptr<ThreadState> make_thread_state() const override {
    auto state = std::make_unique<SieveState>();
    state->candidate.resize(segment_numbers / 2);
    state->next.resize(base_.size());
    return state;
  }

  void compute(const Block& block, BlockOutput& out) override {
    auto& state = static_cast<SieveState&>(*out.state);
    const std::uint64_t lo = block.items.begin;
    const std::uint64_t hi = block.items.end;  // numbers [lo, hi), lo even
    if (state.next_block != block.index) start_at(state, lo);
    const std::uint64_t odds = (hi - lo) / 2;
    std::uint8_t* candidate = state.candidate.data();
    std::fill(candidate, candidate + odds, std::uint8_t{1});
    for (std::size_t k = 0; k < base_.size(); ++k) {
      const std::uint64_t p = base_[k];
      if (p * p >= hi) break;
      std::uint64_t j = (state.next[k] - lo) / 2;
      for (; j < odds; j += p) candidate[j] = 0;
      state.next[k] = lo + 2 * j + 1;
    }
    state.next_block = block.index + 1;
    if (lo == 0 && odds > 0) candidate[0] = 0;  // 1 is not prime
    const bool has_two = lo <= 2 && 2 < hi;

    std::uint64_t count = has_two ? 1 : 0;
    for (std::uint64_t j = 0; j < odds; ++j) count += candidate[j];
    if (!out.counts.empty()) out.counts[0] = count;
    if (out.bytes != nullptr) {
      out.bytes->reserve(static_cast<std::size_t>(count) * 12);
      if (has_two) append_number(*out.bytes, 2);
      for (std::uint64_t j = 0; j < odds; ++j) {
        if (candidate[j] != 0U) append_number(*out.bytes, lo + 2 * j + 1);
      }
    }
  }

  JobResult finish(Gathered& g) override {
    std::uint64_t count = 0;
    for (const auto c : g.counts) count += c;
    const auto known = known_prime_count(limit_);
    const std::uint64_t expected = known ? *known : count_primes_lucy(limit_);
    const std::string reference =
        known ? "published pi(" + std::to_string(limit_) + ")" : "Lucy_Hedgehog count";
    JobResult r;
    r.lines.push_back("result: " + std::to_string(count) + " primes <= " + std::to_string(limit_));
    r.verification.status =
        count == expected ? Verification::Status::pass : Verification::Status::fail;
    r.verification.detail = std::to_string(count) + (count == expected ? " == " : " != ") +
                            reference + " " + std::to_string(expected);
    return r;
  }

 private:
  /// Sets every base prime's next multiple for a segment starting at `lo`.
  void start_at(SieveState& state, std::uint64_t lo) const {
    for (std::size_t k = 0; k < base_.size(); ++k) {
      const std::uint64_t p = base_[k];
      std::uint64_t m = std::max(p * p, (lo + p - 1) / p * p);
      if (m % 2 == 0) m += p;
      state.next[k] = m;
    }
  }

  std::uint64_t limit_;
  bool list_;
  int threads_;
  std::vector<std::uint32_t> base_;  // odd primes <= sqrt(limit_)
};

void add_options(po::options_description& d) {
  d.add_options()("limit", po::value<std::string>()->default_value("1e8")->value_name("N"),
                  "count the primes <= N, 0 .. 10^14 (digits or 1e9 style)")(
      "list", "also print the primes, one per line in order (N <= 10^9)");
}

std::unique_ptr<Job> make(const po::variables_map& vm, const JobContext& context) {
  const std::uint64_t limit = parse_count(vm["limit"].as<std::string>(), "--limit");
  if (limit > max_limit) throw UsageError("--limit must be at most 10^14 (100000000000000)");
  const bool list = vm.count("list") != 0U;
  if (list && limit > max_list_limit) {
    throw UsageError("--list prints the primes only up to --limit 10^9 (1000000000)");
  }
  return std::make_unique<Primes>(limit, list, context.threads_per_rank);
}

}  // namespace

std::uint64_t count_primes_lucy(std::uint64_t n) {
  if (n < 2) return 0;
  const std::uint64_t r = isqrt(n);
  // S(v) = how many numbers in 2..v survive sieving by the primes so far; at the end pi(v).
  std::vector<std::uint64_t> small(r + 1);  // small[v] = S(v), v <= r
  std::vector<std::uint64_t> large(r + 1);  // large[k] = S(n / k), k <= r
  for (std::uint64_t v = 1; v <= r; ++v) small[v] = v - 1;
  for (std::uint64_t k = 1; k <= r; ++k) large[k] = n / k - 1;
  for (std::uint64_t p = 2; p <= r; ++p) {
    if (small[p] == small[p - 1]) continue;    // p is not prime
    const std::uint64_t below = small[p - 1];  // primes < p
    const std::uint64_t square = p * p;
    // S(v) -= S(v / p) - below, for every v >= p^2, largest v first (old values on the right).
    const std::uint64_t k_last = std::min(r, n / square);
    for (std::uint64_t k = 1; k <= k_last; ++k) {
      const std::uint64_t kp = k * p;
      large[k] -= (kp <= r ? large[kp] : small[n / kp]) - below;
    }
    for (std::uint64_t v = r; v >= square; --v) small[v] -= small[v / p] - below;
  }
  return large[1];
}

std::optional<std::uint64_t> known_prime_count(std::uint64_t n) {
  // OEIS A006880: pi(10^k), k = 0 .. 14.
  static constexpr std::array<std::uint64_t, 15> table = {
      0,       4,        25,        168,        1229,        9592,         78498,        664579,
      5761455, 50847534, 455052511, 4118054813, 37607912018, 346065536839, 3204941750802};
  std::uint64_t power = 1;
  for (const auto count : table) {
    if (n == power) return count;
    power *= 10;
  }
  return std::nullopt;
}

JobInfo primes_job() {
  JobInfo info{"primes", "count (and list) the primes <= N with a segmented sieve", add_options,
               make, "limit"};
  info.identity_rules = {{"limit", IdentityRule::count}};
  return info;
}

}  // namespace hpar::jobs
