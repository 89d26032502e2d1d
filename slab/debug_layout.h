// What a debugger needs to read slabkit's memory without debug information
// (tools/gdb/slabkit.py): the page map's address and the offsets of the
// chunk header and geometry fields it reads, as one exported array of
// 64-bit words, `slabkit_debug_layout`. Works on a live process and on a
// core file alike, since reading it needs no call into the process.
//
// The order of the words is the DebugLayoutWord enum; a change to it bumps
// kDebugLayoutVersion (the script refuses a version it does not know).
#ifndef SLABKIT_SLAB_DEBUG_LAYOUT_H_
#define SLABKIT_SLAB_DEBUG_LAYOUT_H_

#include <cstdint>

namespace slabkit {
namespace slab {

inline constexpr uint64_t kDebugLayoutMagic = 0x736c61626b697431;  // "slabkit1"
inline constexpr uint64_t kDebugLayoutVersion = 1;

enum DebugLayoutWord {
  kLayoutMagic,
  kLayoutVersion,
  kLayoutPageMap,  // address of the page map's uint16_t entries
  kLayoutChunkShift,
  kLayoutAddressBits,
  kLayoutGuardedFlag,
  kLayoutLargeEntry,
  kLayoutZeroSizeEntry,
  kLayoutChunkGeometry,   // ChunkHeader::geometry
  kLayoutChunkClassName,  // ChunkHeader::class_name
  kLayoutChunkSpansOpened,
  kLayoutObjectSize,  // ClassGeometry::...
  kLayoutObjectsPerSpan,
  kLayoutSpanShift,
  kLayoutNumSpans,
  kLayoutDataOffset,
  kLayoutStateOffset,
  kLayoutBitmapOffset,
  kLayoutBitmapWords,
  kLayoutWords,
};

}  // namespace slab
}  // namespace slabkit

#endif  // SLABKIT_SLAB_DEBUG_LAYOUT_H_
