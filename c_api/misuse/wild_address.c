/* Releases addresses that were never memory at all. */
#include <stdint.h>

#include "c_api/misuse/common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  slabkit_class cls = must_register("node", 32);
  void* p = slabkit_allocate(cls);
  slabkit_release(cls, misuse ? (void*)(uintptr_t)0xdeadbeef000 : p);
  return 0;
}
