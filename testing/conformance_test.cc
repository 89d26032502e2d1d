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
#include "mapper/default_instance.h"

namespace slabkit {
namespace conformance {
namespace {

template <typename M>
using Direct = Compose<M, Mitigations::kNone, SlabTransferCounts, DirectCache>;
template <typename M>
using Magazines = Compose<M>;
template <typename M>
using Hardened = Compose<M, kHardenedMitigations>;
template <typename M>
using Spaced = Compose<M, Mitigations::kNone, NoSlabTransferCounts,
                       MagazineCache, guard::GuardEvery<16>>;

using Subjects = ::testing::Types<
    Subject<Direct<MmapMapper>>, Subject<Magazines<MmapMapper>>,
    Subject<Hardened<MmapMapper>>, Subject<Spaced<MmapMapper>>,
    Subject<Direct<ThpMapper>>, Subject<Magazines<ThpMapper>>,
    Subject<Hardened<ThpMapper>>, Subject<Direct<FileMapper>>,
    Subject<Magazines<FileMapper>>, Subject<Hardened<FileMapper>>,
    Subject<Direct<FixedRegionMapper>>, Subject<Magazines<FixedRegionMapper>>,
    Subject<Hardened<FixedRegionMapper>>, Subject<Magazines<DefaultMapper>>,
    Subject<Hardened<DefaultMapper>>>;
INSTANTIATE_TYPED_TEST_SUITE_P(Shipped, AllocatorConformance, Subjects);

}  // namespace
}  // namespace conformance
}  // namespace slabkit
