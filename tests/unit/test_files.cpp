// SPDX-License-Identifier: BSD-3-Clause
// AtomicFile and the file checks: outputs that never clobber, never half-written, never a
// temporary file left behind; file arguments that must be readable regular files.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "hpar/core/errors.hpp"
#include "hpar/core/files.hpp"
#include "temp_files.hpp"

using namespace hpar;
namespace fs = std::filesystem;
using hpar_test::read_all;
using hpar_test::TempFolder;

TEST(AtomicFile, NothingWithANameWhileWritingNothingLeftWhenAbandoned) {
  const TempFolder dir("files_unnamed");
  {
    AtomicFile file(dir / "out.txt");
    file.write("partial");
    EXPECT_TRUE(dir.names().empty()) << "a temporary file has a name while it is written";
  }  // destroyed without commit: abandoned
  EXPECT_TRUE(dir.names().empty());
  AtomicFile file(dir / "out.txt");
  file.write("whole\n");
  file.commit();
  EXPECT_EQ(dir.names(), std::vector<std::string>{"out.txt"});
  EXPECT_EQ(read_all(dir / "out.txt"), "whole\n");
}

TEST(AtomicFile, AKilledWriterLeavesNothingBehind) {
  // SIGKILL while the file is written: no destructor runs, and still nothing stays.
  const TempFolder dir("files_killed");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    AtomicFile file(dir / "out.txt");
    file.write("partial");
    ::kill(::getpid(), SIGKILL);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_TRUE(dir.names().empty());
}

TEST(AtomicFile, StagingPathGivesTheFileAHiddenNameOnlyWhenAsked) {
  const TempFolder dir("files_named");
  AtomicFile file(dir / "out.txt");
  const std::string staging = file.staging_path();
  EXPECT_NE(staging.find(".out.txt.hpar-"), std::string::npos) << staging;
  EXPECT_TRUE(fs::exists(staging));
  {
    std::ofstream other(staging, std::ios::app);  // another writer opens it by name
    other << "by name,";
  }
  ::lseek(file.descriptor(), 0, SEEK_END);
  file.write(" by descriptor\n");
  file.commit();
  EXPECT_EQ(dir.names(), std::vector<std::string>{"out.txt"});
  EXPECT_EQ(read_all(dir / "out.txt"), "by name, by descriptor\n");
  AtomicFile dropped(dir / "other.txt");
  (void)dropped.staging_path();
  dropped.abandon();
  EXPECT_EQ(dir.names(), std::vector<std::string>{"out.txt"});
}

TEST(AtomicFile, KeepsTheModeAndFollowsLinks) {
  const TempFolder dir("files_mode");
  const std::string target = dir / "target.txt";
  { std::ofstream(target) << "old\n"; }
  ::chmod(target.c_str(), 0600);
  fs::create_symlink("target.txt", dir / "link.txt");
  write_file_atomically(dir / "link.txt", "new\n");
  EXPECT_TRUE(fs::is_symlink(dir / "link.txt"));
  EXPECT_EQ(read_all(target), "new\n");
  struct stat st = {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600U);
  EXPECT_EQ(dir.names(), (std::vector<std::string>{"link.txt", "target.txt"}));
}

TEST(AtomicFile, WritesIntoAFifoInsteadOfReplacingIt) {
  const TempFolder dir("files_fifo");
  const std::string fifo = dir / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    write_file_atomically(fifo, "through the pipe\n");
    ::_exit(0);
  }
  EXPECT_EQ(read_all(fifo), "through the pipe\n");
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  struct stat st = {};
  ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(dir.names(), std::vector<std::string>{"pipe"});
}

TEST(AtomicFile, RefusesWhatCannotBeWritten) {
  const TempFolder dir("files_refuse");
  EXPECT_THROW(AtomicFile(dir / "missing/x.txt"), UsageError);
  fs::create_directories(dir / "sub");
  EXPECT_THROW(AtomicFile(dir / "sub"), UsageError);
  EXPECT_THROW(AtomicFile(""), UsageError);
  AtomicFile dash("-");
  EXPECT_TRUE(dash.direct());
}

/// A child process that names its staging file for `path`, writes into it and is SIGKILLed
/// (not reaped yet): its pid, or -1 when it cannot be made.
static pid_t killed_writer(const std::string& path) {
  const pid_t child = ::fork();
  if (child == 0) {
    AtomicFile file(path);
    (void)file.staging_path();
    file.write("partial");
    ::kill(::getpid(), SIGKILL);
    ::_exit(0);
  }
  return child;
}

