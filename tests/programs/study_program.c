/* SPDX-License-Identifier: BSD-3-Clause */
/* study_program: a small C MPI + OpenMP program for the tests of `hpar sweep`, standing in for a
 * scientist's application (a simulation that takes timesteps). It does STEPS steps of work split
 * over ranks and threads and prints:
 *
 *   study_program: 2 rank(s) x 2 thread(s), 400000 steps
 *   energy: 1                     (the result; the same at every layout unless --energy-jitter)
 *   time: 0.123456 s              (slowest rank, between barriers)
 *   rate: 3240000.5 steps/s       (a rate metric: higher is better)
 *
 * Usage: study_program [--steps N] [--error-at RxT] [--error-while FILE] [--dashes] [--serial]
 *                      [--log NAME] [--refuse-existing-log] [--read-stdin] [--energy-jitter REL]
 *                      [--count-launches FILE]
 *   --error-at RxT         at R ranks x T threads: print "ERROR: ..." on stdout (rank 0) and
 *                          exit 1 on every rank, as a code that refuses its input does
 *   --error-while FILE     with --error-at: fail there only while FILE exists (a failure that a
 *                          rerun does not meet)
 *   --count-launches FILE  rank 0 appends a line "RxT" to FILE: how often each layout ran
 *   --dashes               print a line of 60 dashes before the ERROR line (and one after)
 *   --serial               ignore the OpenMP threads: compute on one thread whatever
 *                          OMP_NUM_THREADS says (a build whose threading is off)
 *   --log NAME             rank 0 overwrites the file NAME in the working directory with
 *                          "layout RxT" (a fixed log name, as many codes have)
 *   --refuse-existing-log  with --log: when NAME exists already, ERROR and exit 1
 *   --read-stdin           rank 0 reads numbers from its standard input and prints
 *                          "input: N number(s), sum S"; ERROR and exit 1 when there are none
 *   --energy-jitter REL    energy = 1 + REL x (cores - 1): a result that differs a little
 *                          between layouts, as floating-point sums do */

#include <math.h>
#include <mpi.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct options {
  long steps;
  int error_ranks, error_threads;
  int dashes, serial, refuse_existing_log, read_stdin;
  const char* log;
  const char* error_while;
  const char* count_launches;
  double jitter;
};

static int parse(int argc, char** argv, struct options* o) {
  o->steps = 400000;
  o->error_ranks = o->error_threads = 0;
  o->dashes = o->serial = o->refuse_existing_log = o->read_stdin = 0;
  o->log = o->error_while = o->count_launches = NULL;
  o->jitter = 0.0;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    const char* next = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--steps") == 0 && next) {
      o->steps = atol(argv[++i]);
    } else if (strcmp(a, "--error-at") == 0 && next) {
      if (sscanf(argv[++i], "%dx%d", &o->error_ranks, &o->error_threads) != 2) return 0;
    } else if (strcmp(a, "--error-while") == 0 && next) {
      o->error_while = argv[++i];
    } else if (strcmp(a, "--count-launches") == 0 && next) {
      o->count_launches = argv[++i];
    } else if (strcmp(a, "--dashes") == 0) {
      o->dashes = 1;
    } else if (strcmp(a, "--serial") == 0) {
      o->serial = 1;
    } else if (strcmp(a, "--log") == 0 && next) {
      o->log = argv[++i];
    } else if (strcmp(a, "--refuse-existing-log") == 0) {
      o->refuse_existing_log = 1;
    } else if (strcmp(a, "--read-stdin") == 0) {
      o->read_stdin = 1;
    } else if (strcmp(a, "--energy-jitter") == 0 && next) {
      o->jitter = atof(argv[++i]);
    } else {
      return 0;
    }
  }
  return o->steps > 0;
}

/* One step's work: a few hundred flops on the step's number. */
static double step_work(long step) {
  double x = (double)(step % 1000) * 1e-3;
  for (int k = 0; k < 200; ++k) x = x * 0.999 + 1e-3;
  return x;
}

/* The steps of [begin, end), over the threads unless `serial`. */
static double compute(long begin, long end, int serial) {
  double sum = 0.0;
#pragma omp parallel for reduction(+ : sum) schedule(static) if (!serial)
  for (long s = begin; s < end; ++s) sum += step_work(s);
  return sum;
}

/* Rank 0's checks that can refuse the run; returns an error message or NULL. */
static const char* refusal(const struct options* o, int ranks, int threads, char* buf, size_t n) {
  if (o->count_launches) {
    FILE* f = fopen(o->count_launches, "a");
    if (!f) return "ERROR: cannot append to the launch count file";
    fprintf(f, "%dx%d\n", ranks, threads);
    fclose(f);
  }
  if (ranks == o->error_ranks && threads == o->error_threads &&
      (!o->error_while || access(o->error_while, F_OK) == 0)) {
    snprintf(buf, n, "ERROR: the input deck is not valid at %dx%d (on purpose)", ranks, threads);
    return buf;
  }
  if (o->log && o->refuse_existing_log && access(o->log, F_OK) == 0) {
    snprintf(buf, n, "ERROR: %s exists already: another run wrote here", o->log);
    return buf;
  }
  if (o->log) {
    FILE* f = fopen(o->log, "w");
    if (!f) return "ERROR: cannot write the log file";
    fprintf(f, "layout %dx%d\n", ranks, threads);
    fclose(f);
  }
  if (o->read_stdin) {
    double v = 0.0, total = 0.0;
    int count = 0;
    while (scanf("%lf", &v) == 1) {
      total += v;
      ++count;
    }
    if (count == 0) return "ERROR: no input on stdin";
    printf("input: %d number(s), sum %g\n", count, total);
  }
  return NULL;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  struct options o;
  if (!parse(argc, argv, &o)) {
    if (rank == 0) fprintf(stderr, "study_program: bad arguments\n");
    MPI_Finalize();
    return 2;
  }
  const int threads = omp_get_max_threads();
  if (rank == 0)
    printf("study_program: %d rank(s) x %d thread(s), %ld steps\n", ranks, threads, o.steps);
  char buf[256];
  int failed = 0;
  if (rank == 0) {
    const char* why = refusal(&o, ranks, threads, buf, sizeof buf);
    if (why) {
      if (o.dashes) printf("------------------------------------------------------------\n");
      printf("%s\n", why);
      if (o.dashes) printf("------------------------------------------------------------\n");
      printf("study_program: giving up\n");
      failed = 1;
    }
    fflush(stdout);
  }
  MPI_Bcast(&failed, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (failed) {
    MPI_Finalize();
    return 1;
  }
  const long begin = o.steps * rank / ranks, end = o.steps * (rank + 1) / ranks;
  MPI_Barrier(MPI_COMM_WORLD);
  const double t0 = MPI_Wtime();
  double sum = compute(begin, end, o.serial);
  const double mine = MPI_Wtime() - t0;
  double slowest = 0.0, total = 0.0;
  MPI_Reduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  MPI_Reduce(&sum, &total, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    const double energy = 1.0 + o.jitter * (double)(ranks * threads - 1);
    printf("energy: %.15g\n", energy);
    printf("work: %s\n", isfinite(total) ? "done" : "broken");
    printf("time: %.6f s\n", slowest);
    printf("rate: %.1f steps/s\n", (double)o.steps / (slowest > 0.0 ? slowest : 1e-9));
  }
  MPI_Finalize();
  return 0;
}
