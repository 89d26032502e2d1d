/* free_sized (C23) with a size from another class than the block's. */
#include "c_api/misuse/malloc_common.h"

/* Weak: glibc 2.36 has no free_sized; the preloaded library provides it. */
extern void free_sized(void* p, size_t size) __attribute__((weak));

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  if (free_sized == NULL) {
    fprintf(stderr, "free_sized is missing: run under slabkit's malloc\n");
    return 2;
  }
  char* p = must_malloc(40);
  free_sized(launder(p), misuse ? 4000 : 40);
  return 0;
}
