// SPDX-License-Identifier: BSD-3-Clause
// collatz: the start below N whose Collatz sequence (n -> n/2 or 3n+1, down to 1) takes the
// most steps, written with hpar's full Job interface, in a program that also holds hpar's
// built-in jobs.
//
// Reference loop:
//     for (n = 1; n < N; ++n) if (steps(n) > best.steps) best = {n, steps(n)};
// Split: blocks of 2^14 starts; each block returns two counters (its best start and its
// steps); rank 0 folds them in block order, keeping the first of equal maxima, as the loop does.
// Check: rank 0 walks the winner's sequence again on its own and counts the steps; below 10^6
// the winner must be the known 837799 (524 steps).

#include <boost/program_options.hpp>
#include <cstdint>
#include <hpar/core/errors.hpp>
#include <hpar/core/job.hpp>
#include <hpar/core/parse.hpp>
#include <hpar/hpar.hpp>
#include <hpar/jobs/builtin.hpp>
#include <memory>
#include <string>

namespace po = boost::program_options;

namespace {

/// Steps from n down to 1 (n >= 1); throws when 3n+1 would overflow 64 bits.
std::uint64_t steps(std::uint64_t n) {
  std::uint64_t count = 0;
  for (; n != 1; ++count) {
    if (n % 2 == 0) {
      n /= 2;
    } else if (n > (UINT64_MAX - 1) / 3) {
      throw hpar::RuntimeError("3n+1 overflows 64 bits");
    } else {
      n = 3 * n + 1;
    }
  }
  return count;
}

class Collatz final : public hpar::Job {
 public:
  explicit Collatz(std::uint64_t limit) : limit_(limit) {}

  [[nodiscard]] hpar::WorkPlan plan() const override {
    hpar::WorkPlan p;
    p.items = limit_ - 1;  // item i is the start i + 1
    p.block_items = std::uint64_t{1} << 14;
    p.count_partials = 2;  // the block's best start and its steps
    p.item_unit = "starts";
    return p;
  }

  void compute(const hpar::Block& block, hpar::BlockOutput& out) override {
    std::uint64_t best = 0;
    std::uint64_t most = 0;
    for (std::uint64_t i = block.items.begin; i < block.items.end; ++i) {
      const std::uint64_t s = steps(i + 1);
      if (best == 0 || s > most) {
        best = i + 1;
        most = s;
      }
    }
    if (out.counts.size() == 2) {
      out.counts[0] = best;
      out.counts[1] = most;
    }
  }

  hpar::JobResult finish(hpar::Gathered& g) override {
    std::uint64_t best = 0;
    std::uint64_t most = 0;
    for (std::uint64_t b = 0; b < g.blocks; ++b) {  // block order: the first of equal maxima
      if (best == 0 || g.counts[2 * b + 1] > most) {
        best = g.counts[2 * b];
        most = g.counts[2 * b + 1];
      }
    }
    const bool known = limit_ != 1'000'000 || (best == 837799 && most == 524);
    const bool pass = steps(best) == most && known;
    hpar::JobResult r;
    r.lines.push_back("result: start " + std::to_string(best) + ", " + std::to_string(most) +
                      " steps");
    r.verification.status =
        pass ? hpar::Verification::Status::pass : hpar::Verification::Status::fail;
    r.verification.detail = "the winner's steps counted again on rank 0" +
                            std::string(limit_ == 1'000'000 ? ", and the known 837799" : "");
    return r;
  }

 private:
  std::uint64_t limit_;
};

hpar::JobInfo collatz_job() {
  return {"collatz", "the start below N with the longest Collatz sequence",
          [](po::options_description& d) {
            d.add_options()("limit", po::value<std::string>()->default_value("1e6"),
                            "starts 1 .. N-1 (N >= 2)");
          },
          [](const po::variables_map& vm, const hpar::JobContext&) -> std::unique_ptr<hpar::Job> {
            const std::uint64_t limit = hpar::parse_count(vm["limit"].as<std::string>(), "--limit");
            if (limit < 2) throw hpar::UsageError("--limit must be at least 2");
            return std::make_unique<Collatz>(limit);
          },
          "limit"};
}

}  // namespace

int main(int argc, char** argv) {
  auto jobs = hpar::builtin_jobs();  // leave this out for a program of collatz alone
  jobs.push_back(collatz_job());
  return hpar::main(argc, argv, jobs);
}
