// The conformance suite over every composition slabkit ships: three cache
// and layout flavours on each built-in mapper, and the process-wide
// allocators' own configurations.
#include "testing/conformance.h"

#include "allocator/allocator.h"
#include "guard/layout.h"
#include "mapper/file_mapper.h"
#include "mapper/fixed_region_mapper.h"
#include "mapper/mmap_mapper.h"
#include "mapper/thp_mapper.h"

namespace slabkit {
namespace conformance {
namespace {

template <typename M>
using Direct = Compose<M, CountingStats, DirectCache>;
template <typename M>
using Magazines = Compose<M, CountingStats, MagazineCache>;
template <typename M>
using Hardened = Compose<M, CountingStats, HardenedMagazineCache,
                         guard::WithObjectStates<guard::SpanGuards>>;
template <typename M>
using Spaced = Compose<M, NoStats, MagazineCache, guard::GuardEvery<16>>;

using Subjects = ::testing::Types<
    Subject<Direct<MmapMapper>>, Subject<Magazines<MmapMapper>>,
    Subject<Hardened<MmapMapper>>, Subject<Spaced<MmapMapper>>,
    Subject<Direct<ThpMapper>>, Subject<Magazines<ThpMapper>>,
    Subject<Hardened<ThpMapper>>, Subject<Direct<FileMapper>>,
    Subject<Magazines<FileMapper>>, Subject<Hardened<FileMapper>>,
    Subject<Direct<FixedRegionMapper>>, Subject<Magazines<FixedRegionMapper>>,
    Subject<Hardened<FixedRegionMapper>>, Subject<DefaultConfig>,
    Subject<HardenedConfig>>;
INSTANTIATE_TYPED_TEST_SUITE_P(Shipped, AllocatorConformance, Subjects);

}  // namespace
}  // namespace conformance
}  // namespace slabkit
