/* Frees a slot of a block's slab that was never handed out: the address a
 * later block of the same class would get. 2,500 bytes is a class (2,560)
 * the process start-up does not use. Run with sampling off: a sampled
 * block sits in guarded slots, with no slab neighbours. */
#include "c_api/misuse/malloc_common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  char* p = must_malloc(2500);
  free(launder(misuse ? p + 5 * 2560 : p));
  return 0;
}
