// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "hpar/core/errors.hpp"
#include "hpar/core/partition.hpp"
#include "job_harness.hpp"

using namespace hpar;
using hpar::testing::make_job;
using hpar::testing::run_serially;

namespace {

/// Writes each text to its own file in a fresh directory; removes them at the end.
class TextFiles {
 public:
  explicit TextFiles(const std::vector<std::string>& texts) {
    static int serial = 0;
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("hpar_wordcount_" + std::to_string(::getpid()) + "_" + std::to_string(serial++));
    std::filesystem::create_directories(dir_);
    for (std::size_t i = 0; i < texts.size(); ++i) {
      const auto path = std::filesystem::path(dir_) / ("f" + std::to_string(i) + ".txt");
      std::ofstream(path, std::ios::binary) << texts[i];
      paths_.push_back(path.string());
    }
  }
  ~TextFiles() { std::filesystem::remove_all(dir_); }
  TextFiles(const TextFiles&) = delete;
  TextFiles& operator=(const TextFiles&) = delete;

  /// "--input-file P" for every file, then `extra`.
  [[nodiscard]] std::vector<std::string> args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a;
    for (const auto& p : paths_) {
      a.emplace_back("--input-file");
      a.push_back(p);
    }
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  [[nodiscard]] const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::vector<std::string> paths_;
};

/// The plainest reference: split each text on C-locale whitespace (std::isspace in the "C"
/// locale), count in a std::map, sort by count then word.
std::vector<std::string> reference_lines(const std::vector<std::string>& texts, std::size_t top) {
  std::map<std::string, std::uint64_t> counts;
  std::uint64_t total = 0;
  for (const auto& text : texts) {
    std::string word;
    for (const char c : text + " ") {
      if (std::isspace(static_cast<unsigned char>(c)) != 0) {
        if (!word.empty()) {
          ++counts[word];
          ++total;
        }
        word.clear();
      } else {
        word += c;
      }
    }
  }
  std::vector<std::pair<std::string, std::uint64_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> lines{"result: " + std::to_string(total) + " words"};
  for (std::size_t i = 0; i < std::min(top, sorted.size()); ++i) {
    lines.push_back(std::to_string(sorted[i].second) + " " + sorted[i].first);
  }
  return lines;
}

/// Runs the job as `ranks` ranks of `threads` threads would: each rank's blocks dealt round
/// robin to its threads' states and computed last block first, one serialized state per rank.
Gathered run_as_layout(Job& job, int ranks, int threads) {
  const WorkPlan plan = job.plan();
  Gathered g;
  g.blocks = plan.blocks();
  g.counts.assign(g.blocks * plan.count_partials, 0);
  for (int r = 0; r < ranks; ++r) {
    const Slice blocks = block_partition(plan.blocks(), ranks, r);
    std::vector<std::unique_ptr<ThreadState>> states;
    for (int t = 0; t < threads; ++t) states.push_back(job.make_thread_state());
    for (std::uint64_t b = blocks.end; b-- > blocks.begin;) {
      BlockOutput out;
      out.counts = {g.counts.data() + b * plan.count_partials, plan.count_partials};
      out.state = states[b % static_cast<std::uint64_t>(threads)].get();
      job.compute(Block{b, plan.block(b), 0}, out);
    }
    std::vector<ThreadState*> raw;
    for (auto& s : states) raw.push_back(s.get());
    g.rank_states.push_back(job.serialize(raw));
  }
  g.pass_seconds.assign(1, 1.0);
  return g;
}

/// Result lines of the job on `texts` with `extra` options, checked to verify.
std::vector<std::string> job_lines(const std::vector<std::string>& texts,
                                   std::vector<std::string> extra = {}, int ranks = 0,
                                   int threads = 1) {
  const TextFiles files(texts);
  auto job = make_job("wordcount", files.args(std::move(extra)));
  Gathered g = ranks == 0 ? run_serially(*job) : run_as_layout(*job, ranks, threads);
  const JobResult r = job->finish(g);
  EXPECT_EQ(r.verification.status, Verification::Status::pass) << r.verification.detail;
  return r.lines;
}

/// A deterministic text of `bytes` bytes: words from a small vocabulary, every kind of
/// whitespace, runs of several spaces, and bytes that are not whitespace but not printable.
std::string generated_text(std::size_t bytes, std::uint64_t seed) {
  static const char* const vocabulary[] = {"a",      "to",       "the",        "The", "zebra",
                                           "x\x01y", "\xff\x80", "longerword", "q"};
  static const char* const gaps[] = {" ", "\n", "\t", "  ", "\r\n", "\v", "\f", " \t \n"};
  std::string text;
  std::uint64_t x = seed;
  while (text.size() < bytes) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    text += vocabulary[(x >> 33) % std::size(vocabulary)];
    text += gaps[(x >> 45) % std::size(gaps)];
  }
  text.resize(bytes);
  return text;
}

}  // namespace

