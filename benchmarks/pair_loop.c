/* A loop of allocate+release pairs, for counting instructions with
 * callgrind (benchmarks/instructions.sh runs it twice with different
 * lengths; the difference is the cost of one pair, call overhead included).
 *
 *   pair_loop slabkit SIZE ITERATIONS   slabkit_allocate/slabkit_release
 *   pair_loop malloc SIZE ITERATIONS    malloc/free (whichever is loaded)
 *
 * kLive objects of the size stay live throughout, as in a program: an
 * allocator whose page empties on the measured free (mimalloc retires it)
 * would otherwise take its slow path on every pair. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_api/slabkit.h"

/* Keeps the compiler from pairing malloc with free away. */
void* volatile sink;

enum { kLive = 64 };

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s slabkit|malloc SIZE ITERATIONS\n", argv[0]);
    return 2;
  }
  const size_t size = strtoul(argv[2], NULL, 10);
  const long n = strtol(argv[3], NULL, 10);
  if (strcmp(argv[1], "slabkit") == 0) {
    slabkit_class cls;
    slabkit_class_config config = {.name = "pair", .size = size};
    if (slabkit_class_register(&config, &cls) != 0) return 1;
    void* live[kLive];
    for (int i = 0; i < kLive; ++i) live[i] = slabkit_allocate(cls);
    for (long i = 0; i < n; ++i) {
      void* p = slabkit_allocate(cls);
      sink = p;
      slabkit_release(cls, p);
    }
    for (int i = 0; i < kLive; ++i) slabkit_release(cls, live[i]);
  } else if (strcmp(argv[1], "malloc") == 0) {
    void* live[kLive];
    for (int i = 0; i < kLive; ++i) live[i] = malloc(size);
    for (long i = 0; i < n; ++i) {
      void* p = malloc(size);
      sink = p;
      free(p);
    }
    for (int i = 0; i < kLive; ++i) free(live[i]);
  } else {
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 2;
  }
  return 0;
}
