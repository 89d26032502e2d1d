/* Frees a block of $SIZE bytes, another, then the first again. */
#include "c_api/misuse/malloc_common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  const size_t n = block_size();
  char* a = must_malloc(n);
  char* b = must_malloc(n);
  free(a);
  free(b);
  if (misuse) free(launder(a));
  return 0;
}
