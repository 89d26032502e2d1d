/* Releases to a class handle that names no class. */
#include "c_api/misuse/common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  slabkit_class cls = must_register("node", 32);
  slabkit_class bogus = {.id = 4000};
  void* p = slabkit_allocate(cls);
  slabkit_release(misuse ? bogus : cls, p);
  return 0;
}
