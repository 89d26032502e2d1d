#include "guard/canary.h"

#include <sys/auxv.h>

namespace slabkit {
namespace guard {

namespace canary_internal {
uint64_t secret = 0;
}  // namespace canary_internal

void InitCanarySecret() {
  using canary_internal::secret;
  if (__atomic_load_n(&secret, __ATOMIC_RELAXED) != 0) return;
  uint64_t s = 0x9E3779B97F4A7C15u;
  if (const void* random =
          reinterpret_cast<const void*>(getauxval(AT_RANDOM))) {
    memcpy(&s, static_cast<const char*>(random) + 8, sizeof(s));
  }
  s |= 1;  // never 0
  __atomic_store_n(&secret, s, __ATOMIC_RELAXED);
}

bool IsZero(const char* p, size_t n) {
  uint64_t any = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) any |= canary_internal::Load(p + i);
  for (; i < n; ++i) any |= static_cast<uint8_t>(p[i]);
  return any == 0;
}

const char* FindNonzero(const char* from, const char* to) {
  for (const char* a = from; a < to; ++a) {
    if (*a != 0) return a;
  }
  return nullptr;
}

}  // namespace guard
}  // namespace slabkit
