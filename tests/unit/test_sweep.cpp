// SPDX-License-Identifier: BSD-3-Clause
// The pieces of `hpar sweep` that need no launch: layouts, the cores check, launcher lines,
// placeholders, output scanning; and the platform pieces under it: starting a process in its
// own group (exit codes, time limit, stop, what it leaves behind) and the CPU accounting.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "hpar/core/errors.hpp"
#include "hpar/core/format.hpp"
#include "hpar/core/process.hpp"
#include "hpar/launch/sweep.hpp"
#include "hpar/platform/cpu_load.hpp"
#include "temp_files.hpp"

using namespace hpar;

namespace {

std::vector<std::string> names(const std::vector<SweepLayout>& layouts) {
  std::vector<std::string> out;
  for (const auto& l : layouts) out.push_back(layout_text(l));
  return out;
}

using Names = std::vector<std::string>;

}  // namespace

TEST(SweepLayouts, EveryFactorisationOfTheCoreCounts) {
  // Default: 1, 2, 4 and 6 cores, every ranks x threads of each.
  EXPECT_EQ(names(sweep_layouts({}, {}, {}, 6)),
            (Names{"1x1", "1x2", "2x1", "1x4", "2x2", "4x1", "1x6", "2x3", "3x2", "6x1"}));
  EXPECT_EQ(names(sweep_layouts({}, {}, {}, 1)), (Names{"1x1"}));
  EXPECT_EQ(names(sweep_layouts({}, {}, {3}, 8)), (Names{"1x3", "3x1"}));
}

TEST(SweepLayouts, ListsAreCrossedAndKeptToTheCoreCounts) {
  EXPECT_EQ(names(sweep_layouts({1, 2}, {1, 4}, {}, 2)), (Names{"1x1", "2x1", "1x4", "2x4"}));
  // A missing list is powers of two up to the default cores.
  EXPECT_EQ(names(sweep_layouts({3}, {}, {}, 4)), (Names{"3x1", "3x2", "3x4"}));
  EXPECT_EQ(names(sweep_layouts({}, {2}, {}, 4)), (Names{"1x2", "2x2", "4x2"}));
  EXPECT_EQ(names(sweep_layouts({}, {1, 2}, {4}, 8)), (Names{"2x2", "4x1"}));
}

TEST(SweepCapacity, SlurmCpusPerNode) {
  const auto one = slurm_capacity("2");
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->nodes, 1);
  EXPECT_EQ(one->per_node, 2);
  const auto mixed = slurm_capacity("16(x2),8");
  ASSERT_TRUE(mixed.has_value());
  EXPECT_EQ(mixed->nodes, 3);
  EXPECT_EQ(mixed->per_node, 8);  // the smallest node decides
  EXPECT_FALSE(slurm_capacity("").has_value());
  EXPECT_FALSE(slurm_capacity("x").has_value());
  EXPECT_FALSE(slurm_capacity("4(x)").has_value());
}

TEST(SweepCapacity, WhatFits) {
  const SweepCapacity two{1, 2, "this host"};
  EXPECT_EQ(fit_problem({1, 2}, two), "");
  EXPECT_EQ(fit_problem({2, 1}, two), "");
  EXPECT_EQ(fit_problem({2, 2}, two), "2x2 (4 cores): more than the 2 cores of this host");
  EXPECT_EQ(fit_problem({1, 4}, two), "1x4 (4 cores): 4 threads per rank, but a node has 2 cores");
  // Two nodes of 6: a rank's 4 threads on one node, one such rank per node.
  const SweepCapacity nodes{2, 6, "the allocation"};
  EXPECT_EQ(fit_problem({2, 4}, nodes), "");
  EXPECT_NE(fit_problem({3, 4}, nodes), "");  // 12 cores, but only 2 ranks of 4 fit
  EXPECT_EQ(fit_problem({4, 3}, nodes), "");
}

TEST(SweepLauncher, Choice) {
  EXPECT_EQ(parse_launcher("auto", true).kind, SweepLauncher::Kind::srun);
  EXPECT_EQ(parse_launcher("auto", false).kind, SweepLauncher::Kind::mpirun);
  EXPECT_EQ(parse_launcher("srun", false).kind, SweepLauncher::Kind::srun);
  EXPECT_EQ(parse_launcher("none", true).kind, SweepLauncher::Kind::none);
  const auto custom = parse_launcher("mpiexec -n {ranks}  -genv OMP_NUM_THREADS {threads}", false);
  EXPECT_EQ(custom.kind, SweepLauncher::Kind::custom);
  EXPECT_EQ(custom.words.size(), 6U);
  EXPECT_THROW((void)parse_launcher("mpiexec", false), UsageError);
  EXPECT_THROW((void)parse_launcher("", false), UsageError);
}

