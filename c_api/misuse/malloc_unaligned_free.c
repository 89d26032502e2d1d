/* Frees a block's address plus one: not even aligned. */
#include "c_api/misuse/malloc_common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  char* p = must_malloc(64);
  free(launder(misuse ? p + 1 : p));
  return 0;
}
