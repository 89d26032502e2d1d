/* Writes into an object of a class registered with `fill_released` after
 * releasing it; the allocation that reaches the slot again reports it. */
#include "c_api/misuse/common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  slabkit_class_config config = {
      .name = "session", .size = 64, .fill_released = true};
  slabkit_class cls;
  if (slabkit_class_register(&config, &cls) != 0) return 2;
  char* p = slabkit_allocate(cls);
  strcpy(p, "user data");
  slabkit_release(cls, p);
  if (misuse) p[0] = 'X';
  /* Every allocation reads as zeros (nothing of a previous owner's). */
  for (int i = 0; i < 1000; ++i) {
    const char* q = slabkit_allocate(cls);
    for (int b = 0; b < 64; ++b) {
      if (q[b] != 0) return 3;
    }
  }
  return 0;
}
