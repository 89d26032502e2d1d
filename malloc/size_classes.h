// The size classes of slabkit's malloc: which slab class serves a request of
// n bytes, with which alignment.
//
// 53 classes, as jemalloc spaces them: 8, then every 16 bytes to 128, then
// four classes per doubling (2^k + j * 2^(k-2), j = 1..4) up to 256 KiB.
// Above 128 bytes a request wastes at most 20% of its class (the gap
// between neighbours is a quarter of the lower power of two) and 10% on
// average for sizes spread evenly; docs/malloc.md has the table. Larger
// requests are not classed: they get their own mapping (large.h).
#ifndef SLABKIT_MALLOC_SIZE_CLASSES_H_
#define SLABKIT_MALLOC_SIZE_CLASSES_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/base/attributes.h"
#include "absl/numeric/bits.h"
#include "slab/chunk.h"

namespace slabkit {
namespace malloc {

inline constexpr int kNumClasses = 53;
// The largest classed request; the largest object a slab class holds.
inline constexpr size_t kMaxSmallSize = size_t{256} << 10;
static_assert(kMaxSmallSize == slab::kMaxObjectSize);

// Requests up to this size are classed by one table load.
inline constexpr size_t kLookupMax = 1024;
inline constexpr size_t kLookupEntries = kLookupMax / 8 + 1;

constexpr std::array<uint32_t, kNumClasses> MakeClassSizes() {
  std::array<uint32_t, kNumClasses> sizes{};
  int i = 0;
  sizes[i++] = 8;
  for (uint32_t s = 16; s <= 128; s += 16) sizes[i++] = s;
  for (uint32_t base = 128; base < kMaxSmallSize; base *= 2) {
    for (uint32_t j = 1; j <= 4; ++j) sizes[i++] = base + j * (base / 4);
  }
  return sizes;
}

// Class index -> bytes per object (every class's size is a multiple of 16
// but the first, and its objects are aligned to the largest power of two
// dividing the size, up to the page size: see AlignedSizeClass).
inline constexpr std::array<uint32_t, kNumClasses> kClassSizes =
    MakeClassSizes();
static_assert(kClassSizes[kNumClasses - 1] == kMaxSmallSize);

// The lookup table: (n + 7) / 8 -> class index, for n <= kLookupMax.
constexpr std::array<uint8_t, kLookupEntries> MakeLookup() {
  std::array<uint8_t, kLookupEntries> table{};
  int c = 0;
  for (size_t i = 0; i < kLookupEntries; ++i) {
    while (kClassSizes[c] < i * 8) ++c;
    table[i] = static_cast<uint8_t>(c);
  }
  return table;
}
inline constexpr std::array<uint8_t, kLookupEntries> kLookup = MakeLookup();

ABSL_ATTRIBUTE_ALWAYS_INLINE constexpr size_t LookupIndex(size_t n) {
  return (n + 7) >> 3;
}

// The smallest class holding n bytes (n <= kMaxSmallSize; 0 is classed as
// 1).
constexpr int SizeClass(size_t n) {
  if (n <= kLookupMax) return kLookup[LookupIndex(n)];
  // n - 1 in [2^k, 2^(k+1)): the class is 2^k + j * 2^(k-2), j in 1..4.
  const int k = static_cast<int>(absl::bit_width(n - 1)) - 1;
  const size_t j = ((n - 1 - (size_t{1} << k)) >> (k - 2)) + 1;
  // Classes up to 1024 (k = 9) number 21; each doubling adds four.
  return 21 + (k - 10) * 4 + static_cast<int>(j) - 1;
}

// The smallest class holding n bytes whose objects are all aligned to
// `alignment` (a power of two up to `page_size`): its size is a multiple of
// the alignment, and spans start on page boundaries. -1 when no class holds
// n bytes so aligned (a large allocation then).
constexpr int AlignedSizeClass(size_t n, size_t alignment,
                               size_t page_size = 4096) {
  if (n > kMaxSmallSize || alignment > page_size) return -1;
  int c = SizeClass(n < alignment ? alignment : n);
  while (c < kNumClasses && kClassSizes[c] % alignment != 0) ++c;
  return c < kNumClasses ? c : -1;
}

}  // namespace malloc
}  // namespace slabkit

#endif  // SLABKIT_MALLOC_SIZE_CLASSES_H_
