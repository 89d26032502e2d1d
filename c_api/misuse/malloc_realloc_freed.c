/* Reallocates a block after freeing it: `misuse` a small block, `misuse`
 * with SIZE in the environment a block of that many bytes. */
#include "c_api/misuse/malloc_common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  const char* size = getenv("SIZE");
  const size_t n = size != NULL ? strtoul(size, NULL, 10) : 40;
  char* p = must_malloc(n);
  char* q = must_malloc(n);
  free(p);
  free(realloc(launder(misuse ? p : q), 2 * n));
  return 0;
}
