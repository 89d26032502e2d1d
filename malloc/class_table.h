// SizeClassTable: what malloc's fast paths read to go from a request's size
// (or a freed address's page-map entry) to a slab class, and the
// registration of malloc's size classes that fills it.
#ifndef SLABKIT_MALLOC_CLASS_TABLE_H_
#define SLABKIT_MALLOC_CLASS_TABLE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "allocator/class_config.h"
#include "malloc/size_classes.h"
#include "slab/page_map.h"

namespace slabkit {
namespace malloc {

// "malloc_<size>": the name of class `index`, in `out` (16 bytes).
void ClassName(int index, char* out);

// All zero until malloc's classes are registered, so that a fast path that
// runs first finds class id 0, which no cache entry serves.
struct SizeClassTable {
  // Lookup index -> class id, or 0 for a class no thread-cache entry serves
  // (its id at or above the cache's kCachedIds, at most 256): a byte, so that
  // the fast path needs no bound check before indexing the thread's table.
  uint8_t class_id[kLookupEntries];
  uint32_t ids[kNumClasses];  // class index -> class id
  // Page-map entry -> 1 when it is one of malloc's classes and cached per
  // thread (so free's fast path may take it).
  uint8_t fast_free[1 << 16];
  uint8_t index_of[slab::kMaxClasses];  // class id -> index + 1, 0: not ours
  int registered;                       // classes registered so far

  // Registers malloc's classes in `allocator` (a SlabAllocator), resuming
  // where a failed call stopped, so that no class is registered twice; then
  // fills the lookup table. False when a registration fails.
  template <typename Allocator>
  bool RegisterClasses(Allocator& allocator);
};

template <typename Allocator>
bool SizeClassTable::RegisterClasses(Allocator& allocator) {
  using Cache = typename Allocator::Cache;
  for (; registered < kNumClasses; ++registered) {
    const int c = registered;
    char name[16];
    ClassName(c, name);
    ClassConfig config;
    config.name = name;
    config.size = kClassSizes[c];
    // Depots hold about 1 MiB of full magazines per class, so large classes
    // do not sit on tens of MiB.
    const size_t magazine_bytes =
        size_t{Cache::MagazineCapacity(config.size)} * config.size;
    if (magazine_bytes != 0) {
      config.depot_magazines = static_cast<uint32_t>(
          std::clamp<size_t>((size_t{1} << 20) / magazine_bytes, 2, 16));
    }
    absl::StatusOr<ClassId> id = allocator.Register(config);
    if (!id.ok()) return false;
    ids[c] = id->value;
    index_of[id->value] = static_cast<uint8_t>(c + 1);
    if (id->value < Cache::kCachedIds) fast_free[id->value] = 1;
  }
  static_assert(Cache::kCachedIds <= 256, "class_id holds cached ids");
  for (size_t i = 0; i < kLookupEntries; ++i) {
    const uint32_t id = ids[kLookup[i]];
    class_id[i] = static_cast<uint8_t>(id < Cache::kCachedIds ? id : 0);
  }
  // malloc(0) (lookup index 0 alone) names no class: the fast path, finding
  // no cache entry, sends it to the slow path, for a zero-size block.
  class_id[LookupIndex(0)] = 0;
  return true;
}

}  // namespace malloc
}  // namespace slabkit

#endif  // SLABKIT_MALLOC_CLASS_TABLE_H_
