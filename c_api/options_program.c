/* Allocates a little and exits: run under SLABKIT_OPTIONS by
 * options_test.sh. */
#include "c_api/slabkit.h"

int main(void) {
  slabkit_class cls;
  slabkit_class_config config = {.name = "options-demo", .size = 24};
  if (slabkit_class_register(&config, &cls) != 0) return 1;
  void* objects[100];
  for (int i = 0; i < 100; ++i) objects[i] = slabkit_allocate(cls);
  for (int i = 0; i < 40; ++i) slabkit_release(cls, objects[i]);
  return 0;
}
