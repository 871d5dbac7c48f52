// SPDX-License-Identifier: BSD-3-Clause
// gather_hosts: what hpar's collectives cost on the current launch (ranks, hosts, transport).
//
// Times the three collectives the engine's gather phase is made of, each `--repeat` times after
// a barrier, the slowest rank's time per repetition:
//   gatherv   every rank sends m bytes to rank 0 (hpar's ordered output and partials);
//   reduce    one 8-byte value to rank 0 (hpar's timings, items done);
//   allreduce one 4-byte flag to every rank (hpar's agreement before each collective).
// Prints one CSV line per (collective, m): ranks, hosts, collective, bytes per rank, min and
// median seconds. Plain MPI on purpose (no hpar code): bench/gather_hosts.sh builds it with
// mpicxx and runs it on 1..4 simulated hosts to fit the latency/bandwidth model of
// docs/scaling-model.md.
//
//   mpirun -np P gather_hosts [--repeat R] [--sizes 8,65536,...]

#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

/// Median and minimum of the slowest rank's time over `repeat` calls of `op`.
template <class Op>
std::pair<double, double> time_collective(int repeat, Op op) {
  std::vector<double> slowest;
  op();  // warm-up: connections and buffers
  for (int i = 0; i < repeat; ++i) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    op();
    double mine = MPI_Wtime() - start;
    double max = 0.0;
    MPI_Allreduce(&mine, &max, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    slowest.push_back(max);
  }
  std::sort(slowest.begin(), slowest.end());
  return {slowest[slowest.size() / 2], slowest.front()};
}

/// Number of distinct processor names over all ranks.
int count_hosts(int ranks) {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int len = 0;
  MPI_Get_processor_name(name, &len);
  std::vector<char> all(static_cast<std::size_t>(ranks) * MPI_MAX_PROCESSOR_NAME);
  MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME,
                MPI_CHAR, MPI_COMM_WORLD);
  std::set<std::string> hosts;
  for (int r = 0; r < ranks; ++r) hosts.insert(std::string(&all[r * MPI_MAX_PROCESSOR_NAME]));
  return static_cast<int>(hosts.size());
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  int ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);

  int repeat = 21;
  std::vector<long> sizes{8, 1024, 65536, 1 << 20, 4 << 20};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string opt = argv[i];
    if (opt == "--repeat") {
      repeat = std::max(1, std::atoi(argv[i + 1]));
    } else if (opt == "--sizes") {
      sizes.clear();
      std::stringstream list(argv[i + 1]);
      for (std::string item; std::getline(list, item, ',');)
        sizes.push_back(std::atol(item.c_str()));
    }
  }
  const int hosts = count_hosts(ranks);
  if (rank == 0) std::printf("ranks,hosts,collective,bytes_per_rank,min_s,median_s\n");

  for (const long m : sizes) {
    std::vector<char> mine(static_cast<std::size_t>(m), static_cast<char>('a' + rank % 26));
    std::vector<char> all(rank == 0 ? static_cast<std::size_t>(m) * static_cast<std::size_t>(ranks)
                                    : 0);
    std::vector<int> counts(static_cast<std::size_t>(ranks), static_cast<int>(m));
    std::vector<int> displs(static_cast<std::size_t>(ranks));
    for (int r = 0; r < ranks; ++r) displs[r] = static_cast<int>(m * r);
    const auto [median, min] = time_collective(repeat, [&] {
      MPI_Gatherv(mine.data(), static_cast<int>(m), MPI_BYTE, all.data(), counts.data(),
                  displs.data(), MPI_BYTE, 0, MPI_COMM_WORLD);
    });
    if (rank == 0) std::printf("%d,%d,gatherv,%ld,%.9f,%.9f\n", ranks, hosts, m, min, median);
  }
  {
    double value = rank;
    double sum = 0.0;
    const auto [median, min] = time_collective(
        repeat, [&] { MPI_Reduce(&value, &sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD); });
    if (rank == 0) std::printf("%d,%d,reduce,8,%.9f,%.9f\n", ranks, hosts, min, median);
  }
  {
    int flag = 0;
    int any = 0;
    const auto [median, min] = time_collective(
        repeat, [&] { MPI_Allreduce(&flag, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD); });
    if (rank == 0) std::printf("%d,%d,allreduce,4,%.9f,%.9f\n", ranks, hosts, min, median);
  }
  MPI_Finalize();
  return 0;
}
