/* Writes into a freed block of $SIZE bytes, then allocates blocks of its
 * size: the hardened flavour sees the write when the block is handed out
 * again. */
#include "c_api/misuse/malloc_common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  const size_t n = block_size();
  char* p = must_malloc(n);
  free(p);
  if (misuse) ((volatile char*)launder(p))[n / 2] = 1;
  char* blocks[64];
  for (int i = 0; i < 64; ++i) blocks[i] = must_malloc(n);
  for (int i = 0; i < 64; ++i) free(blocks[i]);
  return 0;
}
