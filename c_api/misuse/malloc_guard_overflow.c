/* Writes one byte past a block's usable size, then frees it. The hardened
 * flavour, every allocation sampled (SLABKIT_OPTIONS=sample_interval=1),
 * places the block in a guarded slot; the byte past its size is its canary,
 * seen broken when it is freed. */
#include <malloc.h>

#include "c_api/misuse/malloc_common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  char* p = must_malloc(40);
  const size_t usable = malloc_usable_size(p);
  /* Flipped, not set: a constant would match the canary's byte by chance. */
  ((volatile char*)launder(p))[misuse ? usable : usable - 1] ^= 0x10;
  free(p);
  return 0;
}
