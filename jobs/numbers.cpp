// SPDX-License-Identifier: BSD-3-Clause
// numbers: the parallel-processing tutorial's example, done properly.
//
// Reference loop (the tutorial's function, applied to every input):
//     for (i = 0; i < n; ++i)                    // one work item per input x = input[i]
//       for (k = 1; k <= steps; ++k) emit(input[i] + k);
// Rank 0 prints one line per input in input order: "1: 2 3 4 5 6".
//
// Work model: per item, `steps` 64-bit additions and about 21 * (steps + 1) bytes of text;
// formatting dominates, so every rank formats its own lines (in parallel) and rank 0 only
// writes the gathered bytes. Inputs come from --inputs, --range or --input-file.
// Split: blocks of 4096 inputs, contiguous slices of blocks per rank, threads over blocks.
// Verify: checksum = sum over inputs i and steps k of (i+1) * (x_i + k) mod 2^64, reduced from
// the blocks, against the closed form (i+1) * (steps*x_i + steps*(steps+1)/2) summed serially
// on rank 0. Inputs whose x + steps would overflow int64 are refused at set-up (exit 2).
// Vectorisation (GCC 12, -fopt-info-vec): per input the work is formatting decimal text, which
// does not vectorise; only the fold of the block checksums on rank 0 does.

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <limits>

#include "hpar/core/errors.hpp"
#include "hpar/core/files.hpp"
#include "hpar/core/job.hpp"
#include "hpar/core/parse.hpp"

namespace po = boost::program_options;

namespace hpar::jobs {
namespace {

constexpr std::uint64_t block_inputs = 4096;
constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();

/// The inputs: listed (--inputs), an arithmetic range computed on the fly (--range), or a file
/// (--input-file) that is checked and counted when the job is made and read into the list in
/// prepare(), after the engine has checked that the list fits in memory.
struct Inputs {
  std::vector<std::int64_t> list;
  bool is_range = false;
  std::int64_t first = 0;
  std::int64_t stride = 1;
  std::uint64_t range_count = 0;
  std::string file;  ///< --input-file
  std::uint64_t file_count = 0;
  std::uint64_t largest_at = 0;  ///< index of the largest input (list and file)
  std::int64_t largest = 0;      ///< the largest and smallest inputs (list and file)
  std::int64_t smallest = 0;

