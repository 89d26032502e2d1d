// The hardened malloc's checks of its slab blocks (Mitigations::kCanaries,
// kFillReleased, kReleaseChecks), kept out of band in the chunk's metadata:
// each object's state byte (held, released, never handed out) also holds the
// family that allocated it, and its size record the size asked for.
//
//   | block: requested bytes | canary ........ | zeros | tail canary |
//   ^ object start            up to kCanaryBytes           kTailCanaryBytes
//
// A released block is all zeros, and is checked to still be when handed out
// again (a write after free; at its end, an underflow of the next block). The canary is a pattern keyed by the process's secret and the
// address, so that an overflow cannot write it back by chance.
#ifndef SLABKIT_MALLOC_BLOCK_CHECKS_H_
#define SLABKIT_MALLOC_BLOCK_CHECKS_H_

#include <cstddef>
#include <cstdint>

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

// For an object start `loc` (not a sampled object) of malloc's class
// `index`, whose id is `id` (for diagnostics). Each report aborts.
class SlabBlockChecks {
 public:
  // A block handed out for `requested` bytes by `family`: reports a write
  // since it was freed, then notes the size and family and writes the
  // canaries.
  static void OnAllocate(void* p, const slab::Location& loc, size_t requested,
                         Family family, int index, uint32_t id);

  // A block about to be released by `family`, `sized` the size the caller
  // gave (0: none). Returns false, checking nothing, when p is not a held
  // block (the release path then says what it is). Otherwise reports a
  // family or size that does not match, or a canary of p's that was
  // overwritten (an overflow of p's, or an underflow of the block after its
  // slot); then fills p with zeros and leaves its state held by malloc (what
  // the fast path expects). Each block checks only its own slot, so checks
  // never race with the neighbours' owners.
  static bool OnRelease(void* p, const slab::Location& loc, Family family,
                        size_t sized, int index, uint32_t id);

  // The size p was asked for (a held block).
  static size_t Requested(const slab::Location& loc);

  // The held block p now holds `requested` bytes in the same slot (realloc
  // in place): new bytes read as zeros, the canaries move.
  static void OnResize(void* p, const slab::Location& loc, size_t requested);
};

// Reports p, of `class_name` (id `id`), allocated by one family and
// released by another.
[[noreturn]] void ReportMismatchedRelease(const void* p, const char* class_name,
                                          uint32_t id, Family allocated_by,
                                          Family released_by);

// For blocks outside slab slots (malloc's large blocks): the canary in the
// up to kCanaryBytes after `requested` bytes at `block`, within `room` bytes
// that the block may use.
void WriteCanaryAfter(char* block, size_t requested, size_t room);
bool CanaryIntactAfter(const char* block, size_t requested, size_t room);
void ClearCanaryAfter(char* block, size_t requested, size_t room);

}  // namespace malloc
}  // namespace slabkit

#endif  // SLABKIT_MALLOC_BLOCK_CHECKS_H_