TEST(AtomicFile, StaleStagingOfDeadWritersIsRemoved) {
  // A killed writer's named staging file (.NAME.hpar-PID@HOST-XXXXXX) is removed by the next
  // writer of NAME on the host; a live writer's, another host's and other names are kept.
  const TempFolder dir("files_stale");
  const pid_t child = killed_writer(dir / "out.txt");
  ASSERT_GT(child, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  const auto left = dir.names();
  ASSERT_EQ(left.size(), 1U);
  EXPECT_EQ(left[0].rfind(".out.txt.hpar-" + std::to_string(child) + "@", 0), 0U) << left[0];
  AtomicFile live(dir / "out.txt");
  (void)live.staging_path();  // the dead writer's file went when `live` was made
  { std::ofstream(dir / ".out.txt.hpar-1@another-host-abcdef") << "x"; }
  { std::ofstream(dir / ".other.txt.hpar-99999999@x-abcdef") << "x"; }
  { std::ofstream(dir / ".out.txt.hpar-abcdef") << "x"; }  // an unknown owner
  EXPECT_EQ(remove_stale_staging(dir / "out.txt"), 0U) << "the live writer's file was taken";
  live.abandon();
  EXPECT_EQ(dir.names(), (std::vector<std::string>{".other.txt.hpar-99999999@x-abcdef",
                                                   ".out.txt.hpar-1@another-host-abcdef",
                                                   ".out.txt.hpar-abcdef"}));
}

TEST(AtomicFile, StaleStagingOfAnUnreapedWriterIsRemoved) {
  // A writer killed under a launcher that exited first stays a zombie where init does not reap:
  // it holds no file, so its staging file is stale although its process number is still taken.
  const TempFolder dir("files_zombie");
  const pid_t child = killed_writer(dir / "out.txt");
  ASSERT_GT(child, 0);
  siginfo_t info = {};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
  ASSERT_EQ(::kill(child, 0), 0) << "the child should be a zombie, not reaped yet";
  EXPECT_EQ(remove_stale_staging(dir / "out.txt"), 1U);
  EXPECT_TRUE(dir.names().empty());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
}

TEST(AtomicFile, RefusesLinksThatLeadNowhere) {
  const TempFolder dir("files_links");
  fs::create_symlink("nowhere.txt", dir / "dangling.txt");
  fs::create_symlink("b", dir / "a");
  fs::create_symlink("a", dir / "b");
  EXPECT_THROW(AtomicFile(dir / "dangling.txt"), UsageError);
  EXPECT_THROW(AtomicFile(dir / "a"), UsageError);
  EXPECT_THROW(refuse_broken_link(dir / "a"), UsageError);
  EXPECT_NO_THROW(refuse_broken_link(dir / "new.txt"));
  EXPECT_EQ(dir.names(), (std::vector<std::string>{"a", "b", "dangling.txt"}));
}

TEST(Files, RequireReadableFile) {
  const TempFolder dir("files_readable");
  { std::ofstream(dir / "ok.txt") << "x"; }
  EXPECT_NO_THROW(require_readable_file(dir / "ok.txt", "--config"));
  const auto message = [](const std::string& path) -> std::string {
    try {
      require_readable_file(path, "--config");
    } catch (const UsageError& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_NE(message(dir / "nope").find("No such file or directory"), std::string::npos);
  EXPECT_NE(message(dir / "").find("it is a directory"), std::string::npos);
  EXPECT_NE(message("/dev/null").find("not a regular file"), std::string::npos);
  EXPECT_NE(message("").find("an empty file name"), std::string::npos);
  EXPECT_EQ(message("a\x1b[2J").find('\x1b'), std::string::npos);
}

TEST(Files, OutputIdentityFollowsLinksAndLeavesStreamsAlone) {
  const TempFolder dir("files_identity");
  { std::ofstream(dir / "a.txt") << "x"; }
  fs::create_symlink("a.txt", dir / "link.txt");
  EXPECT_EQ(output_identity(dir / "a.txt"), output_identity(dir / "link.txt"));
  EXPECT_EQ(output_identity(dir / "new.txt"), output_identity(dir / "./sub/../new.txt"));
  EXPECT_NE(output_identity(dir / "new.txt"), output_identity(dir / "other.txt"));
  EXPECT_EQ(output_identity("-"), "");
  EXPECT_EQ(output_identity("/dev/null"), "");
}