TEST(WordCount, SmallTextAgainstReference) {
  const std::vector<std::string> texts{"the cat and the dog\nthe end\n"};
  EXPECT_EQ(job_lines(texts), reference_lines(texts, 10));
  EXPECT_EQ(job_lines(texts), (std::vector<std::string>{"result: 7 words", "3 the", "1 and",
                                                        "1 cat", "1 dog", "1 end"}));
}

TEST(WordCount, EmptyFiles) {
  EXPECT_EQ(job_lines({""}), std::vector<std::string>{"result: 0 words"});
  EXPECT_EQ(job_lines({"", "", ""}), std::vector<std::string>{"result: 0 words"});
  EXPECT_EQ(job_lines({"", "word", ""}, {"--block-bytes", "1"}),
            (std::vector<std::string>{"result: 1 words", "1 word"}));
  EXPECT_EQ(job_lines({" \n\t\r\v\f "}), std::vector<std::string>{"result: 0 words"});
}

TEST(WordCount, NoTrailingNewline) {
  const std::vector<std::string> texts{"alpha beta\nbeta"};
  EXPECT_EQ(job_lines(texts), (std::vector<std::string>{"result: 3 words", "2 beta", "1 alpha"}));
  EXPECT_EQ(job_lines(texts, {"--block-bytes", "3", "--chunk-bytes", "2"}),
            reference_lines(texts, 10));
}

TEST(WordCount, EveryKindOfWhitespaceAndOtherBytes) {
  // C-locale whitespace is exactly ' ' \t \n \v \f \r; any other byte (controls, NUL, >= 0x80)
  // is part of a word.
  const std::string text =
      std::string("a\tb\rc\vd\fe\nf g h\r\n\x01 x\x02y \xff\xfe ") + std::string(1, '\0') + " \x1c";
  EXPECT_EQ(job_lines({text}, {"--top", "0"}), std::vector<std::string>{"result: 13 words"});
  EXPECT_EQ(job_lines({text}, {"--top", "20"}), reference_lines({text}, 20));
  EXPECT_EQ(job_lines({text}, {"--top", "20", "--block-bytes", "2", "--chunk-bytes", "1"}),
            reference_lines({text}, 20));
}

TEST(WordCount, WordLongerThanBlockAndChunk) {
  const std::string giant(10000, 'w');
  const std::vector<std::string> texts{"x " + giant + " y " + giant + "\n" + giant};
  const std::vector<std::string> opts{"--block-bytes", "100", "--chunk-bytes", "7"};
  const auto lines = job_lines(texts, opts);
  EXPECT_EQ(lines, reference_lines(texts, 10));
  EXPECT_EQ(lines.front(), "result: 5 words");
  EXPECT_EQ(lines.at(1), "3 " + giant);
  // A file that is one word, with more blocks than ranks and ranks than threads.
  EXPECT_EQ(job_lines({giant}, opts, 3, 2),
            (std::vector<std::string>{"result: 1 words", "1 " + giant}));
  // A word longer than a piece but inside one block, and one longer than the default piece.
  const std::string huge(300000, 'h');
  EXPECT_EQ(job_lines({"a " + huge + " b"}, {"--top", "1", "--chunk-bytes", "1000"}),
            (std::vector<std::string>{"result: 3 words", "1 a"}));
  EXPECT_EQ(job_lines({huge + " " + huge}, {"--top", "1"}, 2, 2),
            (std::vector<std::string>{"result: 2 words", "2 " + huge}));
}

TEST(WordCount, WordsNeverSpanFiles) {
  // "ab" ends file 0 with no whitespace and "cd" starts file 1: two words, not "abcd".
  const std::vector<std::string> texts{"xx ab", "cd xx", "", "ab"};
  EXPECT_EQ(job_lines(texts),
            (std::vector<std::string>{"result: 5 words", "2 ab", "2 xx", "1 cd"}));
  for (const char* block : {"1", "2", "3", "5", "100"}) {
    EXPECT_EQ(job_lines(texts, {"--block-bytes", block, "--chunk-bytes", "2"}, 2, 2),
              reference_lines(texts, 10))
        << "block " << block;
  }
}

