/* Copies 32 bytes more than a block of $SIZE bytes holds into it, then
 * frees it. */
#include "c_api/misuse/malloc_common.h"

int main(int argc, char** argv) {
  const int misuse = misuse_requested(argc, argv);
  const size_t n = block_size();
  char* p = must_malloc(n);
  const size_t extra = misuse ? 32 : 0;
  for (size_t done = 0; done < n + extra;) {
    const size_t chunk = n + extra - done < 32 ? n + extra - done : 32;
    memcpy((char*)launder(p) + done, source_bytes, chunk);
    done += chunk;
  }
  free(p);
  return 0;
}
