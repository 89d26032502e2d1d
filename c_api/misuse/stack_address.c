/* Releases the address of a local variable. */
#include "c_api/misuse/common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  slabkit_class cls = must_register("node", 32);
  int local = 0;
  void* p = slabkit_allocate(cls);
  slabkit_release(cls, misuse ? (void*)&local : p);
  return local;
}