TEST(WordCount, BoundaryAtEveryOffset) {
  const std::string text = "one two  three\tfour\n\nfive six seven eight nine ten two two one z";
  const auto expected = reference_lines({text}, 100);
  for (std::size_t block = 1; block <= text.size() + 1; ++block) {
    for (const char* chunk : {"1", "2", "3", "5", "64"}) {
      EXPECT_EQ(job_lines({text}, {"--top", "100", "--block-bytes", std::to_string(block),
                                   "--chunk-bytes", chunk}),
                expected)
          << "block " << block << " chunk " << chunk;
    }
  }
  // The same text cut into two files at every offset (the cut may split a word in two).
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    const std::vector<std::string> texts{text.substr(0, cut), text.substr(cut)};
    EXPECT_EQ(job_lines(texts, {"--top", "100", "--block-bytes", "4", "--chunk-bytes", "3"}, 3, 2),
              reference_lines(texts, 100))
        << "cut " << cut;
  }
}

TEST(WordCount, SameResultAtEveryEmulatedLayout) {
  const std::vector<std::string> texts{generated_text(5000, 1), generated_text(777, 2), "",
                                       generated_text(3001, 3)};
  const auto expected = reference_lines(texts, 8);
  for (int ranks = 1; ranks <= 4; ++ranks) {
    for (int threads = 1; threads <= 3; ++threads) {
      EXPECT_EQ(job_lines(texts, {"--top", "8", "--block-bytes", "97", "--chunk-bytes", "13"},
                          ranks, threads),
                expected)
          << ranks << " x " << threads;
    }
  }
  EXPECT_EQ(job_lines(texts, {"--top", "8"}), expected);  // default block and chunk sizes
}

TEST(WordCount, TopTiesInByteOrder) {
  // Every word twice except "d": ties sorted by bytes, unsigned ('B' < 'a' < 'b' < '\xe9').
  const std::vector<std::string> texts{"b \xe9 a B c d b a\n\xe9 c B"};
  EXPECT_EQ(job_lines(texts, {"--top", "3"}),
            (std::vector<std::string>{"result: 11 words", "2 B", "2 a", "2 b"}));
  EXPECT_EQ(
      job_lines(texts, {"--top", "6"}, 3, 2),
      (std::vector<std::string>{"result: 11 words", "2 B", "2 a", "2 b", "2 c", "2 \xe9", "1 d"}));
  EXPECT_EQ(job_lines(texts, {"--top", "100"}), job_lines(texts, {"--top", "6"}));
}

TEST(WordCount, VerificationFailsOnAWrongCount) {
  const TextFiles files({"some words here\n"});
  auto job = make_job("wordcount", files.args());
  Gathered g = run_serially(*job);
  g.counts[0] += 1;
  EXPECT_EQ(job->finish(g).verification.status, Verification::Status::fail);
}

TEST(WordCount, ThroughputInMegabytesPerSecond) {
  const std::string text(2'000'000, 'x');
  const TextFiles files({text});
  auto job = make_job("wordcount", files.args());
  EXPECT_EQ(job->plan().items, 2'000'000U);
  EXPECT_EQ(job->plan().blocks(), 2U);
  Gathered g = run_serially(*job);  // pass_seconds = {1.0}
  const JobResult r = job->finish(g);
  ASSERT_TRUE(r.throughput.has_value());
  EXPECT_EQ(r.throughput->unit, "MB/s");
  EXPECT_DOUBLE_EQ(r.throughput->value, 2.0);
}

TEST(WordCount, BadOptionsAreUsageErrors) {
  const TextFiles files({"x"});
  EXPECT_THROW((void)make_job("wordcount", {}), UsageError);
  EXPECT_THROW((void)make_job("wordcount", files.args({"--block-bytes", "0"})), UsageError);
  EXPECT_THROW((void)make_job("wordcount", files.args({"--chunk-bytes", "0"})), UsageError);
  EXPECT_THROW((void)make_job("wordcount", files.args({"--chunk-bytes", "2e9"})), UsageError);
  EXPECT_THROW((void)make_job("wordcount", files.args({"--top", "-1"})), UsageError);
  const std::string missing = files.dir() + "/missing.txt";
  try {
    (void)make_job("wordcount", files.args({"--input-file", missing}));
    ADD_FAILURE() << "no error for a missing file";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)make_job("wordcount", {"--input-file", files.dir()}), UsageError);
}
