// The default compositions, fast and hardened, and their process-wide
// allocators: what //allocator gives its users and what the C API
// (c_api/slabkit.h) runs on.
#ifndef SLABKIT_ALLOCATOR_ALLOCATOR_H_
#define SLABKIT_ALLOCATOR_ALLOCATOR_H_

// clang-format off
#include "base/language.h"  // first: C++17, or an #error naming the flag
// clang-format on

#include "allocator/class_config.h"
#include "allocator/decay.h"
#include "allocator/flavour.h"
#include "allocator/policies.h"
#include "allocator/process.h"
#include "allocator/slab_allocator.h"
#include "guard/layout.h"
#include "mapper/default_instance.h"
#include "mapper/registry.h"
#include "stats/report.h"

namespace slabkit {

// The flavours: the build's default mapper (--//mapper:default), the
// default layout, per-thread magazines and counts of slab transfers, with
// the given mitigations.
// The Config of a flavour's process-wide allocator: its slow paths drive
// decay (allocator/decay.h).
template <Mitigations kM>
struct FlavourConfig : Compose<DefaultMapper, kM> {
  static void NoteSlowPath() { NoteDecaySlowPath(); }
};

// The fast flavour (allocations sampled for heap profiles), and the hardened
// one: the same parts, with a guard page after every span, a state byte per
// object (so that every double free and every release of a slot never
// handed out is caught on the spot), released samples made inaccessible,
// and the rest of docs/safety.md.
using DefaultConfig = FlavourConfig<kDefaultMitigations>;
using HardenedConfig = FlavourConfig<kHardenedMitigations>;

using Allocator = SlabAllocator<DefaultConfig>;
using HardenedAllocator = SlabAllocator<HardenedConfig>;

// Both are instantiated once, optimized, in default_allocator.cc. A caller
// compiled without optimization (Bazel's fastbuild) calls those copies of
// Allocate and Release instead of instantiating its own at -O0; an
// optimized caller still inlines them.
extern template class SlabAllocator<DefaultConfig>;
extern template class SlabAllocator<HardenedConfig>;

// The process-wide allocator of a flavour, over DefaultMapperInstance():
// what the C API of that flavour runs on. Built on first use, never
// destroyed (objects may be released during exit). Defined for
// kDefaultMitigations and kHardenedMitigations.
template <Mitigations kM>
SlabAllocator<FlavourConfig<kM>>& ProcessAllocatorOf();

// The fast flavour's, and the hardened flavour's (its classes are its own).
inline Allocator& DefaultAllocator() {
  return ProcessAllocatorOf<kDefaultMitigations>();
}
inline HardenedAllocator& DefaultHardenedAllocator() {
  return ProcessAllocatorOf<kHardenedMitigations>();
}

}  // namespace slabkit

#endif  // SLABKIT_ALLOCATOR_ALLOCATOR_H_
