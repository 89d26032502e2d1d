// What every path that trusts an address the program hands back checks
// first (a release, and malloc's realloc, free_sized and
// malloc_usable_size): whose it is and whether it is an object's start. One
// place for the class API and malloc. Each report aborts (guard/report.h).
#ifndef SLABKIT_GUARD_OBJECT_CHECKS_H_
#define SLABKIT_GUARD_OBJECT_CHECKS_H_

#include <cstdint>

#include "absl/base/optimization.h"
#include "guard/report.h"
#include "guard/sampled.h"
#include "slab/chunk.h"

namespace slabkit {
namespace guard {

// Reports `p`, which Locate() found outside class `name` (id `id`): an
// address slabkit does not manage, one of another class (named), or a
// malloc large or zero-size block.
[[noreturn]] inline void ReportForeign(const void* p, const slab::Location& loc,
                                       const char* name, uint32_t id) {
  if (loc.large) {
    ReportMisuse(Misuse::kWrongClass, p, name, id, "malloc large allocation",
                 0);
  }
  if (loc.zero_size) {
    ReportMisuse(Misuse::kWrongClass, p, name, id, "malloc zero-size block", 0);
  }
  if (loc.class_id == 0) ReportMisuse(Misuse::kUnmanaged, p, name, id);
  ReportMisuse(Misuse::kWrongClass, p, name, id, OwnerName(p, loc),
               loc.class_id);
}

// Reports `p` unless it is the start of an object of its chunk. A sampled
// object's pool checks its own (loc.guarded).
inline void CheckObjectStart(const void* p, const slab::Location& loc,
                             const char* name, uint32_t id) {
  if (ABSL_PREDICT_FALSE(!loc.guarded && !loc.object_start)) {
    ReportMisuse(Misuse::kInterior, p, name, id);
  }
}

// The state byte of the object at `loc` (an object start in a chunk of an
// object-state layout); accessed with relaxed atomics.
inline uint8_t* ObjectState(const slab::Location& loc) {
  return &loc.chunk->states(loc.span)[loc.index];
}

}  // namespace guard
}  // namespace slabkit

#endif  // SLABKIT_GUARD_OBJECT_CHECKS_H_