TEST(SweepLauncher, CommandLines) {
  const std::vector<std::string> program{"./solver", "in.dat"};
  SweepLauncher mpirun = parse_launcher("mpirun", false);
  EXPECT_EQ(command_line_text({}, launch_command(mpirun, {2, 4}, false, program)),
            "mpirun -np 2 --map-by slot:PE=4 --bind-to core -x OMP_NUM_THREADS -x OMP_PLACES -x "
            "OMP_PROC_BIND ./solver in.dat");
  mpirun.add_allow_run_as_root = true;
  mpirun.extra = {"--mca", "btl", "self,vader"};
  EXPECT_EQ(command_line_text({}, launch_command(mpirun, {4, 1}, true, program)),
            "mpirun -np 4 --oversubscribe --map-by slot --bind-to none -x OMP_NUM_THREADS -x "
            "OMP_PLACES -x OMP_PROC_BIND --allow-run-as-root --mca btl self,vader ./solver in.dat");
  const SweepLauncher srun = parse_launcher("srun", true);
  EXPECT_EQ(command_line_text({}, launch_command(srun, {3, 2}, false, program)),
            "srun --mpi=pmix --ntasks=3 --cpus-per-task=2 --cpu-bind=cores ./solver in.dat");
  EXPECT_EQ(launch_command(parse_launcher("none", false), {1, 8}, false, program), program);
  EXPECT_EQ(
      command_line_text({}, launch_command(parse_launcher("mpiexec -n {ranks} -ppn {cores}", false),
                                           {2, 3}, false, program)),
      "mpiexec -n 2 -ppn 6 ./solver in.dat");
}

TEST(SweepLauncher, EnvironmentAndItsShellLine) {
  const auto env = launch_environment({2, 4}, false, false);
  EXPECT_EQ(command_line_text(env, {"mpirun", "a b", "it's"}),
            "OMP_NUM_THREADS=4 OMP_PLACES=cores OMP_PROC_BIND=close mpirun 'a b' 'it'\\''s'");
  EXPECT_EQ(launch_environment({1, 2}, true, true).size(), 1U);  // the user's places and binding
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("--map-by=slot:PE=2"), "--map-by=slot:PE=2");
}

TEST(SweepPlaceholders, FilledInPerLayout) {
  const std::vector<std::string> args{"--size",  "{cores*1000}", "-t{threads}", "{ranks}x{threads}",
                                      "{other}", "{cores*2e3}"};
  EXPECT_EQ(substitute_layout(args, {2, 3}),
            (std::vector<std::string>{"--size", "6000", "-t3", "2x3", "{other}", "12000"}));
  EXPECT_TRUE(has_placeholders(args));
  EXPECT_FALSE(has_placeholders({"{other}", "cores"}));
  EXPECT_THROW((void)substitute_layout({"{cores*1.5}"}, {1, 1}), UsageError);
  EXPECT_THROW((void)substitute_layout({"{cores*18446744073709551615}"}, {2, 1}), UsageError);
}

TEST(SweepPlaceholders, RunNumberAndMisspellings) {
  EXPECT_EQ(substitute_layout({"log-{ranks}x{threads}-{run}.txt"}, {2, 3}, 4),
            (std::vector<std::string>{"log-2x3-4.txt"}));
  EXPECT_FALSE(has_placeholders({"{run}"}));  // a weak sweep needs work that grows
  EXPECT_NO_THROW(check_placeholders({"{cores*10}", "{run}", "{}", "{\"a\": 1}", "${HOME}x"}, "x"));
  EXPECT_THROW(check_placeholders({"--threads={thread}"}, "x"), UsageError);
  EXPECT_THROW(check_placeholders({"{Cores*2}"}, "x"), UsageError);
  try {
    check_placeholders({"{rank}"}, "the program's arguments");
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown placeholder '{rank}' in the program's arguments"),
              std::string::npos);
  }
}

