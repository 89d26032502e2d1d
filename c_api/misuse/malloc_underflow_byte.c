/* Writes one byte before the start of a block of $SIZE bytes among others
 * of its size, then frees them all and allocates again: seen when the slot
 * before it is freed or handed out again (its canary or its zeros), or at
 * once (a guard page), by the hardened flavour. */
#include "c_api/misuse/malloc_common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  const size_t n = block_size();
  char* blocks[32];
  for (int i = 0; i < 32; ++i) blocks[i] = must_malloc(n);
  char* p = blocks[16];
  if (misuse) ((volatile char*)launder(p))[-1] = '@';
  for (int i = 0; i < 32; ++i) free(blocks[i]);
  for (int i = 0; i < 32; ++i) blocks[i] = must_malloc(n);
  for (int i = 0; i < 32; ++i) free(blocks[i]);
  return 0;
}
