// Canaries: a pattern written into the bytes just past an object (slack a
// program must not touch) and checked later, so that an overflow is seen.
// The pattern is keyed by a per-process secret and the slot's address, so
// an overflow cannot write it back by chance; every byte's value follows
// from its address alone, so word accesses may start anywhere and overlap.
//
// Used by malloc's block checks (malloc/block_checks.h) and by the class
// API's `canary` option (allocator/class_config.h).
#ifndef SLABKIT_GUARD_CANARY_H_
#define SLABKIT_GUARD_CANARY_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/numeric/bits.h"

namespace slabkit {
namespace guard {

// Sets the secret from the kernel's random bytes for this program
// (AT_RANDOM, no system call). Idempotent and thread-safe (a race stores the
// same value twice); call it before the first canary is written.
void InitCanarySecret();

namespace canary_internal {
extern uint64_t secret;  // never 0 once InitCanarySecret ran

inline uint64_t Load(const char* a) {
  uint64_t w;
  memcpy(&w, a, sizeof(w));
  return w;
}
inline void Store(char* a, uint64_t w) { memcpy(a, &w, sizeof(w)); }
// The mask of a word's top `n` bytes (0 < n < 8).
inline uint64_t TopBytes(size_t n) { return ~uint64_t{0} << (64 - 8 * n); }
}  // namespace canary_internal

// The canary of the slot (or block) starting at `slot`.
// (One multiply: the secret is what an overflow cannot know; the address
// only makes neighbours' canaries differ.)
inline uint64_t CanaryPattern(const char* slot) {
  return (canary_internal::secret ^
          (reinterpret_cast<uintptr_t>(slot) * 0x9E3779B97F4A7C15u)) |
         0x0101010101010101u;  // no zero byte
}

// The canary as a word loaded from address a (little-endian).
inline uint64_t CanaryAt(uint64_t pattern, const char* a) {
  return absl::rotr(pattern,
                    8 * static_cast<int>(reinterpret_cast<uintptr_t>(a) & 7));
}

// Writes the canary over [from, to), where to - 8 is still in the slot (a
// region shorter than a word is one masked read-modify-write of the word
// ending at `to`, rewriting the bytes below `from` with their own values).
// kAlignedEnd: `to` is 8-byte aligned (a slot's end), which saves a
// rotation.
template <bool kAlignedEnd = false>
inline void WriteCanary(uint64_t pattern, char* from, char* to) {
  using namespace canary_internal;
  const uint64_t last = kAlignedEnd ? pattern : CanaryAt(pattern, to - 8);
  if (to - from >= 8) {
    const uint64_t w = CanaryAt(pattern, from);
    for (char* a = from; a + 8 < to; a += 8) Store(a, w);
    Store(to - 8, last);
  } else if (to > from) {
    const uint64_t mask = TopBytes(static_cast<size_t>(to - from));
    Store(to - 8, (Load(to - 8) & ~mask) | (last & mask));
  }
}

// The bits where [from, to) differs from the canary (0: intact); `to` as
// for WriteCanary.
template <bool kAlignedEnd = false>
inline uint64_t CanaryDiff(uint64_t pattern, const char* from, const char* to) {
  using namespace canary_internal;
  const uint64_t last = kAlignedEnd ? pattern : CanaryAt(pattern, to - 8);
  if (to - from >= 8) {
    const uint64_t w = CanaryAt(pattern, from);
    uint64_t diff = 0;
    for (const char* a = from; a + 8 < to; a += 8) diff |= Load(a) ^ w;
    return diff | (Load(to - 8) ^ last);
  }
  if (to > from) {
    return (Load(to - 8) ^ last) & TopBytes(static_cast<size_t>(to - from));
  }
  return 0;
}

// Whether [from, to) is all zeros; `from` and `to` 8-byte aligned. In
// 16-byte vectors, four at a time: the hardened malloc checks every slot it
// hands out again, so at large sizes this runs at the cache's bandwidth.
inline bool AllZero(const char* from, const char* to) {
  using canary_internal::Load;
  using Vector = uint64_t __attribute__((vector_size(16)));
  auto load = [](const char* a) {
    Vector v;
    memcpy(&v, a, sizeof(v));
    return v;
  };
  const char* a = from;
  Vector any = {0, 0};
  for (; a + 64 <= to; a += 64) {
    any |= (load(a) | load(a + 16)) | (load(a + 32) | load(a + 48));
  }
  for (; a + 16 <= to; a += 16) any |= load(a);
  uint64_t rest = any[0] | any[1];
  if (a < to) rest |= Load(a);
  return rest == 0;
}

// Zeroes [from, to); `from` and `to` 8-byte aligned, at least 8 bytes
// apart. Up to kInlineZeroBytes (a slot of most classes) inline, in 16-byte
// stores that may overlap: no call, so the fast path that fills a released
// slot keeps its registers; memset beyond.
inline constexpr size_t kInlineZeroBytes = 256;
inline void ZeroFill(char* from, char* to) {
  const size_t n = static_cast<size_t>(to - from);
  if (n > kInlineZeroBytes) {
    memset(from, 0, n);
    return;
  }
  if (n < 16) return canary_internal::Store(from, 0);
  using Vector = uint64_t __attribute__((vector_size(16)));
  const Vector zero = {0, 0};
  auto store = [&zero](char* a) { memcpy(a, &zero, sizeof(zero)); };
  store(from);
  store(to - 16);
  if (n <= 32) return;
  store(from + 16);
  store(to - 32);
  for (char* a = from + 32; a < to - 32; a += 32) {
    store(a);
    store(a + 16);
    asm("" : "+r"(a));  // a loop of stores: GCC would call memset
  }
}

// Whether the n bytes at p are all zeros (any alignment and length).
bool IsZero(const char* p, size_t n);

// The first nonzero byte in [from, to), or null (for reports).
const char* FindNonzero(const char* from, const char* to);

}  // namespace guard
}  // namespace slabkit

#endif  // SLABKIT_GUARD_CANARY_H_
