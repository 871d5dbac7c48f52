// SPDX-License-Identifier: BSD-3-Clause
// The small API (hpar/hpar.hpp) without MPI: declared options parsed and refused as hpar
// refuses bad input, the shapes of work against plain serial loops, the values that cross from
// blocks to rank 0, and the checks of a program's job list.

#include <gtest/gtest.h>

#include <boost/program_options.hpp>
#include <map>
#include <stdexcept>

#include "hpar/cli/cli.hpp"
#include "hpar/hpar.hpp"
#include "job_harness.hpp"
#include "small_jobs.hpp"

namespace po = boost::program_options;
using hpar::Option;
using hpar::Options;

namespace {

const std::vector<Option> declared = {
    Option::count("n", "1e3", "items"),      Option::integer("shift", "-5", "a shift"),
    Option::real("scale", "0.5", "a scale"), Option::size("buffer", "64Ki", "bytes"),
    Option::text("name", "", "a name"),      Option::flag("quiet", "less output")};

Options parse(const std::map<std::string, std::string>& given) {
  return {declared, given};
}

/// The message of the UsageError `f` throws ("" when it throws none).
template <class F>
std::string usage_error(F f) {
  try {
    f();
  } catch (const hpar::UsageError& e) {
    return e.what();
  }
  return "";
}

/// A small-API job of the test jobs, run serially: its result lines and ordered bytes.
std::pair<std::vector<std::string>, std::string> run_small(const std::string& name,
                                                           std::vector<std::string> args = {}) {
  auto job = hpar::testing::make_job(name, std::move(args));
  auto gathered = hpar::testing::run_serially(*job);
  return {job->finish(gathered).lines, gathered.ordered};
}

}  // namespace

TEST(SmallApiOptions, ParsesEveryKindAndTheDefaults) {
  const Options o = parse({{"n", "2e6"}, {"name", "x"}, {"quiet", ""}});
  EXPECT_EQ(o.count("n"), 2'000'000U);
  EXPECT_EQ(o.integer("shift"), -5);
  EXPECT_EQ(o.real("scale"), 0.5);
  EXPECT_EQ(o.size("buffer"), 65536U);
  EXPECT_EQ(o.text("name"), "x");
  EXPECT_TRUE(o.flag("quiet"));
  EXPECT_FALSE(parse({}).flag("quiet"));
  EXPECT_FALSE(parse({}).has("name"));
  EXPECT_TRUE(parse({}).has("n"));
}

TEST(SmallApiOptions, BadValuesAreUsageErrorsNamingTheOption) {
  EXPECT_NE(usage_error([] { (void)parse({{"n", "lots"}}); }).find("--n"), std::string::npos);
  EXPECT_NE(usage_error([] { (void)parse({{"n", "-1"}}); }), "");
  EXPECT_NE(usage_error([] {
              (void)parse({{"shift", "1.5"}});
            }).find("--shift"),
            std::string::npos);
  EXPECT_NE(usage_error([] {
              (void)parse({{"scale", "nan"}});
            }).find("--scale"),
            std::string::npos);
  EXPECT_NE(usage_error([] { (void)parse({{"buffer", "12Q"}}); }), "");
  EXPECT_EQ(usage_error([] { (void)parse({}).text("name"); }),
            "missing --name (see the job's help)");
}

TEST(SmallApiOptions, AskingForAnUndeclaredOptionOrAnotherKindIsTheJobsBug) {
  const Options o = parse({});
  EXPECT_THROW((void)o.count("nope"), std::logic_error);
  EXPECT_THROW((void)o.real("n"), std::logic_error);
  EXPECT_THROW((void)o.has("nope"), std::logic_error);
}

TEST(SmallApiOptions, DeclarationsAreChecked) {
  po::options_description d;
  const auto add = [&](std::vector<Option> options, const char* size = "") {
    return usage_error([&] { hpar::add_declared_options("job", options, size, d); });
  };
  EXPECT_EQ(add(declared, "n"), "");
  EXPECT_NE(add({Option::count("n", "1", ""), Option::real("n", "1", "")}).find("twice"),
            std::string::npos);
  EXPECT_NE(add({Option::count("--n", "1", "")}).find("bad option name"), std::string::npos);
  EXPECT_NE(add({Option::count("a b", "1", "")}).find("bad option name"), std::string::npos);
  EXPECT_NE(add({Option::count("n", "1e8x", "")}).find("the default of --n"), std::string::npos);
  EXPECT_NE(add({Option::real("n", "1", "")}, "n").find("size option"), std::string::npos);
  EXPECT_NE(add({Option::count("n", "1", "")}, "m").find("size option"), std::string::npos);
}

