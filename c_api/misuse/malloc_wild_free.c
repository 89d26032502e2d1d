/* Frees an address nothing was ever mapped at. */
#include <stdint.h>

#include "c_api/misuse/malloc_common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  char* p = must_malloc(64);
  free(launder(misuse ? (void*)(uintptr_t)0x6e5500001000ull : p));
  return 0;
}
