/* Releases the same object twice in a row. */
#include "c_api/misuse/common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  slabkit_class cls = must_register("node", 32);
  void* p = slabkit_allocate(cls);
  void* q = slabkit_allocate(cls);
  slabkit_release(cls, p);
  slabkit_release(cls, misuse ? p : q);
  return 0;
}
