/* Frees a block of $SIZE bytes, works with blocks of other sizes for a
 * while, then frees it again. */
#include "c_api/misuse/malloc_common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  const size_t n = block_size();
  char* a = must_malloc(n);
  free(a);
  for (int i = 0; i < 1000; ++i) {
    char* other = must_malloc(n == 24 ? 40 : 24);
    free(other);
  }
  if (misuse) free(launder(a));
  return 0;
}
