// SPDX-License-Identifier: BSD-3-Clause
// hybrid_work: a small MPI + OpenMP program for the tests of `hpar sweep`, standing in for a
// user's own application. It does a known amount of work split over ranks and threads and
// prints what a sweep reads back:
//
//   hybrid_work: 2 rank(s) x 2 thread(s), 20000000 items
//   affinity: rank 0 thread 0 cpu 0 mask 0        (one line per rank and thread, rank order)
//   checksum: 0x1d7e6f0f0a8b2c31                   (the same at every layout)
//   verification successful                        (checksum equals a serial recount)
//   compute time: 0.123456 s                       (slowest rank, between barriers)
//
// Work: for items i = 0..N-1, the sum modulo 2^64 of splitmix64(i) (integer addition wraps
// and is associative: the same bits at every layout). Rank r takes the contiguous slice
// [N r / R, N (r+1) / R); its threads share it with an OpenMP static schedule.
//
// Usage: hybrid_work N [--fail-at-ranks R] [--wrong-at-threads T] [--hang-at-ranks R]
//   --fail-at-ranks R    with R ranks, exit 3 with a message on stderr (a failing point)
//   --wrong-at-threads T with T threads, print a wrong checksum and "verification FAILED"
//   --hang-at-ranks R    with R ranks, sleep for an hour (for --timeout and SIGTERM)

#include <mpi.h>
#include <omp.h>
#include <sched.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// "0-3,8": the CPUs of this thread's affinity mask.
std::string my_mask() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return "?";
  std::string out;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    int last = cpu;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set)) ++last;
    out += (out.empty() ? "" : ",") + std::to_string(cpu);
    if (last > cpu) out += "-" + std::to_string(last);
    cpu = last;
  }
  return out;
}

struct Options {
  std::uint64_t items = 0;
  int fail_at_ranks = 0;
  int wrong_at_threads = 0;
  int hang_at_ranks = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: hybrid_work N [--fail-at-ranks R] [--wrong-at-threads T] "
                 "[--hang-at-ranks R]\n");
    std::exit(2);
  }
  o.items = std::strtoull(argv[1], nullptr, 10);
  for (int i = 2; i + 1 < argc; i += 2) {
    const int value = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--fail-at-ranks") == 0) o.fail_at_ranks = value;
    if (std::strcmp(argv[i], "--wrong-at-threads") == 0) o.wrong_at_threads = value;
    if (std::strcmp(argv[i], "--hang-at-ranks") == 0) o.hang_at_ranks = value;
  }
  return o;
}

/// Every rank's affinity lines, gathered to rank 0 and printed in rank order.
void print_affinity(int rank, int ranks, int threads) {
  std::string mine;
#pragma omp parallel num_threads(threads)
  {
    char line[512];
    std::snprintf(line, sizeof line, "affinity: rank %d thread %d cpu %d mask %s\n", rank,
                  omp_get_thread_num(), sched_getcpu(), my_mask().c_str());
#pragma omp for ordered schedule(static, 1)
    for (int t = 0; t < omp_get_num_threads(); ++t) {
#pragma omp ordered
      mine += line;
    }
  }
  int length = static_cast<int>(mine.size());
  std::vector<int> lengths(static_cast<std::size_t>(ranks));
  MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<int> offsets(static_cast<std::size_t>(ranks), 0);
  int total = 0;
  for (int r = 0; r < ranks; ++r) {
    offsets[static_cast<std::size_t>(r)] = total;
    total += lengths[static_cast<std::size_t>(r)];
  }
  std::string all(static_cast<std::size_t>(rank == 0 ? total : 0), '\0');
  MPI_Gatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR,
              0, MPI_COMM_WORLD);
  if (rank == 0) std::fputs(all.c_str(), stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const Options o = parse(argc, argv);
  const int threads = omp_get_max_threads();
  if (rank == 0) {
    std::printf("hybrid_work: %d rank(s) x %d thread(s), %llu items\n", ranks, threads,
                static_cast<unsigned long long>(o.items));
  }
  print_affinity(rank, ranks, threads);
  if (ranks == o.fail_at_ranks) {
    if (rank == 0) std::fprintf(stderr, "hybrid_work: failing on purpose at %d ranks\n", ranks);
    MPI_Finalize();
    return 3;
  }
  if (ranks == o.hang_at_ranks) sleep(3600);

  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  const std::uint64_t begin =
      o.items * static_cast<std::uint64_t>(rank) / static_cast<std::uint64_t>(ranks);
  const std::uint64_t end =
      o.items * static_cast<std::uint64_t>(rank + 1) / static_cast<std::uint64_t>(ranks);
  std::uint64_t sum = 0;
#pragma omp parallel for schedule(static) reduction(+ : sum) num_threads(threads)
  for (std::uint64_t i = begin; i < end; ++i) sum += splitmix64(i);
  std::uint64_t total = 0;
  MPI_Reduce(&sum, &total, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
  const double mine = MPI_Wtime() - start;
  double slowest = 0.0;
  MPI_Reduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);

  if (rank == 0) {
    std::uint64_t reference = 0;  // a serial recount, one item after the other
    for (std::uint64_t i = 0; i < o.items; ++i) reference += splitmix64(i);
    if (threads == o.wrong_at_threads) total += 1;
    std::printf("checksum: 0x%016llx\n", static_cast<unsigned long long>(total));
    std::printf(total == reference ? "verification successful\n" : "verification FAILED\n");
    std::printf("compute time: %.6f s\n", slowest);
  }
  MPI_Finalize();
  return 0;
}
