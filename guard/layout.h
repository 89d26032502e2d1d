// Guard-page layouts: where guard pages go, as Layout policies an allocator
// is composed with (Config::Layout). Each provides
// `static constexpr slab::LayoutParams kParams`.
//
// Every layout keeps a guard between a chunk's metadata and its data and one
// at the chunk's end (slab/chunk.h). The others add guards inside the data.
// A guard is address space that is never committed: it costs no memory and
// no system call, but each guarded span is a kernel mapping of its own
// (docs/safety.md has the costs).
#ifndef SLABKIT_GUARD_LAYOUT_H_
#define SLABKIT_GUARD_LAYOUT_H_

#include <cstddef>

#include "slab/chunk.h"

namespace slabkit {
namespace guard {

// Guards around the metadata and at each chunk's end only.
struct ChunkGuards {
  static constexpr slab::LayoutParams kParams = {};
};

// Also a guard after every span: an overflow that runs off the end of a span
// (64 KiB to 1 MiB of objects) faults instead of reaching the next span.
struct SpanGuards {
  static constexpr slab::LayoutParams kParams = [] {
    slab::LayoutParams p;
    p.span_guards = true;
    return p;
  }();
};

// A guard after every N objects (spans of N objects, each followed by a
// guard page; spans stay at least 64 KiB, which bounds the mappings).
template <size_t N>
struct GuardEvery {
  static_assert(N > 0, "a guard every 0 objects");
  static constexpr slab::LayoutParams kParams = [] {
    slab::LayoutParams p;
    p.span_guards = true;
    p.max_objects_per_span = N;
    return p;
  }();
};

// `Base` plus one state byte per object, which the hardened flavour's
// checks need.
template <typename Base>
struct WithObjectStates {
  static constexpr slab::LayoutParams kParams = [] {
    slab::LayoutParams p = Base::kParams;
    p.object_states = true;
    return p;
  }();
};

}  // namespace guard
}  // namespace slabkit

#endif  // SLABKIT_GUARD_LAYOUT_H_
