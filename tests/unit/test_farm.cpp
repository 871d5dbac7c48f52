// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include "farm.hpp"
#include "hpar/core/errors.hpp"

using namespace hpar::jobs::farm;
using Words = std::vector<std::string>;

TEST(Farm, PlaceholdersAsGnuParallelSpellsThem) {
  const TaskFields f{"dir/sub/a.tar.gz", 7, 3};
  EXPECT_EQ(expand("{}", f, false), "dir/sub/a.tar.gz");
  EXPECT_EQ(expand("{#}-{%}", f, false), "7-3");
  EXPECT_EQ(expand("{.}", f, false), "dir/sub/a.tar");
  EXPECT_EQ(expand("{/}", f, false), "a.tar.gz");
  EXPECT_EQ(expand("{//}", f, false), "dir/sub");
  EXPECT_EQ(expand("{/.}", f, false), "a.tar");
  EXPECT_EQ(expand("x{}y", f, false), "xdir/sub/a.tar.gzy");
  // Path parts of inputs without a folder, a dot in a folder, a hidden file, the root.
  EXPECT_EQ(expand("{//}|{.}", {"b", 1, 1}, false), ".|b");
  EXPECT_EQ(expand("{.}", {"d.x/b", 1, 1}, false), "d.x/b");
  EXPECT_EQ(expand("{.}", {".hidden", 1, 1}, false), ".hidden");
  EXPECT_EQ(expand("{//}|{/}", {"/c", 1, 1}, false), "/|c");
}

TEST(Farm, OtherBracesAreTheCommandsOwn) {
  EXPECT_FALSE(has_placeholder("{print $1}"));
  EXPECT_FALSE(has_placeholder("{"));
  EXPECT_FALSE(has_placeholder("}{"));
  EXPECT_TRUE(has_placeholder("a{}b"));
  EXPECT_EQ(expand("{print $1}", {"x", 1, 1}, false), "{print $1}");
  EXPECT_THROW((void)has_placeholder("{..}"), hpar::UsageError);
  EXPECT_THROW((void)has_placeholder("{#%}"), hpar::UsageError);
}

TEST(Farm, PositionalPlaceholdersOfOneInputSource) {
  EXPECT_TRUE(has_placeholder("{1}"));
  EXPECT_EQ(expand("<{1}>", {"a b", 1, 1}, false), "<a b>");
  EXPECT_EQ(expand("{1}", {"a b", 1, 1}, true), "'a b'");
  EXPECT_EQ(task_argv({"echo", "{1}"}, {"x"}, {"x", 1, 1}, false), (Words{"echo", "x"}));
  EXPECT_EQ(expand("${1}{1}", {"a", 1, 1}, false), "${1}a");  // ${1} is the shell's
  EXPECT_THROW((void)has_placeholder("{2}"), hpar::UsageError);
  EXPECT_THROW((void)has_placeholder("{= s/a/b/ =}"), hpar::UsageError);
  EXPECT_FALSE(has_placeholder("{=}"));
}

TEST(Farm, InputAppendedWithoutPlaceholders) {
  EXPECT_EQ(task_argv({"echo", "-n"}, {"a b"}, {"a b", 1, 1}, false), (Words{"echo", "-n", "a b"}));
  EXPECT_EQ(task_argv({"echo", "<{}>"}, {"a b"}, {"a b", 1, 1}, false), (Words{"echo", "<a b>"}));
  EXPECT_EQ(task_argv({"cp", "{}", "{.}.bak"}, {"f.txt"}, {"f.txt", 1, 1}, false),
            (Words{"cp", "f.txt", "f.bak"}));
}

TEST(Farm, ShellLinesQuoteTheInputsOnly) {
  EXPECT_EQ(task_argv({"echo", "{}", "| wc -c"}, {"it's"}, {"it's", 1, 1}, true),
            (Words{"/bin/sh", "-c", "echo 'it'\\''s' | wc -c"}));
  EXPECT_EQ(task_argv({"echo"}, {"a;b"}, {"a;b", 1, 1}, true),
            (Words{"/bin/sh", "-c", "echo 'a;b'"}));
}