TEST(SweepPatterns, NamedMetricsAreRecorded) {
  EXPECT_EQ(split_metric("energy=E: (\\S+)"),
            std::make_pair(std::string("energy"), std::string("E: (\\S+)")));
  EXPECT_EQ(split_metric("time: ([0-9.]+)"),
            std::make_pair(std::string(), std::string("time: ([0-9.]+)")));
  EXPECT_EQ(split_metric("(x)=([0-9]+)").first, "");  // not a name before the '='
  OutputRules rules;
  rules.metric = sweep_pattern("rate: ([0-9.]+)", "--metric", true);
  rules.figures.push_back({"energy", sweep_pattern("energy: (\\S+)", "--metric", true)});
  rules.figures.push_back({"absent", sweep_pattern("nothing: (\\S+)", "--metric", true)});
  rules.metric_pick = "last";
  const auto found = scan_output({"energy: 1.5", "rate: 10", "energy: 2.5", "rate: 20"}, rules);
  EXPECT_EQ(found.metric_seconds, 20.0);
  ASSERT_EQ(found.figures.size(), 1U);  // one that matched nothing is not there
  EXPECT_EQ(found.figures[0], std::make_pair(std::string("energy"), 2.5));
}

TEST(SweepPatterns, CheckedWhenGiven) {
  EXPECT_THROW((void)sweep_pattern("time: ([0-9", "--metric", true), UsageError);
  EXPECT_THROW((void)sweep_pattern("time: [0-9]+", "--metric", true), UsageError);  // no group
  EXPECT_NO_THROW((void)sweep_pattern("PASSED", "--check", false));
  try {
    (void)sweep_pattern("(", "--check", false);
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("bad --check '(': not a regular expression", 0), 0U)
        << e.what();
  }
}

TEST(SweepOutput, MetricCheckAndValues) {
  OutputRules rules;
  rules.metric = sweep_pattern("solve time: ([0-9.eE+-]+)", "--metric", true);
  rules.check = sweep_pattern("^verification successful$", "--check", false);
  rules.same = sweep_pattern("checksum: (\\S+)", "--same-output", false);
  const std::vector<std::string> lines{"rank 1 solve time: 2.5", "checksum: 0xab checksum: 0xcd",
                                       "solve time: 1.5e0", "verification successful",
                                       "solve time: 3"};
  auto found = scan_output(lines, rules);
  EXPECT_DOUBLE_EQ(*found.metric_seconds, 2.5);  // first
  EXPECT_TRUE(found.check_found);
  EXPECT_EQ(found.check_line, "verification successful");
  EXPECT_EQ(found.values, (std::vector<std::string>{"0xab", "0xcd"}));
  for (const auto& [pick, value] :
       std::vector<std::pair<std::string, double>>{{"last", 3}, {"max", 3}, {"min", 1.5}}) {
    rules.metric_pick = pick;
    EXPECT_DOUBLE_EQ(*scan_output(lines, rules).metric_seconds, value) << pick;
  }
  rules.metric_scale = metric_unit_seconds("ms");
  EXPECT_DOUBLE_EQ(*scan_output(lines, rules).metric_seconds, 1.5e-3);
  EXPECT_THROW((void)metric_unit_seconds("min"), UsageError);
  found = scan_output({"solve time: e", "no verification"}, rules);
  EXPECT_FALSE(found.metric_seconds.has_value());
  EXPECT_NE(found.metric_problem.find("'e', which is not a number"), std::string::npos);
  EXPECT_FALSE(found.check_found);
}

namespace {

/// A fresh directory for the process tests, removed at the end.
struct Scratch {
  hpar_test::TempFolder folder{"sweep_test"};
  const std::filesystem::path& dir = folder.path();
  [[nodiscard]] ProcessSpec spec(std::vector<std::string> argv) const {
    ProcessSpec s;
    s.argv = std::move(argv);
    s.stdout_path = (dir / "out").string();
    s.stderr_path = (dir / "err").string();
    return s;
  }
  [[nodiscard]] std::string read(const char* name) const { return hpar_test::read_all(dir / name); }
};

}  // namespace

