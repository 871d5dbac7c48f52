// SPDX-License-Identifier: BSD-3-Clause
// The tightest reference for a farm's cost per task: T threads share N runs of one command,
// each thread takes the next number from a shared counter, posix_spawn()s the command with the
// number as its argument (stdin, stdout and stderr inherited) and waits for it. Nothing else:
// no output captured, no environment built, no CPU time asked for.
//
//   spawn_loop N T COMMAND      e.g. spawn_loop 2000 2 /bin/true
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

extern char** environ;

static atomic_long next_task = 1;
static long tasks;
static const char* command;

static void* slot(void* unused) {
  (void)unused;
  for (long t = atomic_fetch_add(&next_task, 1); t <= tasks; t = atomic_fetch_add(&next_task, 1)) {
    char number[32];
    snprintf(number, sizeof number, "%ld", t);
    char* argv[] = {(char*)command, number, NULL};
    pid_t pid = 0;
    if (posix_spawn(&pid, command, NULL, NULL, argv, environ) != 0) {
      perror("posix_spawn");
      exit(1);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "task %ld failed\n", t);
      exit(1);
    }
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: spawn_loop N THREADS COMMAND\n");
    return 2;
  }
  tasks = atol(argv[1]);
  const int threads = atoi(argv[2]);
  command = argv[3];
  if (tasks < 1 || threads < 1 || threads > 256) {
    fprintf(stderr, "spawn_loop: N and THREADS must be positive\n");
    return 2;
  }
  pthread_t ids[256];
  for (int i = 0; i < threads; ++i) pthread_create(&ids[i], NULL, slot, NULL);
  for (int i = 0; i < threads; ++i) pthread_join(ids[i], NULL);
  return 0;
}
