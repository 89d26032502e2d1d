/* Writes to a block after freeing it. The hardened flavour, every
 * allocation sampled, keeps the freed block's pages inaccessible for a
 * while (quarantine), so the write faults and is reported. */
#include "c_api/misuse/malloc_common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  char* p = must_malloc(40);
  char* q = must_malloc(40);
  free(p);
  ((volatile char*)launder(misuse ? p : q))[0] = 1;
  free(q);
  return 0;
}
