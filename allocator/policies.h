// What a SlabAllocator is composed from, besides its mapper, and Compose,
// which writes a Config in one line. Each policy is a plain struct checked
// at compile time (policy/cache.h, policy/stats.h, guard/layout.h): no
// virtual calls.
//
// A Config is a struct with
//   Mapper                     a mapper (mapper/mapper.h): the default
//                              memory source for classes that name none, and
//                              the source of the allocator's own metadata;
//   kMitigations               the hardening it carries
//                              (policy/mitigations.h);
//   Stats                      what is counted of slab transfers
//                              (policy/stats.h);
//   template <class C> Cache   what sits in front of each class's locked
//                              slab, given the Config (policy/cache.h);
//   Layout                     chunk layout parameters (guard/layout.h), to
//                              which the mitigations add.
// Allocators of two Config types never share per-thread cache entries.
#ifndef SLABKIT_ALLOCATOR_POLICIES_H_
#define SLABKIT_ALLOCATOR_POLICIES_H_

#include "guard/layout.h"
#include "magazine/magazine_cache.h"
#include "policy/cache.h"
#include "policy/mitigations.h"
#include "policy/stats.h"

namespace slabkit {

using DefaultLayout = guard::ChunkGuards;

// A Config from its parts, for compositions that need nothing more:
// SlabAllocator<Compose<FixedRegionMapper>>, or with the hardened flavour's
// mitigations, Compose<FixedRegionMapper, kHardenedMitigations>.
template <typename MapperT, Mitigations kM = Mitigations::kNone,
          typename StatsT = SlabTransferCounts,
          template <typename> class CacheT = MagazineCache,
          typename LayoutT = DefaultLayout>
struct Compose {
  using Mapper = MapperT;
  static constexpr Mitigations kMitigations = kM;
  using Stats = StatsT;
  template <typename C>
  using Cache = CacheT<C>;
  using Layout = LayoutT;
};

}  // namespace slabkit

#endif  // SLABKIT_ALLOCATOR_POLICIES_H_
