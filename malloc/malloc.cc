#include "malloc/malloc.h"

namespace slabkit {
namespace malloc {

__thread bool tls_building __attribute__((tls_model("initial-exec")));

void ClassName(int index, char* out) {
  static constexpr char kPrefix[] = "malloc_";
  memcpy(out, kPrefix, sizeof(kPrefix) - 1);
  char digits[12];
  int n = 0;
  for (uint32_t v = kClassSizes[index]; v != 0; v /= 10) {
    digits[n++] = static_cast<char>('0' + v % 10);
  }
  char* o = out + sizeof(kPrefix) - 1;
  while (n > 0) *o++ = digits[--n];
  *o = '\0';
}

}  // namespace malloc
}  // namespace slabkit
