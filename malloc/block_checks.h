// The hardened malloc's checks of its slab blocks (Mitigations::kCanaries,
// kFillReleased, kReleaseChecks), kept out of band in the chunk's metadata:
// each object's state byte (held, released, never handed out) also holds the
// family that allocated it, and its size record the size asked for.
//
//   | block: requested bytes | canary ........ | zeros | tail canary |
//   ^ object start            up to kCanaryBytes           kTailCanaryBytes
//
// A released block is all zeros, and is checked to still be when handed out
// again (a write after free; at its end, an underflow of the next block).
// The canary is guard/canary.h's.
//
// The slab checks are inline: they run on malloc's and free's fast paths.
#ifndef SLABKIT_MALLOC_BLOCK_CHECKS_H_
#define SLABKIT_MALLOC_BLOCK_CHECKS_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "guard/canary.h"
#include "guard/object_checks.h"
#include "slab/chunk.h"

namespace slabkit {
namespace malloc {

// How a block was allocated; it must be released by the same family.
enum class Family : uint8_t { kMalloc = 0, kNew = 1, kNewArray = 2 };

// "malloc", "new" or "new[]", with its release: "free", "delete", "delete[]".
const char* AllocatedBy(Family f);
const char* ReleasedBy(Family f);

// Canary bytes after a block's end, at most; and at the end of its slot, so
// that an underflow from the next block is seen.
inline constexpr size_t kCanaryBytes = 64;
inline constexpr size_t kTailCanaryBytes = 16;
// A handed-out block is checked for zeros in full (so calloc need not clear
// it): the cost of a write after free found, at every size.
inline constexpr size_t kFillCheckBytes = size_t{256} << 10;

// The state byte holds the object state (slab::kObjectHeld, ...) in its low
// bits and the family above.
inline constexpr uint8_t kStateMask = 3;
inline constexpr int kFamilyShift = 2;

namespace block_checks_internal {

// The canary regions of a block of `requested` bytes in a slot of `size`
// (at least 8): [requested, head_end) and [tail_begin, size), where
// head_end <= tail_begin (and both are `size` when one region covers the
// slack).
struct Regions {
  size_t head_end;
  size_t tail_begin;
};
inline Regions CanaryRegions(size_t size, size_t requested) {
  if (size - requested <= kCanaryBytes + kTailCanaryBytes) return {size, size};
  return {requested + kCanaryBytes, size - kTailCanaryBytes};
}

// The reports of the inline checks (each aborts), for a block of class
// `id` (its chunk names the class).
[[noreturn]] void ReportWrittenWhileFree(char* slot, size_t slot_size,
                                         uint32_t id);
[[noreturn]] void ReportOverwrittenCanary(char* slot, size_t slot_size,
                                          size_t requested, uint32_t id);
// p held by another family than `family` (its state byte `state`).
[[noreturn]] void ReportSlabRelease(void* p, uint32_t id, uint8_t state,
                                    Family family);
// A sized release of p with a size it was not allocated with.
[[noreturn]] void ReportWrongSize(void* p, uint32_t id);

}  // namespace block_checks_internal

// Where a slab block's records are (its state byte and size record, in its
// chunk's metadata) and its slot's size: from the fast paths' own
// computation, or from a Location.
struct BlockRecord {
  uint8_t* state;
  uint32_t* requested;
  size_t slot_size;
};
inline BlockRecord RecordOf(const slab::Location& loc) {
  return {guard::ObjectState(loc), &loc.chunk->sizes(loc.span)[loc.index],
          loc.chunk->geometry->object_size};
}

// The checks of a slab block of one of malloc's classes (id `id`, for
// reports), p its start. Inline: malloc's fast paths run them from the
// cache's (Cache::Allocate and ReleaseOwned with checks).
class SlabBlockChecks {
 public:
  // A block handed out for `requested` bytes by `family`, its state held:
  // reports a write since it was freed, then notes the size and family and
  // writes the canaries.
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void OnHandOut(void* p,
                                                     const BlockRecord& r,
                                                     size_t requested,
                                                     Family family,
                                                     uint32_t id) {
    using namespace block_checks_internal;
    char* slot = static_cast<char*>(p);
    // Released blocks are zeros: anything else was written after a free. A
    // slot whose size record is 0 was never handed out: fresh from the
    // mapper's Commit, it reads as zeros and is not read (a read would map
    // the zero page, and the program's first write would then fault twice
    // and flush the TLB). A span decommitted by decay keeps its records, so
    // its slots are checked when reused.
    if (ABSL_PREDICT_TRUE(*r.requested != 0) &&
        ABSL_PREDICT_FALSE(!guard::AllZero(slot, slot + r.slot_size))) {
      ReportWrittenWhileFree(slot, r.slot_size, id);
    }
    *r.requested = static_cast<uint32_t>(requested);
    if (family != Family::kMalloc) {
      __atomic_store_n(r.state, HeldBy(family), __ATOMIC_RELAXED);
    }
    WriteCanaries(slot, r.slot_size, requested);
  }

