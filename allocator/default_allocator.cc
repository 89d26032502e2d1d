// The process-wide allocators of the C API's flavours.
#include <new>

#include "allocator/allocator.h"

namespace slabkit {

template class SlabAllocator<DefaultConfig>;
template class SlabAllocator<HardenedConfig>;

template <Mitigations kM>
SlabAllocator<FlavourConfig<kM>>& ProcessAllocatorOf() {
  using A = SlabAllocator<FlavourConfig<kM>>;
  // Placement into static storage: no destructor runs at exit, so objects
  // may be released by code that runs after main returns.
  alignas(A) static unsigned char storage[sizeof(A)];
  static A* const allocator = [] {
    A* a = new (storage) A(&DefaultMapperInstance());
    AddProcessAllocator(
        {[](int fd, ReportFormat format, int family) {
           WriteReport(*reinterpret_cast<A*>(storage), FlavourName(kM), fd,
                       format, family);
         },
         [](int fd, ProfileFormat format, ProfileKind kind) {
           reinterpret_cast<A*>(storage)->WriteHeapProfile(fd, format, kind);
         },
         A::kSamples, [] { reinterpret_cast<A*>(storage)->LockForFork(); },
         [] { reinterpret_cast<A*>(storage)->UnlockAfterFork(); },
         [](bool aged) { return reinterpret_cast<A*>(storage)->Decay(aged); }});
    return a;
  }();
  return *allocator;
}

template Allocator& ProcessAllocatorOf<kDefaultMitigations>();
template HardenedAllocator& ProcessAllocatorOf<kHardenedMitigations>();

}  // namespace slabkit
