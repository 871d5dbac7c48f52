// SPDX-License-Identifier: BSD-3-Clause
// Trace recording (chunk merging, coarsening, the Chrome document) and progress lines.

#include <gtest/gtest.h>

#include <algorithm>

#include <set>
#include <sstream>

#include "hpar/observe/progress.hpp"
#include "hpar/observe/trace.hpp"

using namespace hpar;

namespace {

nlohmann::json events_of(const TraceRecorder& t) {
  return nlohmann::json::parse(t.serialize(0, "h"))["threads"];
}

}  // namespace

TEST(Trace, ConsecutiveBlocksFormOneChunk) {
  TraceRecorder t;
  t.reserve_threads(2);
  t.block(0, 4, 0, 10.0, 20.0);
  t.block(0, 5, 0, 20.5, 30.0);  // next block, no gap: same chunk
  t.block(0, 6, 0, 30.0, 40.0);
  t.block(0, 9, 0, 40.0, 50.0);     // a jump in blocks: a new chunk
  t.block(0, 10, 0, 500.0, 510.0);  // next block after a long gap: a new chunk
  t.block(0, 11, 1, 510.0, 520.0);  // next pass: a new chunk
  t.block(1, 7, 0, 10.0, 15.0);
  const auto threads = events_of(t);
  ASSERT_EQ(threads[0].size(), 4U);
  EXPECT_EQ(threads[0][0][4]["blocks"], "4-6");
  EXPECT_EQ(threads[0][0][4]["block_count"], 3);
  EXPECT_DOUBLE_EQ(threads[0][0][2].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(threads[0][0][3].get<double>(), 40.0);
  EXPECT_EQ(threads[0][1][4]["blocks"], "9");
  EXPECT_EQ(threads[0][3][4]["pass"], 1);
  EXPECT_EQ(threads[1].size(), 1U);
}

TEST(Trace, VeryManyChunksAreMergedKeepingEveryBlock) {
  TraceRecorder t;
  t.reserve_threads(1);
  const std::uint64_t n = 3 * TraceRecorder::max_events_per_thread;
  for (std::uint64_t b = 0; b < n; ++b) {  // every other block: no two chunks join
    const double at = static_cast<double>(b) * 10.0;
    t.block(0, 2 * b, 0, at, at + 1.0);
  }
  EXPECT_LE(t.size(), TraceRecorder::max_events_per_thread);
  std::uint64_t blocks = 0;
  double busy = 0.0;
  const auto threads = events_of(t);
  for (const auto& e : threads[0]) {
    blocks += e[4]["block_count"].get<std::uint64_t>();
    busy += e[4]["busy_us"].get<double>();
  }
  EXPECT_EQ(blocks, n);
  EXPECT_DOUBLE_EQ(busy, static_cast<double>(n));
}

TEST(Trace, ChromeDocumentHasATrackPerRankAndThread) {
  TraceRecorder r0, r1;
  r0.reserve_threads(2);
  r1.reserve_threads(2);
  r0.span(0, "setup", "setup", 0.0, 5.0);
  r0.block(0, 0, 0, 5.0, 9.0);
  r0.block(1, 1, 0, 5.0, 8.0);
  r0.span(1, "idle (threads join)", "wait", 8.0, 9.0);
  r1.block(0, 2, 0, 5.0, 7.0);
  r1.block(1, 3, 0, 5.0, 9.5);
  r1.span(0, "gather", "gather", 10.0, 12.0);
  const auto doc = chrome_trace({r0.serialize(0, "a"), r1.serialize(1, "b")});
  std::set<std::pair<int, int>> tracks;
  std::set<std::string> names;
  for (const auto& e : doc["traceEvents"]) {
    if (e["ph"] == "X") {
      tracks.emplace(e["pid"].get<int>(), e["tid"].get<int>());
      EXPECT_GE(e["dur"].get<double>(), 0.0);
    }
    if (e["ph"] == "M" && e["name"] == "process_name") names.insert(e["args"]["name"]);
  }
  EXPECT_EQ(tracks, (std::set<std::pair<int, int>>{{0, 0}, {0, 1}, {1, 0}, {1, 1}}));
  EXPECT_EQ(names, (std::set<std::string>{"rank 0 (a)", "rank 1 (b)"}));
  EXPECT_EQ(doc["otherData"]["schema"], "hpar-trace/1");
}

TEST(Progress, LineSaysPercentElapsedAndLeft) {
  EXPECT_EQ(ProgressMeter::line(25, 100, 10.0),
            "hpar: progress 25.0 % (25 of 100 blocks on rank 0), 10.0 s elapsed, about 30.0 s "
            "left");
  EXPECT_NE(ProgressMeter::line(100, 100, 4.0).find(", done"), std::string::npos);
  EXPECT_EQ(ProgressMeter::line(2, 8, 3.0, ProgressCount::finished, "tasks"),
            "hpar: progress 25.0 % (2 of 8 tasks finished), 3.0 s elapsed, about 9.0 s left");
  EXPECT_EQ(ProgressMeter::line(4, 8, 1.0, ProgressCount::dealt),
            "hpar: progress 50.0 % (4 of 8 blocks dealt), 1.0 s elapsed, about 1.0 s left");
  EXPECT_EQ(human_duration(125.0), "2 min 05 s");
  EXPECT_EQ(human_duration(7260.0), "2 h 01 min");
}

TEST(Progress, MeterPrintsOnlyWhenDue) {
  std::ostringstream out;
  ProgressMeter late(out, false, 3600.0, 1.0);  // due only after an hour
  late.begin(10);
  late.advance(5);
  late.maybe_print();
  late.end();
  EXPECT_EQ(out.str(), "");
  ProgressMeter now(out, false, 0.0, 3600.0);  // due at once, then not for an hour
  now.begin(10);
  now.advance(4);
  now.maybe_print();
  now.advance(6);
  now.maybe_print();
  now.end();
  EXPECT_EQ(now.lines(), 1);
  EXPECT_NE(out.str().find("40.0 %"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("100.0 % (10 of 10 blocks on rank 0)"), std::string::npos) << out.str();
  EXPECT_EQ(parse_progress_mode("on"), ProgressMode::on);
}

TEST(Progress, LastLineIsNeverTheSameLineTwice) {
  std::ostringstream out;
  ProgressMeter meter(out, false, 0.0, 0.0);  // a line at every chance
  meter.begin(4);
  meter.advance(4);
  meter.maybe_print();  // "done" printed while the run ends
  meter.end();          // nothing new: no second line
  EXPECT_EQ(meter.lines(), 1);
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
}

TEST(Progress, CountsWhatTheRunTellsIt) {
  // A farm's run: blocks are tasks; the walker tells rank 0's meter the tasks finished everywhere.
  std::ostringstream out;
  ProgressMeter meter(out, false, 0.0, 0.0);
  WorkPlan plan;
  plan.items = 8;
  plan.item_unit = "tasks";
  meter.pass_begin({0, 1, 0, &plan});
  meter.tick({2, 8, 0, 1, ProgressCount::finished});
  EXPECT_NE(out.str().find("25.0 % (2 of 8 tasks finished)"), std::string::npos) << out.str();
}
