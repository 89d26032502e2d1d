/* Releases an object-aligned address of the class that was never handed
 * out. Sampling is off: a sampled object sits in guarded slots, with no
 * slab neighbours. */
#include "c_api/misuse/common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  slabkit_set_sample_interval(0);
  slabkit_class cls = must_register("node", 64);
  char* p = slabkit_allocate(cls);
  slabkit_release(cls, misuse ? p + 64 * 1000 : p);
  return 0;
}