  // A block about to be released by `family`: returns the state byte of a
  // block `family` holds, which the caller exchanges for released; when p's
  // state is not that byte, the caller's release path reports why, and
  // CheckTakeBack a block held by another family. Reads no state: the
  // exchange is the state line's one access (a load before it would take
  // the line shared, then again to write it).
  ABSL_ATTRIBUTE_ALWAYS_INLINE static uint8_t OnTakeBack(Family family) {
    return HeldBy(family);
  }
  static void CheckTakeBack(void* p, const BlockRecord& r, Family family,
                            uint32_t id) {
    const uint8_t state = __atomic_load_n(r.state, __ATOMIC_RELAXED);
    if (ABSL_PREDICT_FALSE(state != HeldBy(family) &&
                           (state & kStateMask) == slab::kObjectHeld)) {
      block_checks_internal::ReportSlabRelease(p, id, state, family);
    }
  }

  // A block just taken back (its state exchanged for released), `sized` the
  // size the caller gave (0: none): reports a size that does not match, or
  // a canary of p's that was overwritten (an overflow of p's, or an
  // underflow of the block after its slot), then fills p with zeros. After
  // the exchange, so that the fill's stores need not drain before it. Each
  // block checks only its own slot, so checks never race with the
  // neighbours' owners.
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void OnTaken(void* p,
                                                   const BlockRecord& r,
                                                   size_t sized, uint32_t id) {
    using namespace block_checks_internal;
    char* slot = static_cast<char*>(p);
    const size_t requested = *r.requested;
    if (ABSL_PREDICT_FALSE(sized != 0 && sized != requested)) {
      ReportWrongSize(p, id);
    }
    if (ABSL_PREDICT_FALSE(!CanariesIntact(slot, r.slot_size, requested))) {
      ReportOverwrittenCanary(slot, r.slot_size, requested, id);
    }
    guard::ZeroFill(slot, slot + r.slot_size);
  }

  // The same for the slow paths, at `loc` (an object start). OnRelease
  // leaves a checked block's state held by malloc (what the slow release
  // path expects).
  static void OnAllocate(void* p, const slab::Location& loc, size_t requested,
                         Family family) {
    OnHandOut(p, RecordOf(loc), requested, family, loc.class_id);
  }
  static void OnRelease(void* p, const slab::Location& loc, Family family,
                        size_t sized) {
    const BlockRecord r = RecordOf(loc);
    CheckTakeBack(p, r, family, loc.class_id);
    const uint8_t held = OnTakeBack(family);
    if (__atomic_load_n(r.state, __ATOMIC_RELAXED) != held) return;
    OnTaken(p, r, sized, loc.class_id);
    if (held != slab::kObjectHeld) {
      __atomic_store_n(r.state, slab::kObjectHeld, __ATOMIC_RELAXED);
    }
  }

  // The size p was asked for (a held block).
  static size_t Requested(const slab::Location& loc) {
    return *RecordOf(loc).requested;
  }

  // The held block p now holds `requested` bytes in the same slot (realloc
  // in place): new bytes read as zeros, the canaries move.
  static void OnResize(void* p, const slab::Location& loc, size_t requested);

 private:
  // The state byte of a block `family` holds.
  static constexpr uint8_t HeldBy(Family family) {
    return static_cast<uint8_t>(slab::kObjectHeld |
                                (uint8_t(family) << kFamilyShift));
  }
  // The canaries of a block of `requested` bytes in a slot of `size`
  // (CanaryRegions), whose end is 8-byte aligned.
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void WriteCanaries(char* slot,
                                                         size_t size,
                                                         size_t requested) {
    using namespace block_checks_internal;
    const uint64_t pattern = guard::CanaryPattern(slot);
    const Regions r = CanaryRegions(size, requested);
    if (ABSL_PREDICT_TRUE(r.head_end == size)) {
      return guard::WriteCanary<true>(pattern, slot + requested, slot + size);
    }
    guard::WriteCanary(pattern, slot + requested, slot + r.head_end);
    guard::WriteCanary<true>(pattern, slot + r.tail_begin, slot + size);
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE static bool CanariesIntact(const char* slot,
                                                          size_t size,
                                                          size_t requested) {
    using namespace block_checks_internal;
    const uint64_t pattern = guard::CanaryPattern(slot);
    const Regions r = CanaryRegions(size, requested);
    if (ABSL_PREDICT_TRUE(r.head_end == size)) {
      return guard::CanaryDiff<true>(pattern, slot + requested, slot + size) ==
             0;
    }
    return (guard::CanaryDiff(pattern, slot + requested, slot + r.head_end) |
            guard::CanaryDiff<true>(pattern, slot + r.tail_begin,
                                    slot + size)) == 0;
  }
};

// Reports p, of `class_name` (id `id`), allocated by one family and
// released by another.
[[noreturn]] void ReportMismatchedRelease(const void* p, const char* class_name,
                                          uint32_t id, Family allocated_by,
                                          Family released_by);

// For blocks outside slab slots (malloc's large blocks, sampled objects):
// the canary in the up to kCanaryBytes after `requested` bytes at `block`,
// within `room` bytes that the block may use.
void WriteCanaryAfter(char* block, size_t requested, size_t room);
bool CanaryIntactAfter(const char* block, size_t requested, size_t room);
void ClearCanaryAfter(char* block, size_t requested, size_t room);

}  // namespace malloc
}  // namespace slabkit

#endif  // SLABKIT_MALLOC_BLOCK_CHECKS_H_
