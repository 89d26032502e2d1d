/* Writes one byte past an object of a class registered with `canary`; the
 * release reports it. */
#include "c_api/misuse/common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  slabkit_class_config config = {.name = "record", .size = 40, .canary = true};
  slabkit_class cls;
  if (slabkit_class_register(&config, &cls) != 0) return 2;
  char* p = slabkit_allocate(cls);
  const char line[41] = "forty bytes of record, and a terminator";
  memcpy(p, line, misuse ? 41 : 40);
  slabkit_release(cls, p);
  return 0;
}