  [[nodiscard]] std::uint64_t size() const {
    return is_range ? range_count : file.empty() ? list.size() : file_count;
  }
  [[nodiscard]] std::int64_t operator[](std::uint64_t i) const {
    // Two's complement wrap-around gives the exact value: every element lies in [first, last].
    return is_range ? static_cast<std::int64_t>(static_cast<std::uint64_t>(first) +
                                                i * static_cast<std::uint64_t>(stride))
                    : list[i];
  }
  /// Keeps the extremes of a listed input (the `index`-th).
  void note(std::int64_t value, std::uint64_t index) {
    if (index == 0 || value > largest) {
      largest = value;
      largest_at = index;
    }
    if (index == 0 || value < smallest) smallest = value;
  }
};

Inputs parse_list(std::string_view text) {
  Inputs in;
  for (const auto field : split(text, ',')) {
    const std::int64_t value = parse_int(field, "--inputs");
    in.note(value, in.list.size());
    in.list.push_back(value);
  }
  return in;
}

Inputs parse_range(std::string_view text) {
  const auto parts = split(text, ':');
  if (parts.size() < 2 || parts.size() > 3) {
    throw UsageError("bad value " + quote_for_message(text) +
                     " for --range: expected FIRST:LAST[:STRIDE]");
  }
  Inputs in;
  in.is_range = true;
  in.first = parse_int(parts[0], "--range");
  const std::int64_t last = parse_int(parts[1], "--range");
  in.stride = parts.size() == 3 ? parse_int(parts[2], "--range") : 1;
  if (in.stride == 0)
    throw UsageError("bad --range " + quote_for_message(text) + ": STRIDE must not be 0");
  if ((last < in.first && in.stride > 0) || (last > in.first && in.stride < 0)) {
    throw UsageError("bad --range " + quote_for_message(text) + ": STRIDE goes away from LAST");
  }
  const auto ufirst = static_cast<std::uint64_t>(in.first);
  const auto ulast = static_cast<std::uint64_t>(last);
  const auto ustride = static_cast<std::uint64_t>(in.stride);
  const std::uint64_t distance = last >= in.first ? ulast - ufirst : ufirst - ulast;
  const std::uint64_t step = in.stride > 0 ? ustride : std::uint64_t{0} - ustride;
  if (distance / step == std::numeric_limits<std::uint64_t>::max()) {
    throw UsageError("bad --range " + quote_for_message(text) + ": more than 2^64-1 inputs");
  }
  in.range_count = distance / step + 1;
  return in;
}

/// --input-file: checked and counted now, read in prepare().
Inputs scan_file(const std::string& path) {
  require_readable_file(path, "--input-file");
  Inputs in;
  in.file = path;
  for_each_integer(path, [&](std::int64_t value) { in.note(value, in.file_count++); });
  return in;
}

/// Reads the counted file into the list (every rank holds every input).
void load_file(Inputs& in) {
  in.list.reserve(in.file_count);
  std::uint64_t seen = 0;
  for_each_integer(in.file, [&](std::int64_t value) {
    if (seen++ < in.file_count) in.list.push_back(value);  // more than counted: refused below
  });
  if (seen != in.file_count) {
    throw RuntimeError("input file " + quote_for_message(in.file) + " changed while the job ran");
  }
}

/// Characters of v in decimal, its sign included.
std::uint64_t text_width(std::int64_t v) {
  std::uint64_t digits = v < 0 ? 2 : 1;
  for (std::uint64_t m = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
       m >= 10; m /= 10) {
    ++digits;
  }
  return digits;
}

// Exact sums of 64-bit terms; __extension__ (which a using-declaration cannot take) keeps
// -Wpedantic quiet about __int128.
__extension__ typedef __int128 wide;  // NOLINT(modernize-use-using)

/// How many of first + i*stride (i < count) are >= t.
wide count_at_least(wide first, wide stride, wide count, wide t) {
  if (stride > 0) {
    if (first >= t) return count;
    const wide from = (t - first + stride - 1) / stride;
    return from >= count ? 0 : count - from;
  }
  if (first < t) return 0;
  const wide upto = (first - t) / -stride + 1;
  return upto < count ? upto : count;
}

/// Characters of the decimal text of first + i*stride summed over i < count (signs included):
/// one each, one more for a sign and for every power of ten reached.
wide text_bytes(std::int64_t first, std::int64_t stride, std::uint64_t count) {
  const wide n = count;
  const auto at_most = [&](wide t) { return n - count_at_least(first, stride, n, t + 1); };
  wide sum = n + at_most(-1);
  wide power = 1;
  for (int digits = 1; digits <= 18; ++digits) {
    power *= 10;
    sum += count_at_least(first, stride, n, power) + at_most(-power);
  }
  return sum;
}

/// Appends the decimal text of v.
void append_number(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

class Numbers final : public Job {
 public:
  Numbers(Inputs inputs, std::int64_t steps, bool quiet, int threads)
      : inputs_(std::move(inputs)), steps_(steps), quiet_(quiet), threads_(threads) {
    check_overflow();
    if (!quiet_) ordered_size_ = text_size();
  }

  [[nodiscard]] WorkPlan plan() const override {
    WorkPlan p;
    p.items = inputs_.size();
    p.block_items = block_inputs;
    p.count_partials = 1;
    p.ordered_output = !quiet_;
    p.item_unit = "inputs";
    if (!quiet_) p.ordered_size = ordered_size_;
    // Every rank holds the listed inputs; a thread formats a block's lines at a time.
    const std::uint64_t listed = inputs_.is_range ? 0 : inputs_.size();
    p.memory_per_rank = listed * sizeof(std::int64_t);
    if (!quiet_) {
      p.memory_per_rank += static_cast<std::uint64_t>(threads_) * block_inputs * line_bytes();
    }
    return p;
  }

  /// Reads an --input-file's inputs (counted and checked when the job was made).
  void prepare(Slice /*items*/) override {
    if (!inputs_.file.empty()) load_file(inputs_);
  }

  void compute(const Block& block, BlockOutput& out) override {
    std::uint64_t checksum = 0;
    std::string* text = out.bytes;
    if (text != nullptr)
      text->reserve(block.items.size() * static_cast<std::uint64_t>(steps_ + 1) * 8);
    for (std::uint64_t i = block.items.begin; i < block.items.end; ++i) {
      const std::int64_t x = inputs_[i];
      if (text != nullptr) {
        append_number(*text, x);
        text->push_back(':');
      }
      for (std::int64_t k = 1; k <= steps_; ++k) {
        std::int64_t v = 0;
        if (__builtin_add_overflow(x, k, &v)) {
          throw RuntimeError("input " + std::to_string(x) + " + " + std::to_string(k) +
                             " overflows int64");
        }
        checksum += (i + 1) * static_cast<std::uint64_t>(v);
        if (text != nullptr) {
          text->push_back(' ');
          append_number(*text, v);
        }
      }
      if (text != nullptr) text->push_back('\n');
    }
    if (!out.counts.empty()) out.counts[0] = checksum;
  }

  JobResult finish(Gathered& g) override {
    std::uint64_t checksum = 0;
    for (const auto c : g.counts) checksum += c;
    // Closed form per input, summed serially: (i+1) * (steps*x + steps*(steps+1)/2) mod 2^64.
    const auto s = static_cast<std::uint64_t>(steps_);
    const std::uint64_t triangle = s * (s + 1) / 2;
    std::uint64_t expected = 0;
    for (std::uint64_t i = 0; i < inputs_.size(); ++i) {
      expected += (i + 1) * (s * static_cast<std::uint64_t>(inputs_[i]) + triangle);
    }
    JobResult r;
    if (quiet_) {
      r.lines.push_back("result: " + std::to_string(inputs_.size()) + " inputs x " +
                        std::to_string(steps_) + " steps, checksum " + std::to_string(checksum));
    }
    r.metrics.emplace_back("checksum", std::to_string(checksum));
    r.verification.status =
        checksum == expected ? Verification::Status::pass : Verification::Status::fail;
    r.verification.detail = "checksum " + std::to_string(checksum) +
                            (checksum == expected ? " == " : " != ") + "closed form " +
                            std::to_string(expected);
    return r;
  }

 private:
  /// The longest line an input can give: its number, ':' and `steps` values, each after a space.
  [[nodiscard]] std::uint64_t line_bytes() const {
    const std::int64_t low =
        inputs_.is_range ? std::min(inputs_[0], inputs_[inputs_.size() - 1]) : inputs_.smallest;
    const std::int64_t high = extreme_input();
    const std::uint64_t width = std::max(text_width(low), text_width(high + steps_));
    return (static_cast<std::uint64_t>(steps_) + 1) * (width + 1) + 1;
  }

  /// The exact size of the output's text (a line per input: "x: x+1 ... x+steps\n", that is
  /// steps + 2 separators and the steps + 1 numbers), where it is known before the file is read.
  [[nodiscard]] std::optional<std::uint64_t> text_size() const {
    if (!inputs_.file.empty()) return std::nullopt;
    const auto steps = static_cast<std::uint64_t>(steps_);
    wide sum = wide{inputs_.size()} * (steps + 2);
    if (inputs_.is_range) {
      for (std::int64_t k = 0; k <= steps_; ++k) {
        sum += text_bytes(inputs_.first + k, inputs_.stride, inputs_.size());
      }
    } else {
      for (const std::int64_t x : inputs_.list) sum += text_bytes(x, 1, steps + 1);
    }
    const wide most = std::numeric_limits<std::uint64_t>::max();
    return static_cast<std::uint64_t>(sum < most ? sum : most);
  }

  /// The index of the largest input.
  [[nodiscard]] std::uint64_t largest_at() const {
    if (!inputs_.is_range) return inputs_.largest_at;
    return inputs_.stride > 0 ? inputs_.size() - 1 : 0;
  }
  [[nodiscard]] std::int64_t extreme_input() const {
    return inputs_.is_range ? inputs_[largest_at()] : inputs_.largest;
  }

  void check_overflow() const {
    if (inputs_.size() == 0) return;
    if (extreme_input() > int64_max - steps_) {
      throw UsageError("input " + std::to_string(extreme_input()) + " + " + std::to_string(steps_) +
                       " overflows a 64-bit integer (input #" + std::to_string(largest_at() + 1) +
                       ")");
    }
  }

  Inputs inputs_;
  std::int64_t steps_;
  bool quiet_;
  int threads_;
  std::optional<std::uint64_t> ordered_size_;
};

void add_options(po::options_description& d) {
  d.add_options()("inputs", po::value<std::string>()->value_name("X,Y,..."),
                  "comma-separated 64-bit integers (default: 1,10, the tutorial's two inputs)")(
      "range", po::value<std::string>()->value_name("FIRST:LAST[:STRIDE]"),
      "the inputs FIRST, FIRST+STRIDE, ... up to LAST (inclusive)")(
      "input-file", po::value<std::string>()->value_name("PATH"),
      "one integer per line; blank lines and # comments skipped")(
      "steps", po::value<std::string>()->default_value("5")->value_name("S"),
      "values per input: x+1 ... x+S")("quiet",
                                       "print no per-input lines, only a summary with a checksum");
}

std::unique_ptr<Job> make(const po::variables_map& vm, const JobContext& context) {
  const int sources =
      static_cast<int>(vm.count("inputs") + vm.count("range") + vm.count("input-file"));
  if (sources > 1) throw UsageError("give only one of --inputs, --range and --input-file");
  Inputs inputs = vm.count("range") != 0U        ? parse_range(vm["range"].as<std::string>())
                  : vm.count("input-file") != 0U ? scan_file(vm["input-file"].as<std::string>())
                  : vm.count("inputs") != 0U     ? parse_list(vm["inputs"].as<std::string>())
                                                 : parse_list("1,10");
  const std::uint64_t steps = parse_count(vm["steps"].as<std::string>(), "--steps");
  if (steps < 1 || steps > 1'000'000) throw UsageError("--steps must be between 1 and 1000000");
  return std::make_unique<Numbers>(std::move(inputs), static_cast<std::int64_t>(steps),
                                   vm.count("quiet") != 0U, context.threads_per_rank);
}

}  // namespace

JobInfo numbers_job() {
  JobInfo info{"numbers", "the tutorial's example: for each input x, the values x+1 ... x+S",
               add_options, make};
  info.identity_rules = {{"inputs", IdentityRule::integers},
                         {"range", IdentityRule::integers},
                         {"input-file", IdentityRule::input_file},
                         {"steps", IdentityRule::count}};
  return info;
}

}  // namespace hpar::jobs
