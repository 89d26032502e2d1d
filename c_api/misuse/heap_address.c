/* Releases memory from the C library's malloc. */
#include "c_api/misuse/common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  slabkit_class cls = must_register("node", 32);
  void* from_malloc = malloc(32);
  void* p = slabkit_allocate(cls);
  slabkit_release(cls, misuse ? from_malloc : p);
  free(from_malloc);
  return 0;
}
