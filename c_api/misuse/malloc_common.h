/* Shared by the malloc misuse programs: plain C on malloc, run under
 * LD_PRELOAD of each slabkit malloc library, as `prog correct` (must exit 0)
 * and `prog misuse` (must be stopped with its diagnostic). */
#ifndef SLABKIT_C_API_MISUSE_MALLOC_COMMON_H_
#define SLABKIT_C_API_MISUSE_MALLOC_COMMON_H_

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hides a pointer's origin from the compiler, which would otherwise warn
 * about (or fold away) the misuse. */
static void* volatile launder_slot;
static void* launder(void* p) {
  launder_slot = p;
  return launder_slot;
}

/* 1 for "misuse", 0 for "correct"; exits 2 on anything else. */
static int misuse_requested(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "misuse") == 0) return 1;
  if (argc == 2 && strcmp(argv[1], "correct") == 0) return 0;
  fprintf(stderr, "usage: %s correct|misuse\n", argv[0]);
  exit(2);
}

__attribute__((unused)) static void* must_malloc(size_t n) {
  void* p = malloc(n);
  if (p == NULL) {
    fprintf(stderr, "malloc(%zu) failed\n", n);
    exit(2);
  }
  return p;
}

/* The block size a program works with: $SIZE, 8 by default. */
__attribute__((unused)) static size_t block_size(void) {
  const char* s = getenv("SIZE");
  return s != NULL ? (size_t)strtoull(s, NULL, 10) : 8;
}

/* Bytes to copy from, for overflows through memcpy. */
__attribute__((unused)) static char source_bytes[64] =
    "overflowing bytes overflowing bytes overflowing bytes..";

#endif /* SLABKIT_C_API_MISUSE_MALLOC_COMMON_H_ */
