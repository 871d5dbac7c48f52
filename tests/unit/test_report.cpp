// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "hpar/core/errors.hpp"
#include "hpar/core/format.hpp"
#include "hpar/report/report.hpp"

using namespace hpar;

namespace {

RunRecord sample_record() {
  RunRecord r;
  r.job = "numbers";
  r.plan.items = 1000;
  r.plan.block_items = 100;
  r.plan.item_unit = "inputs";
  r.ranks = 2;
  r.options.threads = 2;
  r.placements = {{0, "n1", 2, {0, 1}}, {1, "n2", 2, {0, 1}}};
  r.compute = {1.0, 1.5, 2.0};
  r.imbalance = 2.0 / 1.5 - 1.0;
  r.items_done = 1000;
  r.result.verification = {Verification::Status::pass, "checksum ok"};
  return r;
}

}  // namespace

TEST(Report, JsonHasSchemaLayoutAndThroughput) {
  RunContext ctx{{"hpar", "run", "numbers"}, "Open MPI v4.1.4", "funneled", {"a warning"}};
  const auto j = make_report(sample_record(), ctx);
  EXPECT_EQ(j["schema"], "hpar-report/1");
  EXPECT_EQ(j["layout"]["ranks"], 2);
  EXPECT_EQ(j["layout"]["hosts"].size(), 2U);
  EXPECT_EQ(j["throughput"]["unit"], "inputs/s");
  EXPECT_DOUBLE_EQ(j["throughput"]["value"].get<double>(), 500.0);  // 1000 items / 2 s (slowest)
  EXPECT_NEAR(j["imbalance"].get<double>(), 1.0 / 3.0, 1e-12);
  EXPECT_EQ(j["verification"]["status"], "PASS");
  EXPECT_EQ(j["warnings"][0], "a warning");
  EXPECT_FALSE(j["build"]["version"].get<std::string>().empty());
  EXPECT_EQ(j["target"]["arch"], build_info().arch);
}

TEST(Report, TextViewShowsEveryPart) {
  RunContext ctx{{"hpar"}, "Open MPI v4.1.4", "funneled", {}};
  std::ostringstream out;
  print_report(out, make_report(sample_record(), ctx));
  const std::string text = out.str();
  for (const char* part :
       {"== hpar report: numbers ==", "2 ranks x 2 threads", "n1 (1 ranks), n2 (1 ranks)",
        "thread level funneled", "1000 of 1000 inputs", "compute", "imbalance    33.3 %",
        "throughput   500 inputs/s", "verification PASS (checksum ok)", "target       "}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << text;
  }
}

TEST(Report, IncompleteRunIsMarked) {
  auto r = sample_record();
  r.complete = false;
  r.items_done = 300;
  std::ostringstream out;
  print_report(out, make_report(r, {}));
  EXPECT_NE(out.str().find("INCOMPLETE"), std::string::npos);
  EXPECT_NE(out.str().find("300 of 1000"), std::string::npos);
}

TEST(Report, FormatExactRoundTrips) {
  EXPECT_EQ(format_exact(0.1), "0.10000000000000001");
  EXPECT_EQ(std::stod(format_exact(3.141592653589793)), 3.141592653589793);
}

TEST(Report, FormatRateKeepsFourSignificantDigits) {
  EXPECT_EQ(format_rate(12.3456), "12.35");
  EXPECT_EQ(format_rate(1234567890.0), "1.235e+09");
  EXPECT_EQ(format_rate(0.0), "0");
}

TEST(WriteFile, AtomicWriteAndNoLeftoversOnFailure) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / "hpar_write_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "out.txt").string();
  write_file_atomically(path, "hello\n");
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "hello");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  EXPECT_THROW(write_file_atomically((dir / "missing" / "x.txt").string(), "x"), Error);
  fs::remove_all(dir);
}
