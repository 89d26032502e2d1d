/* Commits one bug a memory-checking tool should see in slabkit's objects,
 * for memory_tool_test.sh: run under valgrind (built with
 * --//base:memory_tool=valgrind; for malloc, with the drop-in preloaded) or
 * as an ASan binary (memory_tool=asan).
 *
 *   memory_tool_program class|malloc clean|use_after_release|uninitialised|leak
 *
 * class: the class API; malloc: malloc and free (the clean run also grows a
 * block with realloc and checks calloc's zeros). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_api/slabkit.h"

/* Keeps the compiler from dropping the reads. */
volatile long sink;

static slabkit_class nodes;
static int use_malloc;

/* 32 bytes: a class of that size, or a malloc class of it. */
static long* allocate(void) {
  return use_malloc ? malloc(32) : slabkit_allocate(nodes);
}

static void release(long* p) {
  if (use_malloc) {
    free(p);
  } else {
    slabkit_release(nodes, p);
  }
}

int main(int argc, char** argv) {
  if (argc != 3 ||
      (strcmp(argv[1], "class") != 0 && strcmp(argv[1], "malloc") != 0)) {
    fprintf(stderr, "usage: %s class|malloc MODE\n", argv[0]);
    return 2;
  }
  use_malloc = strcmp(argv[1], "malloc") == 0;
  slabkit_class_config config = {.name = "node", .size = 4 * sizeof(long)};
  if (slabkit_class_register(&config, &nodes) != 0) return 1;
  long* live[100];
  for (int i = 0; i < 100; ++i) {
    live[i] = allocate();
    live[i][0] = i;
  }
  long sum = 0;
  for (int i = 0; i < 100; ++i) sum += live[i][0];
  for (int i = 0; i < 100; ++i) release(live[i]);
  /* No stale copy of a pointer, which would keep a leaked object reachable. */
  memset(live, 0, sizeof(live));
  if (use_malloc) {
    char* text = malloc(8);
    strcpy(text, "slabkit");
    for (size_t n = 16; n <= 65536; n *= 4) text = realloc(text, n);
    if (strcmp(text, "slabkit") != 0) return 3;
    free(text);
    long* zeros = calloc(100, sizeof(long));
    for (int i = 0; i < 100; ++i) sum += zeros[i];
    free(zeros);
  }

  const char* mode = argv[2];
  if (strcmp(mode, "use_after_release") == 0) {
    long* p = allocate();
    p[0] = 7;
    release(p);
    /* The bug. (A word the program did not touch before: gcc's ASan drops a
     * second check of an address it checked before the call.) */
    sink = p[3];
  } else if (strcmp(mode, "uninitialised") == 0) {
    long* p = allocate();
    if (p[1] == 42) puts("forty-two"); /* the bug: never written */
    release(p);
  } else if (strcmp(mode, "leak") == 0) {
    long* p = allocate();
    p[0] = 1;
    p = NULL; /* the bug: its only pointer is gone */
    sink = (long)p;
  } else if (strcmp(mode, "clean") != 0) {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  printf("sum %ld\n", sum);
  return 0;
}
