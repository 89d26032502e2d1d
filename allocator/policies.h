// The policies a SlabAllocator is composed from, besides its mapper. Each is
// a plain struct checked at compile time: no virtual calls.
#ifndef SLABKIT_ALLOCATOR_POLICIES_H_
#define SLABKIT_ALLOCATOR_POLICIES_H_

#include <algorithm>
#include <cstdint>

#include "guard/layout.h"
#include "magazine/magazine_cache.h"
#include "slab/chunk.h"

namespace slabkit {

// Layout policy: `static constexpr slab::LayoutParams kParams`, the chunk
// layout every class of the allocator uses.
using DefaultLayout = guard::ChunkGuards;

// Cache policy: what sits between the API and a class's locked slab; see
// magazine/magazine_cache.h for the interface. MagazineCache (per-thread
// magazines and a depot) is the default; DirectCache caches nothing.

// Stats policy: `struct PerClass` with OnAllocate(), OnRelease() and
// allocations(), releases(), peak_live(); called under the class lock.
struct CountingStats {
  struct PerClass {
    uint64_t allocations_ = 0;
    uint64_t releases_ = 0;
    uint64_t peak_live_ = 0;

    void OnAllocate() {
      ++allocations_;
      peak_live_ = std::max(peak_live_, allocations_ - releases_);
    }
    void OnRelease() { ++releases_; }
    uint64_t allocations() const { return allocations_; }
    uint64_t releases() const { return releases_; }
    uint64_t peak_live() const { return peak_live_; }
  };
};

// Counts nothing: the counters read as zero.
struct NoStats {
  struct PerClass {
    void OnAllocate() {}
    void OnRelease() {}
    uint64_t allocations() const { return 0; }
    uint64_t releases() const { return 0; }
    uint64_t peak_live() const { return 0; }
  };
};

// A SlabAllocator Config from its policies, for compositions that need
// nothing more: SlabAllocator<Compose<FixedRegionMapper, NoStats>>.
template <typename MapperT, typename StatsT = CountingStats,
          typename CacheT = MagazineCache, typename LayoutT = DefaultLayout>
struct Compose {
  using Mapper = MapperT;
  using Layout = LayoutT;
  using Cache = CacheT;
  using Stats = StatsT;
};

}  // namespace slabkit

#endif  // SLABKIT_ALLOCATOR_POLICIES_H_
