/* Writes one byte past the end of a block of $SIZE bytes (a NUL, as an
 * off-by-one string copy does), then frees it: seen on free (its canary),
 * or at once (a guard page), by the hardened flavour. */
#include "c_api/misuse/malloc_common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  const size_t n = block_size();
  char* p = must_malloc(n);
  ((volatile char*)launder(p))[misuse ? n : n - 1] = 0;
  free(p);
  return 0;
}