TEST(Process, ExitCodesOutputAndEnvironment) {
  Scratch s;
  auto spec = s.spec({"sh", "-c", "echo out $HPAR_T; echo err >&2; exit 7"});
  spec.environment = {{"HPAR_T", "set here"}};
  const auto o = run_process(spec, {});
  EXPECT_EQ(o.end, ProcessOutcome::End::exited);
  EXPECT_EQ(o.exit_code, 7);
  EXPECT_FALSE(o.ok());
  EXPECT_EQ(o.describe(0), "exit code 7");
  EXPECT_EQ(s.read("out"), "out set here\n");
  EXPECT_EQ(s.read("err"), "err\n");
  EXPECT_TRUE(run_process(s.spec({"true"}), {}).ok());
  EXPECT_THROW((void)run_process(s.spec({"/nonexistent/program"}), {}), RuntimeError);
  const auto killed = run_process(s.spec({"sh", "-c", "kill -KILL $$"}), {});
  EXPECT_EQ(killed.end, ProcessOutcome::End::signalled);
  EXPECT_EQ(killed.signal, SIGKILL);
}

TEST(Process, TimeLimitStopsTheWholeGroup) {
  Scratch s;
  // A shell that starts a background sleeper and waits: both must go.
  const std::string marker = (s.dir / "left").string();
  auto spec = s.spec(
      {"sh", "-c",
       "(sleep 30; touch " + marker + ") & echo $! >" + (s.dir / "child").string() + "; sleep 30"});
  spec.timeout_seconds = 0.5;
  spec.kill_grace_seconds = 1.0;
  const auto start = std::chrono::steady_clock::now();
  const auto o = run_process(spec, {});
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(o.end, ProcessOutcome::End::timed_out);
  EXPECT_EQ(o.describe(0.5), "timed out after 0.5 s");
  EXPECT_LT(took, 5.0);
  const pid_t child = std::stoi(s.read("child"));
  usleep(100000);
  // Gone, or a zombie that its new parent has not reaped yet (in a container, pid 1 may never).
  std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
  std::string pid, comm, state;
  if (stat >> pid >> comm >> state) {
    EXPECT_EQ(state, "Z") << "the background child survived";
  }
}

TEST(Process, AHugeTimeLimitIsNoLimit) {
  // 1e300 s in milliseconds does not fit an int: the wait is clamped before the conversion
  // (UndefinedBehaviorSanitizer reports the overflow otherwise), and the command just ends.
  Scratch s;
  auto spec = s.spec({"sh", "-c", "sleep 0.2"});
  spec.timeout_seconds = 1e300;
  const auto o = run_process(spec, {});
  EXPECT_EQ(o.end, ProcessOutcome::End::exited);
  EXPECT_EQ(o.exit_code, 0);
}

TEST(Process, StartFailuresEndAsInAShell) {
  Scratch s;
  EXPECT_THROW((void)run_process(s.spec({(s.dir / "missing").string()}), {}), RuntimeError);
  for (const bool die_with_parent : {false, true}) {  // posix_spawn, and the clone of its own
    auto missing = s.spec({(s.dir / "missing").string()});
    missing.failed_start_exits = true;
    missing.die_with_parent = die_with_parent;
    const auto o = run_process(missing, {});
    EXPECT_EQ(o.end, ProcessOutcome::End::exited);
    EXPECT_EQ(o.exit_code, 127);
    EXPECT_NE(s.read("err").find("cannot start"), std::string::npos) << s.read("err");
    const auto plain = s.dir / "plain";
    std::filesystem::remove(plain);
    std::ofstream(plain) << "echo plain \"$1\" $HPAR_T\n";
    auto script = s.spec({plain.string(), "x"});
    script.failed_start_exits = true;
    script.die_with_parent = die_with_parent;
    script.environment = {{"HPAR_T", "env"}};
    EXPECT_EQ(run_process(script, {}).exit_code, 126);  // not executable
    std::filesystem::permissions(plain, std::filesystem::perms::owner_all);
    // No #!: run with /bin/sh, as execvp does.
    EXPECT_TRUE(run_process(script, {}).ok());
    EXPECT_EQ(s.read("out"), "plain x env\n");
    auto term = s.spec({"sh", "-c", "kill -TERM $$"});  // TERM at its default in the command
    term.die_with_parent = die_with_parent;
    EXPECT_EQ(run_process(term, {}).signal, SIGTERM);
  }
}

TEST(Process, TermGraceReachesTheWholeGroup) {
  Scratch s;
  // The wrapper dies of the TERM at once; the program it runs saves within the grace.
  const std::string saved = (s.dir / "saved").string();
  auto spec = s.spec({"sh", "-c",
                      "sh -c 'trap \"sleep 0.3; echo saved >" + saved +
                          "; exit 0\" TERM; sleep 30 & wait'; echo after"});
  spec.timeout_seconds = 0.3;
  spec.kill_grace_seconds = 3.0;
  const auto o = run_process(spec, {});
  EXPECT_EQ(o.end, ProcessOutcome::End::timed_out);
  std::ifstream in(saved);
  std::string word;
  in >> word;
  EXPECT_EQ(word, "saved") << "the wrapped program was killed before its grace";
}

