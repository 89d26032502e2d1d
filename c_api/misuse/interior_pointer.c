/* Releases a pointer into the middle of an object. */
#include "c_api/misuse/common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  slabkit_class cls = must_register("record", 48);
  char* p = slabkit_allocate(cls);
  slabkit_release(cls, misuse ? p + 16 : p);
  return 0;
}
