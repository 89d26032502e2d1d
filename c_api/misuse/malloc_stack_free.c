/* Frees the address of a local variable. */
#include "c_api/misuse/malloc_common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  char local[64];
  memset(local, 1, sizeof(local));
  char* p = must_malloc(64);
  free(launder(misuse ? local : p));
  return local[0] - 1;
}
