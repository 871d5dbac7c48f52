// SPDX-License-Identifier: BSD-3-Clause
// parse_options and the shared option helpers: one parser, one refusal of stray words.

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "hpar/cli/options.hpp"
#include "hpar/core/errors.hpp"

using namespace hpar;
namespace po = boost::program_options;

namespace {

po::options_description sample_options() {
  po::options_description d;
  d.add_options()("mode", po::value<std::string>()->default_value("strong"))(
      "count", po::value<std::string>())("config", po::value<std::string>())("flag", "a switch");
  return d;
}

ParsedOptions parse(std::vector<std::string> args, const OptionRules& rules = {}) {
  return parse_options(args, sample_options(), rules);
}

}  // namespace

TEST(Options, OptionsAndDefaults) {
  const auto p = parse({"--count", "3", "--flag"});
  EXPECT_EQ(p.vm["count"].as<std::string>(), "3");
  EXPECT_EQ(p.vm["mode"].as<std::string>(), "strong");
  EXPECT_EQ(p.vm.count("flag"), 1U);
  EXPECT_TRUE(p.words.empty());
}

TEST(Options, StrayWordsAreRefusedUnlessTaken) {
  try {
    (void)parse({"--flag", "stray"});
    FAIL() << "a stray word was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("unexpected word 'stray'"), std::string::npos) << e.what();
  }
  const auto p = parse({"a", "--count", "1", "b", "--", "--c"}, {.words = true});
  EXPECT_EQ(p.words, (std::vector<std::string>{"a", "b", "--c"}));
  EXPECT_EQ(p.vm["count"].as<std::string>(), "1");
}

TEST(Options, BadOptionsAreUsageErrors) {
  EXPECT_THROW((void)parse({"--nosuch"}), UsageError);
  EXPECT_THROW((void)parse({"--count"}), UsageError);
  EXPECT_THROW((void)parse({"--count", "1", "--count", "2"}), UsageError);
}

TEST(Options, UnknownOptionsPassedOnInOrder) {
  const auto p =
      parse({"--job-opt", "1", "--count", "2", "word", "--co=3"}, {.pass_on_unknown = true});
  EXPECT_EQ(p.vm["count"].as<std::string>(), "2");
  // No abbreviations: --co is not taken for --count.
  EXPECT_EQ(p.passed_on, (std::vector<std::string>{"--job-opt", "1", "word", "--co=3"}));
}

TEST(Options, ConfigFileUnderTheCommandLine) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("hpar-options-test-" + std::to_string(getpid()) + ".ini");
  std::ofstream(path) << "count = 7\nmode = weak\n";
  const auto p = parse({"--config", path.string(), "--mode", "strong"}, {.config_file = true});
  EXPECT_EQ(p.vm["count"].as<std::string>(), "7");
  EXPECT_EQ(p.vm["mode"].as<std::string>(), "strong");
  std::filesystem::remove(path);
  EXPECT_THROW((void)parse({"--config", path.string()}, {.config_file = true}), UsageError);
}

TEST(Options, CountsInRange) {
  const auto vm = parse({"--count", "12"}).vm;
  EXPECT_EQ(count_option(vm, "count", 1, 12), 12U);
  try {
    (void)count_option(vm, "count", 1, 10);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--count must be between 1 and 10");
  }
  EXPECT_THROW((void)count_option(parse({"--count", "x"}).vm, "count", 1, 10), UsageError);
}

TEST(Options, CountLists) {
  EXPECT_EQ(count_list({"4,1", "2,4"}, "--ranks", 8), (std::vector<int>{1, 2, 4}));
  EXPECT_THROW((void)count_list({"0"}, "--ranks", 8), UsageError);
  EXPECT_THROW((void)count_list({"9"}, "--ranks", 8), UsageError);
  EXPECT_THROW((void)count_list({"1,,2"}, "--ranks", 8), UsageError);
}

