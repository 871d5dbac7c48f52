// SPDX-License-Identifier: BSD-3-Clause
// --status-file's observer without MPI: the counts it is told, the text it writes.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "hpar/core/errors.hpp"
#include "hpar/observe/status_file.hpp"
#include "temp_files.hpp"

namespace hpar {
namespace {

using hpar_test::read_all;

TEST(StatusFile, TextHasEveryKey) {
  StatusSnapshot s;
  s.job = "farm";
  s.unit = "tasks";
  s.total = 10;
  s.done = 4;
  s.failed = 1;
  s.running = 2;
  s.elapsed_s = 8.0;
  s.eta_s = 12.0;
  const std::string text = StatusFile::text(s);
  for (const char* line : {"job: farm\n", "state: running\n", "unit: tasks\n", "total: 10\n",
                           "done: 4\n", "failed: 1\n", "running: 2\n", "left: 6\n",
                           "elapsed: 8.0 s\n", "eta: 12.0 s\n", "counted: every rank\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
  }
  EXPECT_NE(text.find("\nupdated: "), std::string::npos) << text;
  s.eta_s = -1.0;
  EXPECT_NE(StatusFile::text(s).find("eta: unknown\n"), std::string::npos);
}

TEST(StatusFile, WritesWhatTheRunTellsItAndTheFinalState) {
  const hpar_test::TempFolder folder("status");
  const auto path = folder.path() / "status.txt";
  WorkPlan plan;
  plan.items = 8;
  plan.item_unit = "tasks";
  {
    StatusFile status(path.string(), "farm", 3600.0);  // one write at the start, then close
    status.pass_begin({0, 1, 0, &plan, 1});
    Progress p{3, 8, 0, 1, ProgressCount::finished};
    p.failed = 1;
    p.dealt = 5;
    status.tick(p);
    status.close("stopped");
  }
  const std::string text = read_all(path);
  for (const char* line : {"state: stopped\n", "unit: tasks\n", "total: 8\n", "done: 3\n",
                           "failed: 1\n", "running: 0\n", "left: 5\n", "eta: unknown\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(folder.path()),
                          std::filesystem::directory_iterator()),
            1);  // no temporary file left
}

TEST(StatusFile, AnUnclosedRunThatBeganEndsFailed) {
  const hpar_test::TempFolder folder("status");
  const auto path = folder.path() / "status.txt";
  WorkPlan plan;
  plan.items = 4;
  {
    StatusFile status(path.string(), "numbers", 3600.0);
    status.pass_begin({0, 1, 0, &plan});
  }
  EXPECT_NE(read_all(path).find("state: failed\n"), std::string::npos) << read_all(path);
}

TEST(StatusFile, RefusesWhatItCannotWrite) {
  const hpar_test::TempFolder folder("status");
  EXPECT_THROW(StatusFile::check(folder.path().string()), UsageError);
  EXPECT_THROW(StatusFile::check((folder.path() / "missing" / "s.txt").string()), UsageError);
  EXPECT_THROW(StatusFile::check("-"), UsageError);
  EXPECT_NO_THROW(StatusFile::check((folder.path() / "s.txt").string()));
  EXPECT_FALSE(std::filesystem::exists(folder.path() / "s.txt"));  // checking writes nothing
}

}  // namespace
}  // namespace hpar
