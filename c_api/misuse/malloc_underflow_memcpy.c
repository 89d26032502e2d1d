/* Copies 32 bytes to just before the start of a block of $SIZE bytes among
 * others of its size, then frees them all and allocates again. */
#include "c_api/misuse/malloc_common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  const size_t n = block_size();
  char* blocks[32];
  for (int i = 0; i < 32; ++i) blocks[i] = must_malloc(n);
  char* p = blocks[16];
  if (misuse) memcpy((char*)launder(p) - 32, source_bytes, 32);
  for (int i = 0; i < 32; ++i) free(blocks[i]);
  for (int i = 0; i < 32; ++i) blocks[i] = must_malloc(n);
  for (int i = 0; i < 32; ++i) free(blocks[i]);
  return 0;
}
