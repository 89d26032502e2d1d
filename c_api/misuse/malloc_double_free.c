/* Frees the same block twice in a row. */
#include "c_api/misuse/malloc_common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  char* p = must_malloc(40);
  char* q = must_malloc(40);
  free(p);
  free(launder(misuse ? p : q));
  return 0;
}