TEST(Process, LauncherVariables) {
  for (const char* name :
       {"OMPI_COMM_WORLD_RANK", "OMPI_MCA_orte_hnp_uri", "OMPI_MCA_ess_base_jobid", "OMPI_MCA_pmix",
        "PMIX_RANK", "PMI_FD", "HYDRA_CONTROL_FD", "MPI_LOCALNRANKS", "SLURM_STEP_ID",
        "SLURM_PROCID", "SLURM_CPU_BIND", "OMPI_MCA_initial_wdir"}) {
    EXPECT_TRUE(launcher_variable(name)) << name;
  }
  for (const char* name : {"OMPI_MCA_pml", "OMPI_MCA_btl", "OMPI_ALLOW_RUN_AS_ROOT", "PATH",
                           "SLURM_JOB_ID", "SLURM_NTASKS", "OMP_NUM_THREADS", "PMIXX"}) {
    EXPECT_FALSE(launcher_variable(name)) << name;
  }
}

TEST(Process, TasksGetTheUsersEnvironment) {
  Scratch s;
  setenv("PMIX_RANK", "3", 1);
  setenv("OMPI_MCA_hpar_unit_kept", "yes", 1);
  auto spec = s.spec({"sh", "-c", "echo ${PMIX_RANK:-none} ${OMPI_MCA_hpar_unit_kept:-none}"});
  EXPECT_TRUE(run_process(spec, {}).ok());
  EXPECT_EQ(s.read("out"), "3 yes\n");
  spec.launcher_environment = false;
  EXPECT_TRUE(run_process(spec, {}).ok());
  EXPECT_EQ(s.read("out"), "none yes\n");
  unsetenv("PMIX_RANK");
  unsetenv("OMPI_MCA_hpar_unit_kept");
}

TEST(Process, TermIgnoredThenKilled) {
  Scratch s;
  auto spec = s.spec({"sh", "-c", "trap '' TERM; sleep 30"});
  spec.timeout_seconds = 0.2;
  spec.kill_grace_seconds = 0.3;
  const auto o = run_process(spec, {});
  EXPECT_EQ(o.end, ProcessOutcome::End::timed_out);
  EXPECT_LT(o.seconds, 5.0);
}

TEST(Process, StopOnRequest) {
  Scratch s;
  const auto start = std::chrono::steady_clock::now();
  const auto o = run_process(s.spec({"sleep", "30"}), [&] {
    return std::chrono::steady_clock::now() - start > std::chrono::milliseconds(200);
  });
  EXPECT_EQ(o.end, ProcessOutcome::End::stopped);
  EXPECT_EQ(o.signal, SIGTERM);
  EXPECT_LT(o.seconds, 5.0);
}

TEST(Process, WallAndCpuTime) {
  Scratch s;
  // A busy loop of about 0.3 s of CPU: its CPU time is counted, the wall time covers it.
  const auto o = run_process(
      s.spec({"sh", "-c",
              "end=$(($(date +%s%N) + 300000000)); while [ $(date +%s%N) -lt $end ]; do :; done"}),
      {});
  EXPECT_TRUE(o.ok());
  EXPECT_GE(o.seconds, 0.3);
  EXPECT_GT(o.cpu_seconds, 0.05);
}

TEST(Process, FindProgramAndLastLines) {
  EXPECT_NE(find_program("sh"), "");
  EXPECT_EQ(find_program("hpar-no-such-program"), "");
  EXPECT_EQ(find_program("/nonexistent/x"), "");
  Scratch s;
  {
    std::ofstream out(s.dir / "text");
    for (int i = 1; i <= 10; ++i) out << "line " << i << "\n";
  }
  EXPECT_EQ(last_lines((s.dir / "text").string(), 2),
            (std::vector<std::string>{"line 9", "line 10"}));
  EXPECT_TRUE(last_lines((s.dir / "missing").string(), 3).empty());
}