TEST(SmallApiOptions, HelpShowsTheDefaults) {
  po::options_description d;
  hpar::add_declared_options("job", declared, "", d);
  std::ostringstream text;
  text << d;
  EXPECT_NE(text.str().find("--n N (=1e3)"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("--quiet"), std::string::npos);
}

TEST(SmallApiWork, DefaultBlocksDependOnTheItemCountOnly) {
  EXPECT_EQ(hpar::default_block_items(0), 1U);
  EXPECT_EQ(hpar::default_block_items(1000), 1U);
  EXPECT_EQ(hpar::default_block_items(1025), 2U);
  EXPECT_EQ(hpar::default_block_items(1'000'000), 977U);
  EXPECT_EQ(hpar::default_block_items(std::uint64_t{1} << 40), 65536U);
  EXPECT_THROW(hpar::reduce(10, [](std::uint64_t i) { return i; }).block_items(0),
               hpar::UsageError);
}

TEST(SmallApiWork, AReductionSumsEachBlockInItemOrderThenTheBlocksInBlockOrder) {
  const hpar_test::SmallJobs jobs;
  // The reference: a plain loop per block of 98 items (100003 / 1024, rounded up), the blocks
  // added in order.
  double total = 0.0;
  for (std::uint64_t b = 0; b * 98 < 100003; ++b) {
    double block = 0.0;
    for (std::uint64_t i = b * 98; i < std::min<std::uint64_t>(100003, (b + 1) * 98); ++i) {
      block += hpar_test::wavy(i);
    }
    total += block;
  }
  EXPECT_EQ(run_small("wavy").first,
            std::vector<std::string>{"result: " + hpar::format_exact(total)});
  // One block of all items: another order of additions, other bits.
  double straight = 0.0;
  for (std::uint64_t i = 0; i < 100003; ++i) straight += hpar_test::wavy(i);
  ASSERT_NE(straight, total) << "the values must be sensitive to the order of additions";
  EXPECT_EQ(run_small("wavy", {"--block", "100003"}).first,
            std::vector<std::string>{"result: " + hpar::format_exact(straight)});
}

TEST(SmallApiWork, ValuesOfEveryCarriedTypeComeBackExactly) {
  const hpar_test::SmallJobs jobs;
  double sum = 0.0;
  double squares = 0.0;
  double peak = -1e300;
  for (std::uint64_t i = 0; i < 70001; ++i) {
    const double x = hpar_test::wavy(i);
    peak = i < 50001 ? std::fmax(peak, x) : peak;
  }
  for (std::uint64_t b = 0; b * 69 < 70001; ++b) {  // default blocks: 70001 / 1024 -> 69
    double s = 0.0;
    double q = 0.0;
    for (std::uint64_t i = b * 69; i < std::min<std::uint64_t>(70001, (b + 1) * 69); ++i) {
      const double x = hpar_test::wavy(i);
      s += x;
      q += x * x;
    }
    sum += s;
    squares += q;
  }
  EXPECT_EQ(run_small("moments").first,
            std::vector<std::string>{"result: " + hpar::format_exact(sum) + " " +
                                     hpar::format_exact(squares)});
  EXPECT_EQ(run_small("peak").first,
            std::vector<std::string>{"result: " + hpar::format_exact(peak)});
  const auto blocks = run_small("blocks", {"--block", "1000"}).first;
  ASSERT_EQ(blocks.size(), 1U);
  EXPECT_TRUE(blocks[0].ends_with(" 90001")) << blocks[0];
}

TEST(SmallApiWork, AMapWritesEveryItemInOrderAndSumsItsValues) {
  const hpar_test::SmallJobs jobs;
  std::string expected;
  for (std::uint64_t i = 0; i < 30001; ++i) {
    char root[64];
    const auto done = std::to_chars(root, root + sizeof root, std::sqrt(static_cast<double>(i)));
    expected += std::to_string(i) + " " + std::string(root, done.ptr) + "\n";
  }
  const auto [lines, ordered] = run_small("lines");
  EXPECT_EQ(ordered, expected);
  EXPECT_EQ(lines, std::vector<std::string>{"result: sum of i 450015000"});
}

TEST(SmallApiWork, ChecksGiveTheVerdict) {
  const hpar_test::SmallJobs jobs;
  auto hits = hpar::testing::make_job("hits");
  auto g = hpar::testing::run_serially(*hits);
  EXPECT_EQ(hits->finish(g).verification.status, hpar::Verification::Status::pass);
  auto wrong = hpar::testing::make_job("wrong");
  g = hpar::testing::run_serially(*wrong);
  const auto result = wrong->finish(g);
  EXPECT_EQ(result.verification.status, hpar::Verification::Status::fail);
  EXPECT_EQ(result.verification.detail, "the job's check failed");
  auto wavy = hpar::testing::make_job("wavy");
  g = hpar::testing::run_serially(*wavy);
  EXPECT_EQ(wavy->finish(g).verification.status, hpar::Verification::Status::none);
}

TEST(SmallApiWork, OutputWritesNumbersAsToCharsDoes) {
  std::string text;
  hpar::Output out(text);
  out << std::int64_t{-42} << ' ' << 0.1 << ' ' << 1e300 << ' ' << std::uint8_t{7} << "x"
      << std::string_view("y");
  out.write("\0z", 2);
  EXPECT_EQ(text, std::string("-42 0.1 1e+300 7xy\0z", 20));
}

TEST(Registry, RefusesTwoJobsOfOneName) {
  auto jobs = hpar_test::small_api_jobs();
  jobs.push_back(jobs.front());
  const std::string message = usage_error([&] { hpar::Registry r(jobs); });
  EXPECT_NE(message.find("two jobs are named 'wavy'"), std::string::npos) << message;
  jobs.pop_back();
  jobs.front().name = "bad name";
  EXPECT_NE(usage_error([&] { hpar::Registry r(jobs); }), "");
  jobs.front().name = "";
  EXPECT_NE(usage_error([&] { hpar::Registry r(jobs); }), "");
}

TEST(Registry, AScopeMakesItTheProgramsJobsAndRestoresTheOneBefore) {
  ASSERT_NE(hpar::find_job("pi"), nullptr);  // the test process's built-in jobs
  {
    const hpar_test::SmallJobs jobs;
    EXPECT_EQ(hpar::find_job("pi"), nullptr);
    ASSERT_NE(hpar::find_job("wavy"), nullptr);
    EXPECT_EQ(hpar::job_registry().size(), hpar_test::small_api_jobs().size());
    EXPECT_EQ(hpar::find_job("wavy")->size_option, "n");
  }
  EXPECT_NE(hpar::find_job("pi"), nullptr);
  EXPECT_EQ(hpar::find_job("wavy"), nullptr);
}

TEST(Registry, AJobOptionThatHparTakesItselfIsRefused) {
  const hpar::JobInfo clash = hpar::define_job(
      {.name = "clash", .options = {Option::count("threads", "1", "mine")}}, [](const Options& o) {
        return hpar::reduce(o.count("threads"), [](std::uint64_t) { return 1; });
      });
  const std::string message =
      usage_error([&] { hpar::check_option_names(clash, po::options_description()); });
  EXPECT_NE(message.find("declares --threads"), std::string::npos) << message;
  po::options_description extra;
  extra.add_options()("output", "");
  const hpar::JobInfo mine = hpar::define_job(
      {.name = "mine", .options = {Option::text("output", "x", "mine")}},
      [](const Options&) { return hpar::reduce(1, [](std::uint64_t) { return 1; }); });
  EXPECT_EQ(usage_error([&] { hpar::check_option_names(mine, po::options_description()); }), "");
  EXPECT_NE(usage_error([&] { hpar::check_option_names(mine, extra); }), "");
}

TEST(Program, HparsWordsBecomeTheProgramsWhileItsScopeLives) {
  const std::string text =
      "hpar scale JOB\n  mpirun -np 2 hpar affinity\n(see 'hpar list'); "
      "hpar-report/1 from chpar x";
  EXPECT_EQ(hpar::program_name(), "hpar");
  EXPECT_EQ(hpar::in_program_words(text), text);
  {
    const hpar::ProgramScope self({.name = "sim", .version = "3"});
    EXPECT_EQ(hpar::program().version, "3");
    EXPECT_EQ(hpar::in_program_words(text),
              "sim scale JOB\n  mpirun -np 2 sim affinity\n(see 'sim list'); "
              "hpar-report/1 from chpar x");
    EXPECT_EQ(hpar::in_program_words("hpar "), "sim ");
  }
  EXPECT_EQ(hpar::program_name(), "hpar");
}
