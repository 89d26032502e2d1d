/* Releases an object a second time after others came and went. */
#include "c_api/misuse/common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  slabkit_class cls = must_register("node", 32);
  void* objects[100];
  for (int i = 0; i < 100; ++i) objects[i] = slabkit_allocate(cls);
  for (int i = 0; i < 100; ++i) slabkit_release(cls, objects[i]);
  for (int i = 0; i < 50; ++i) objects[i] = slabkit_allocate(cls);
  for (int i = 0; i < 50; ++i) slabkit_release(cls, objects[i]);
  if (misuse) slabkit_release(cls, objects[99]);
  return 0;
}