TEST(CpuLoad, ProcStatAndLoadAverage) {
  const std::string stat =
      "cpu  100 0 50 1000 10 0 5 7 0 0\n"
      "cpu0 60 0 30 500 5 0 3 4 0 0\n"
      "cpu1 40 0 20 500 5 0 2 3 0 0\n"
      "intr 1 2 3\n";
  const auto all = parse_cpu_times(stat, {}, 100.0);
  EXPECT_EQ(all.cpus, 2);
  EXPECT_DOUBLE_EQ(all.busy, 1.55);  // (60+30+3 + 40+20+2) / 100
  EXPECT_DOUBLE_EQ(all.idle, 10.1);  // (500+5 + 500+5) / 100
  EXPECT_DOUBLE_EQ(all.steal, 0.07);
  const auto one = parse_cpu_times(stat, {1}, 100.0);
  EXPECT_EQ(one.cpus, 1);
  EXPECT_DOUBLE_EQ(one.busy, 0.62);
  EXPECT_EQ(parse_cpu_times(stat, {5}, 100.0).cpus, 0);
  EXPECT_DOUBLE_EQ(*parse_load_average("0.52 0.58 0.59 1/467 12345\n"), 0.52);
  EXPECT_FALSE(parse_load_average("").has_value());
  EXPECT_FALSE(parse_load_average("x 1 2").has_value());
  // This machine's own files read back.
  const auto here = read_cpu_times({});
  ASSERT_TRUE(here.has_value());
  EXPECT_GT(here->busy + here->idle, 0.0);
  EXPECT_TRUE(read_load_average().has_value());
  EXPECT_GE(process_cpu_seconds(), 0.0);
}

TEST(CapturedOutput, PastItsBoundItSpillsAndKeepsEveryByte) {
  CapturedOutput c(10);
  EXPECT_EQ(c.last_byte(), -1);
  c.append("hello ");
  EXPECT_FALSE(c.spilled());
  c.append("world, past ten bytes\n");
  EXPECT_TRUE(c.spilled());
  EXPECT_EQ(c.size(), 28U);
  EXPECT_EQ(c.last_byte(), '\n');
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("hpar-capture-" + std::to_string(getpid()));
  {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    c.write_to(fd);
    ::close(fd);
  }
  EXPECT_EQ(hpar_test::read_all(path), "hello world, past ten bytes\n");
  std::filesystem::remove(path);
  EXPECT_EQ(c.take(), "hello world, past ten bytes\n");
  EXPECT_EQ(c.size(), 0U);
  c.append("again");  // reused after take(): its file was emptied
  EXPECT_EQ(c.take(), "again");
}

TEST(Process, CapturedOutputPassesAnySizeThroughPipes) {
  Scratch s;
  // 3 MiB on stdout (past a 1 MiB bound and any pipe's buffer) and a line on stderr.
  auto spec = s.spec({"sh", "-c", "head -c 3145728 /dev/zero | tr '\\0' x; echo oops >&2"});
  CapturedOutput out(std::uint64_t{1} << 20);
  CapturedOutput err;
  spec.stdout_capture = &out;
  spec.stderr_capture = &err;
  const auto o = run_process(spec, {});
  EXPECT_TRUE(o.ok());
  EXPECT_TRUE(out.spilled());
  EXPECT_EQ(out.take(), std::string(3145728, 'x'));
  EXPECT_EQ(err.take(), "oops\n");
  EXPECT_FALSE(std::filesystem::exists(s.dir / "out")) << "a captured stream made its file";
  // A start that fails puts its reason into the captured stderr.
  auto missing = s.spec({(s.dir / "missing").string()});
  missing.failed_start_exits = true;
  missing.die_with_parent = true;
  missing.stdout_capture = &out;
  missing.stderr_capture = &err;
  EXPECT_EQ(run_process(missing, {}).exit_code, 127);
  EXPECT_NE(err.take().find("cannot start"), std::string::npos);
}

TEST(Process, ALeftBehindProcessCannotWriteIntoTheNextOutput) {
  Scratch s;
  // The first command leaves a process of another session behind that writes a moment later;
  // the second command's captured output must not get its bytes.
  auto first = s.spec({"sh", "-c", "setsid sh -c 'sleep 0.3; echo LEAK' & echo first"});
  CapturedOutput out;
  first.stdout_capture = &out;
  ASSERT_TRUE(run_process(first, {}).ok());
  EXPECT_EQ(out.take(), "first\n");
  auto second = s.spec({"sh", "-c", "sleep 0.6; echo second"});
  second.stdout_capture = &out;
  ASSERT_TRUE(run_process(second, {}).ok());
  EXPECT_EQ(out.take(), "second\n");
}