TEST(Farm, ArgumentLinesSplitAsAShellWould) {
  EXPECT_EQ(split_arguments("  a  b\tc "), (Words{"a", "b", "c"}));
  EXPECT_EQ(split_arguments("'a b' \"c d\" e\\ f"), (Words{"a b", "c d", "e f"}));
  EXPECT_EQ(split_arguments(R"("a \"q\" \\ \$x \n")"), (Words{R"(a "q" \ $x \n)"}));
  EXPECT_EQ(split_arguments("x'y'\"z\""), (Words{"xyz"}));
  EXPECT_EQ(split_arguments("''"), (Words{""}));
  EXPECT_TRUE(split_arguments("   ").empty());
  EXPECT_THROW((void)split_arguments("'open"), hpar::UsageError);
  EXPECT_THROW((void)split_arguments("\"open"), hpar::UsageError);
}

TEST(Farm, InputSourcesCombineAsGnuParallel) {
  using hpar::jobs::farm::combine_sources;
  using hpar::jobs::farm::take_sources;
  std::vector<std::string> command{"echo", "{2}", ":::", "a", "b", ":::", "1", "2", "3"};
  const auto sources = take_sources(command);
  EXPECT_EQ(command, (std::vector<std::string>{"echo", "{2}"}));
  ASSERT_EQ(sources.size(), 2U);
  const auto cross = combine_sources(sources, false);
  ASSERT_EQ(cross.size(), 6U);  // the first source varies slowest
  EXPECT_EQ(cross[1], (std::vector<std::string>{"a", "2"}));
  EXPECT_EQ(cross[3], (std::vector<std::string>{"b", "1"}));
  const auto linked = combine_sources(sources, true);
  ASSERT_EQ(linked.size(), 3U);  // the shorter source wraps
  EXPECT_EQ(linked[2], (std::vector<std::string>{"a", "3"}));
  std::vector<std::string> empty{"echo", ":::"};
  EXPECT_THROW((void)take_sources(empty), hpar::UsageError);
  EXPECT_TRUE(hpar::jobs::farm::has_placeholder("{2}", 2));
  EXPECT_THROW((void)hpar::jobs::farm::has_placeholder("{3}", 2), hpar::UsageError);
  EXPECT_THROW((void)hpar::jobs::farm::has_placeholder("{0}", 2), hpar::UsageError);
}

// GNU parallel 20221122's shell_quote_scalar_default, the quoting of its --dry-run lines.
TEST(Farm, DryRunQuotesAsGnuParallel) {
  EXPECT_EQ(parallel_quote("a-b_c.d+e/f9"), "a-b_c.d+e/f9");
  EXPECT_EQ(parallel_quote(""), "''");
  EXPECT_EQ(parallel_quote("b c"), "'b c'");
  EXPECT_EQ(parallel_quote("x:y"), "'x:y'");
  EXPECT_EQ(parallel_quote("d'e"), "'d'\"'\"'e'");
  EXPECT_EQ(parallel_quote("'e"), "\"'\"'e'");  // no '' at the ends
  EXPECT_EQ(parallel_quote("e'"), "'e'\"'\"");
  const std::vector<std::string> columns{"a b"};
  const TaskFields f{"a b", 2, 1, &columns};
  EXPECT_EQ(dry_run_word("{1}-{#}", f, false), "'a b'-2");
  EXPECT_EQ(dry_run_word("<{1}>", f, true), "<'a b'>");       // a shell line's own text as it is
  EXPECT_EQ(dry_run_word("<{1}>", f, false), "'<''a b''>'");  // quoted as hpar passes it
  EXPECT_EQ(dry_run_word("{2}:{1}", f, false), ":'a b'");     // a missing column is nothing
  EXPECT_EQ(dry_run_word("", f, false), "''");
}

TEST(Farm, TaskRanksLaunchEachRankOnItsOwnCpus) {
  // 2 ranks x 2 CPUs: rank 0 on 4,5, rank 1 on 6,7 (physical ids, as the kernel names them).
  const std::vector<int> cpus = {4, 5, 6, 7};
  EXPECT_EQ(rankfile_text(2, 2, cpus), "rank 0=localhost slot=4,5\nrank 1=localhost slot=6,7\n");
  EXPECT_EQ(rankfile_text(1, 1, {3}), "rank 0=localhost slot=3\n");
  TaskLauncher open_mpi{"/usr/bin/mpirun", TaskLauncher::Kind::open_mpi, false, false};
  EXPECT_EQ(task_launcher_words(open_mpi, 2, 2, cpus, "/tmp/rf"),
            (Words{"/usr/bin/mpirun", "-np", "2", "--rankfile", "/tmp/rf", "--mca",
                   "rmaps_rank_file_physical", "1"}));
  open_mpi.allow_root = true;  // as root without OMPI_ALLOW_RUN_AS_ROOT: the flag, then only
  EXPECT_EQ(task_launcher_words(open_mpi, 1, 1, {0}, "rf").back(), "--allow-run-as-root");
  const TaskLauncher hydra{"mpiexec.hydra", TaskLauncher::Kind::mpich, false, false};
  EXPECT_EQ(task_launcher_words(hydra, 2, 2, cpus, ""),
            (Words{"mpiexec.hydra", "-n", "2", "-bind-to", "user:4+5,6+7"}));
  EXPECT_EQ(task_launcher_words(hydra, 3, 1, {2, 0, 1}, ""),
            (Words{"mpiexec.hydra", "-n", "3", "-bind-to", "user:2,0,1"}));
  // Inside Slurm: kept off Slurm's allocation and srun (the ranks on this node).
  TaskLauncher in_slurm = hydra;
  in_slurm.in_slurm = true;
  EXPECT_EQ(task_launcher_words(in_slurm, 1, 1, {3}, ""),
            (Words{"mpiexec.hydra", "-launcher", "fork", "-hosts", "localhost", "-n", "1",
                   "-bind-to", "user:3"}));
  open_mpi = {"mpirun", TaskLauncher::Kind::open_mpi, false, true};
  EXPECT_EQ(task_launcher_words(open_mpi, 1, 1, {3}, "rf"),
            (Words{"mpirun", "-np", "1", "--rankfile", "rf", "--mca", "rmaps_rank_file_physical",
                   "1", "--mca", "ras", "^slurm", "--mca", "plm", "^slurm"}));
}
