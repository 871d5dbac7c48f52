// SPDX-License-Identifier: BSD-3-Clause
// The Slurm script writer (hpar/launch/slurm_script.hpp) for each kind of script, its checks,
// and the binding rules it shows (hpar/launch/binding.hpp). The scripts' bodies are compared
// with the files of slurm/ they come from; tests/cli/slurm_cases.sh compares the binding with
// slurm/lib/launch.bash and runs the printed scripts.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "hpar/core/errors.hpp"
#include "hpar/launch/binding.hpp"
#include "hpar/launch/slurm_script.hpp"

using namespace hpar;

namespace {

/// slurm/NAME.sbatch from its "---- from here on the same" line to the end.
std::string body_of(const std::string& name) {
  std::ifstream in(std::string(HPAR_SOURCE_DIR) + "/slurm/" + name + ".sbatch");
  std::stringstream text;
  text << in.rdbuf();
  const auto at = text.str().find("# ---- from here on the same");
  return at == std::string::npos ? std::string() : text.str().substr(at);
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// What the writer adds before a script's body (the body names every option and variable).
std::string head(const std::string& text) {
  return text.substr(0, text.find("# ---- from here on the same"));
}

/// A job's script: 2 nodes x 4 ranks x 2 threads, an hour, partition batch.
SlurmScript job_script() {
  SlurmScript s;
  s.nodes = 2;
  s.ranks_per_node = 4;
  s.threads = 2;
  s.time = "1:00:00";
  s.time_seconds = 3600;
  s.partition = "batch";
  s.job_name = "hpar-pi";
  s.arguments = {"pi", "--samples", "1e6", "--output", "my out.txt"};
  s.hpar_binary = "/opt/my hpar/hpar";
  s.command_line = {"pi", "--nodes", "2"};
  return s;
}

}  // namespace

TEST(Binding, RanksGetCoresOfTheirOwnThreadsOneCoreEach) {
  const Binding per_node = binding_for({.ranks = 8, .ranks_per_node = 4, .threads = 2});
  EXPECT_EQ(per_node.omp_places, "cores");
  EXPECT_EQ(per_node.omp_proc_bind, "close");
  EXPECT_EQ(per_node.srun_cpu_bind, "cores");
  EXPECT_FALSE(per_node.srun_overcommit);
  EXPECT_EQ(per_node.mpirun_map_by, "ppr:4:node:PE=2");
  EXPECT_EQ(per_node.mpirun_bind_to, "core");
  EXPECT_FALSE(per_node.mpirun_oversubscribe);
  EXPECT_EQ(binding_for({.ranks = 3, .threads = 5}).mpirun_map_by, "slot:PE=5");
  const Binding over = binding_for({.ranks = 4, .threads = 2, .oversubscribed = true});
  EXPECT_EQ(over.srun_cpu_bind, "none");
  EXPECT_TRUE(over.srun_overcommit);
  EXPECT_EQ(over.mpirun_map_by, "slot");
  EXPECT_EQ(over.mpirun_bind_to, "none");
  EXPECT_TRUE(over.mpirun_oversubscribe);
}

TEST(Binding, EnvironmentAndBatchLaunchWords) {
  using Env = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(binding_environment({.threads = 3}),
            (Env{{"OMP_NUM_THREADS", "3"}, {"OMP_PLACES", "cores"}, {"OMP_PROC_BIND", "close"}}));
  EXPECT_EQ(binding_environment({.threads = 3}, true, true), (Env{{"OMP_NUM_THREADS", "3"}}));
  const Placement p{.ranks = 6, .ranks_per_node = 2, .threads = 4};
  EXPECT_EQ(batch_launch_words(BatchLauncher::srun, p, "pmi2"),
            (std::vector<std::string>{"srun", "--mpi=pmi2", "--cpu-bind=cores", "--cpus-per-task=4",
                                      "--ntasks=6", "--ntasks-per-node=2", "--disable-status"}));
  EXPECT_EQ(batch_launch_words(BatchLauncher::mpirun, p),
            (std::vector<std::string>{"mpirun", "-np", "6", "--map-by", "ppr:2:node:PE=4",
                                      "--bind-to", "core", "-x", "OMP_NUM_THREADS", "-x",
                                      "OMP_PLACES", "-x", "OMP_PROC_BIND"}));
}

TEST(SlurmScript, JobScript) {
  const std::string text = slurm_script_text(job_script());
  EXPECT_EQ(text.substr(0, text.find("#\n# Made by")),
            "#!/bin/bash\n#SBATCH --job-name=hpar-pi\n#SBATCH --nodes=2\n"
            "#SBATCH --ntasks-per-node=4\n#SBATCH --cpus-per-task=2\n#SBATCH --partition=batch\n"
            "#SBATCH --time=1:00:00\n#SBATCH --signal=B:TERM@60\n#SBATCH --output=hpar-%j.out\n");
  EXPECT_TRUE(has(text, "\n# Made by: hpar slurm pi --nodes 2\n"));
  EXPECT_TRUE(has(text, "# Layout: 2 node(s) x 4 rank(s) per node x 2 OpenMP thread(s) per rank"));
  EXPECT_TRUE(has(text,
                  "# Binding: OMP_NUM_THREADS=2 OMP_PLACES=cores OMP_PROC_BIND=close, ranks "
                  "started by\n#   srun --mpi=pmix --cpu-bind=cores --cpus-per-task=2 --ntasks=8 "
                  "--ntasks-per-node=4 --disable-status\n"));
  EXPECT_TRUE(has(text, "60 to 90 s before the time limit"));
  EXPECT_TRUE(has(text,
                  "\nhpar=${HPAR:-'/opt/my hpar/hpar'}\nlauncher=${HPAR_LAUNCHER:-srun}\n"
                  "report_dir=${HPAR_REPORT_DIR:-.}\n"
                  "set -- pi --samples 1e6 --output 'my out.txt'\n\n"));
  EXPECT_FALSE(has(head(text), "HPAR_CHECKPOINT="));
  const std::string body = body_of("hybrid");
  ASSERT_FALSE(body.empty());
  EXPECT_TRUE(text.ends_with("\n\n" + body));
}

TEST(SlurmScript, ShortLimitNoEarlyStopAndMpirun) {
  SlurmScript s = job_script();
  s.time = "9:59";
  s.time_seconds = 599;
  s.partition.clear();
  s.launcher = BatchLauncher::mpirun;
  const std::string text = slurm_script_text(s);
  EXPECT_FALSE(has(head(text), "#SBATCH --signal"));
  EXPECT_FALSE(has(head(text), "#SBATCH --partition"));
  EXPECT_TRUE(has(text, "On SIGTERM (at the time limit,"));
  EXPECT_TRUE(has(text, "\nlauncher=${HPAR_LAUNCHER:-mpirun}\n"));
  EXPECT_TRUE(has(text, "#   mpirun -np 8 --map-by ppr:4:node:PE=2 --bind-to core -x"));
}

TEST(SlurmScript, SweepScript) {
  SlurmScript s;
  s.kind = SlurmScript::Kind::sweep;
  s.nodes = 1;
  s.job_name = "hpar-sweep";
  s.arguments = {"--ranks", "1,2,4", "--", "./solver", "a b"};
  s.command_line = {"sweep", "--nodes", "1"};
  s.sweep_layouts = {"1x1", "2x1"};
  s.sweep_left_out = {"4x1: 4 cores, more than 2"};
  s.sweep_cores = 2;
  const std::string text = slurm_script_text(s);
  EXPECT_TRUE(has(text,
                  "#SBATCH --nodes=1\n#SBATCH --exclusive\n#SBATCH --signal=B:TERM@60\n"
                  "#SBATCH --output=hpar-sweep-%j.out\n#\n# Made by: hpar slurm sweep "
                  "--nodes 1\n# Sweep: 2 layout(s) on 1 node(s) of 2 cores: 1x1 2x1\n"
                  "#   left out 4x1: 4 cores, more than 2\n"));
  EXPECT_FALSE(has(head(text), "--ntasks-per-node"));
  EXPECT_FALSE(has(head(text), "# Binding"));
  EXPECT_TRUE(has(text, "\nsweep_launcher=${HPAR_LAUNCHER:-srun}\n"));
  EXPECT_TRUE(has(text, "\nset -- --ranks 1,2,4 -- ./solver 'a b'\n"));
  const std::string body = body_of("sweep");
  ASSERT_FALSE(body.empty());
  EXPECT_TRUE(text.ends_with("\n\n" + body));
}

TEST(SlurmScript, FarmScriptWithAndWithoutCheckpoint) {
  SlurmScript s;
  s.kind = SlurmScript::Kind::farm;
  s.ranks_per_node = 2;
  s.threads = 3;
  s.job_name = "hpar-farm";
  s.arguments = {"farm", "--range", "1:6", "--", "echo", "--help"};
  std::string text = slurm_script_text(s);
  EXPECT_TRUE(has(text, "#SBATCH --output=hpar-farm-%j.out\n"));
  EXPECT_TRUE(has(text, "# Layout: 1 node(s) x 2 rank(s) per node x 3 slot(s) per rank"));
  EXPECT_TRUE(has(text, "# HPAR_CHECKPOINT=DIR (finished tasks recorded"));
  EXPECT_TRUE(has(text, "\nset -- --range 1:6 -- echo --help\n"));  // the body adds "farm"
  EXPECT_FALSE(has(head(text), "\nHPAR_CHECKPOINT="));
  const std::string body = body_of("farm");
  ASSERT_FALSE(body.empty());
  EXPECT_TRUE(text.ends_with("\n\n" + body));
  s.checkpoint = "my ck";
  text = slurm_script_text(s);
  EXPECT_TRUE(has(text, "# Checkpoint: 'my ck' (--resume is added when it holds one).\n"));
  EXPECT_TRUE(has(text, "\nHPAR_CHECKPOINT='my ck'\nset -- --range 1:6"));
}

TEST(SlurmScript, TimeLimits) {
  EXPECT_EQ(parse_time_limit("90"), 90U * 60);
  EXPECT_EQ(parse_time_limit("5:30"), 5U * 60 + 30);
  EXPECT_EQ(parse_time_limit("1:00:00"), 3600U);
  EXPECT_EQ(parse_time_limit("2-12"), (2U * 24 + 12) * 3600);
  EXPECT_EQ(parse_time_limit("2-12:30"), (2U * 24 + 12) * 3600 + 30 * 60);
  EXPECT_EQ(parse_time_limit("2-12:30:15"), (2U * 24 + 12) * 3600 + 30 * 60 + 15);
  for (const char* bad : {"1:75", "soon", "0", "1:2:60", "99999999999999999999", "", "-5"}) {
    EXPECT_THROW((void)parse_time_limit(bad), UsageError) << bad;
  }
}

TEST(SlurmScript, ChecksOfWhatGoesIntoAScript) {
  EXPECT_NO_THROW(check_slurm_name("partition", "gpu_a100.x,y+z-1"));
  EXPECT_THROW(check_slurm_name("partition", "a;b"), UsageError);
  EXPECT_THROW(check_slurm_name("job-name", "a b"), UsageError);
  EXPECT_EQ(parse_batch_launcher("mpirun"), BatchLauncher::mpirun);
  EXPECT_THROW((void)parse_batch_launcher("aprun"), UsageError);
  const std::vector<std::string> words{"ok", "two\nlines"};
  EXPECT_THROW(refuse_control_characters(words), UsageError);
  EXPECT_NO_THROW(refuse_control_characters(std::span(words).first(1)));
  SlurmScript s = job_script();  // 4 ranks x 2 threads = 8 cores a node
  s.cores_per_node = 8;
  EXPECT_NO_THROW(check_slurm_fit(s));
  s.cores_per_node = 7;
  EXPECT_THROW(check_slurm_fit(s), UsageError);
  EXPECT_EQ(sweep_node_cores(s), 7U);  // --cores-per-node: sinfo not asked
}
