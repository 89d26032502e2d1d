// The default composition: what //allocator gives its users and what the C
// API (c_api/slabkit.h) runs on.
#ifndef SLABKIT_ALLOCATOR_ALLOCATOR_H_
#define SLABKIT_ALLOCATOR_ALLOCATOR_H_

#include "allocator/class_config.h"
#include "allocator/policies.h"
#include "allocator/slab_allocator.h"
#include "guard/layout.h"
#include "mapper/registry.h"

namespace slabkit {

// The build's default mapper (--//mapper:default), the default layout,
// per-thread magazines, and per-class counters.
struct DefaultConfig
    : Compose<DefaultMapper, CountingStats, MagazineCache, DefaultLayout> {};

using Allocator = SlabAllocator<DefaultConfig>;

// The hardened flavour: the same parts, plus a guard page after every span
// and a state byte per object, so that every double free and every release
// of a slot never handed out is caught on the spot (docs/safety.md).
struct HardenedConfig
    : Compose<DefaultMapper, CountingStats, HardenedMagazineCache,
              guard::WithObjectStates<guard::SpanGuards>> {};

using HardenedAllocator = SlabAllocator<HardenedConfig>;

// The process-wide allocator over DefaultMapperInstance(). Built on first
// use, never destroyed (objects may be released during exit).
Allocator& DefaultAllocator();

// The process-wide hardened allocator (its classes are its own).
HardenedAllocator& DefaultHardenedAllocator();

// Returns the calling thread's cached objects, of every class, to their
// depots (a thread does this by itself when it exits).
inline void FlushThreadCache() { magazine::FlushThread(); }

}  // namespace slabkit

#endif  // SLABKIT_ALLOCATOR_ALLOCATOR_H_
