// Guard-page layouts: where guard pages go, as Layout policies an allocator
// is composed with (Config::Layout). Each provides
// `static constexpr slab::LayoutParams kParams` (CheckLayout below checks);
// the Config's mitigations may add to it (LayoutWith).
//
// Every layout keeps a guard between a chunk's metadata and its data and one
// at the chunk's end (slab/chunk.h). The others add guards inside the data.
// A guard is address space that is never committed: it costs no memory and
// no system call, but each guarded span is a kernel mapping of its own
// (docs/safety.md has the costs).
#ifndef SLABKIT_GUARD_LAYOUT_H_
#define SLABKIT_GUARD_LAYOUT_H_

#include <cstddef>
#include <type_traits>

#include "policy/mitigations.h"
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

// Mitigations::kPageGuards: objects this large get a guard page each.
inline constexpr size_t kGuardEachObjectFrom = 4096;

// The layout an allocator with `mitigations` uses: its Layout policy's,
// with what the mitigations add (a state byte per object, a guard after
// every span).
constexpr slab::LayoutParams LayoutWith(slab::LayoutParams params,
                                        Mitigations mitigations) {
  if (Has(mitigations, Mitigations::kObjectStates)) params.object_states = true;
  if (Has(mitigations, Mitigations::kSpanGuards)) params.span_guards = true;
  if (Has(mitigations, Mitigations::kPageGuards)) {
    params.guard_each_object_from = kGuardEachObjectFrom;
  }
  if (Has(mitigations, Mitigations::kCanaries)) params.object_sizes = true;
  return params;
}

namespace layout_internal {
template <typename L, typename = void>
struct HasParams : std::false_type {};
template <typename L>
struct HasParams<L, std::enable_if_t<std::is_same_v<decltype(L::kParams),
                                                    const slab::LayoutParams>>>
    : std::true_type {};
}  // namespace layout_internal

// True when L is a Layout policy; otherwise fails to compile, saying what is
// missing. Use: static_assert(guard::CheckLayout<L>()).
template <typename L>
constexpr bool CheckLayout() {
  static_assert(layout_internal::HasParams<L>::value,
                "Layout policy: needs static constexpr slab::LayoutParams "
                "kParams");
  return true;
}

}  // namespace guard
}  // namespace slabkit

#endif  // SLABKIT_GUARD_LAYOUT_H_
