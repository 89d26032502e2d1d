/* Frees a pointer into the middle of a block. */
#include "c_api/misuse/malloc_common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  char* p = must_malloc(100);
  free(launder(misuse ? p + 32 : p));
  return 0;
}
