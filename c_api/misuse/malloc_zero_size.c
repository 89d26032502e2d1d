/* Reads or writes ($HOW=read) a block malloc(0) returned: it faults, in
 * both flavours. */
#include "c_api/misuse/malloc_common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  char* p = must_malloc(0);
  char* q = must_malloc(0);
  if (p == q) return 3; /* every block is unique */
  if (misuse) {
    const char* how = getenv("HOW");
    if (how != NULL && strcmp(how, "read") == 0) {
      return ((volatile char*)launder(p))[0];
    }
    ((volatile char*)launder(p))[0] = 1;
  }
  free(p);
  free(q);
  return 0;
}