TEST(Options, ThreadsOption) {
  po::options_description d;
  d.add_options()("threads", po::value<std::string>());
  EXPECT_EQ(threads_option(parse_options(std::vector<std::string>{"--threads", "3"}, d).vm), 3);
  EXPECT_GE(threads_option(parse_options(std::vector<std::string>{}, d).vm), 1);
  EXPECT_THROW(
      (void)threads_option(parse_options(std::vector<std::string>{"--threads", "0"}, d).vm),
      UsageError);
}

TEST(Options, WriteIfAsked) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("hpar-options-out-" + std::to_string(getpid()) + ".txt");
  bool made = false;
  write_if_asked(parse({}).vm, "count", [&] {
    made = true;
    return std::string("x");
  });
  EXPECT_FALSE(made);  // not asked: the text is not even made
  write_if_asked(parse({"--count", path.string()}).vm, "count", [] { return std::string("x\n"); });
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "x");
  std::filesystem::remove(path);
}

TEST(Options, AtMostSoManyWords) {
  EXPECT_EQ(parse({"job"}, {.words = true, .most_words = 1}).words,
            std::vector<std::string>{"job"});
  try {
    (void)parse({"job", "more"}, {.words = true, .most_words = 1});
    FAIL() << "a second word was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("unexpected word 'more'"), std::string::npos);
  }
}

TEST(Options, UnknownOptionsAreQuotedSafely) {
  try {
    (void)parse({"--bo\x1b[2Jgus"});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "unknown option '--bo\\e[2Jgus'");
  }
}

TEST(Options, ConfigMustBeARegularFile) {
  try {
    (void)parse({"--config", std::filesystem::temp_directory_path().string()},
                {.config_file = true});
    FAIL() << "a directory was read as a config file";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("it is a directory"), std::string::npos) << e.what();
  }
}

TEST(Options, TwoOutputsNamingOneFileAreRefused) {
  namespace fs = std::filesystem;
  po::options_description d;
  d.add_options()("output", po::value<std::string>())("report-json", po::value<std::string>())(
      "trace", po::value<std::string>());
  const auto outputs = [&](std::vector<std::string> args) { return parse_options(args, d); };
  const fs::path dir = fs::temp_directory_path() / ("hpar-outputs-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "real.txt") << "x";
  fs::create_symlink("real.txt", dir / "link.txt");
  const std::string real = (dir / "real.txt").string();
  EXPECT_THROW((void)outputs({"--output", real, "--report-json", real}), UsageError);
  EXPECT_THROW((void)outputs({"--output", real, "--trace", (dir / "link.txt").string()}),
               UsageError);
  EXPECT_THROW(
      (void)outputs({"--output", (dir / "new").string(), "--trace", (dir / "./new").string()}),
      UsageError);
  EXPECT_NO_THROW((void)outputs({"--output", "-", "--report-json", "-", "--trace", real}));
  EXPECT_NO_THROW((void)outputs({"--output", "/dev/null", "--report-json", "/dev/null"}));
  EXPECT_NO_THROW((void)outputs({"--output", real, "--report-json", (dir / "b").string()}));
  fs::remove_all(dir);
}

TEST(Options, ConfigLinesThatLookLikeBoostPlaceholdersAreRefused) {
  // Boost's own message for such a line loops forever: found by the config fuzz target.
  const auto path = std::filesystem::temp_directory_path() /
                    ("hpar-options-placeholder-" + std::to_string(getpid()) + ".ini");
  std::ofstream(path) << "%invalid_line%\x04\n";
  try {
    (void)parse({"--config", path.string()}, {.config_file = true});
    FAIL() << "a bad config line was accepted";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(),
                 "bad line '%invalid_line%\\x04' in the --config file: expected NAME = VALUE");
  }
  std::filesystem::remove(path);
  try {
    (void)parse({"--count", "1", "--count", "2"});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "option '--count' given more than once");
  }
  try {
    (void)parse({"--flag=%value%"});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "option '--flag' takes no value");
  }
}
