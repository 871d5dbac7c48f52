/* SPDX-License-Identifier: BSD-3-Clause */
/* mpi_task: a small MPI program for the tests of `hpar farm --task-ranks` (a task that is
 * itself an MPI program). Each rank prints one line:
 *
 *   rank R size S cpus LIST omp K task CPUS input X
 *
 * LIST: the CPUs it may run on (sched_getaffinity), K: OMP_NUM_THREADS, CPUS: HPAR_CPUS (the
 * task's CPUs as hpar named them), X: its first argument that is no option ("-" if none).
 *
 * Usage: mpi_task [--fail-rank N] [INPUT]
 *   --fail-rank N   rank N exits with code 3 after MPI_Finalize (a task that fails on one
 *                   rank); the others exit 0 */

#ifndef _GNU_SOURCE  /* g++ defines it: the tests build this file as C++ */
#define _GNU_SOURCE
#endif
#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  int size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int fail_rank = -1;
  const char* input = "-";
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--fail-rank") == 0 && i + 1 < argc) {
      fail_rank = atoi(argv[++i]);
    } else {
      input = argv[i];
    }
  }
  cpu_set_t mask;
  CPU_ZERO(&mask);
  char list[4096] = "";
  size_t used = 0;
  if (sched_getaffinity(0, sizeof mask, &mask) == 0) {
    for (int c = 0; c < CPU_SETSIZE && used + 16 < sizeof list; ++c) {
      if (CPU_ISSET(c, &mask)) {
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%d", used ? "," : "", c);
      }
    }
  }
  const char* omp = getenv("OMP_NUM_THREADS");
  const char* task = getenv("HPAR_CPUS");
  printf("rank %d size %d cpus %s omp %s task %s input %s\n", rank, size, list, omp ? omp : "-",
         task ? task : "-", input);
  fflush(stdout);
  MPI_Finalize();
  return rank == fail_rank ? 3 : 0;
}
