// The layout of a chunk: out-of-band metadata, guard pages, and spans carved
// into objects of one class. Also Locate(): from any address to its class,
// span and object, in O(1) and without locks.
//
//   chunk base (kChunkSize-aligned)
//   | ChunkHeader | SpanMeta x num_spans | bitmaps | states | metadata,
//   |                                                          | committed
//   | guard pages                                    | never accessible
//   | span 0 | span 1 | ... | span num_spans-1       | committed as opened
//   | unused tail | guard pages                      | never accessible
//
// (states: one byte per object, in layouts with object_states.)
//
// A span is 2^span_shift bytes of address space holding objects_per_span
// objects back to back; only the pages that hold objects are committed. No
// object straddles a span, and nothing but the program's data is ever stored
// in object memory.
#ifndef SLABKIT_SLAB_CHUNK_H_
#define SLABKIT_SLAB_CHUNK_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "slab/page_map.h"

namespace slabkit {
namespace slab {

// Objects are at least this large (smaller sizes are padded).
inline constexpr size_t kMinObjectSize = 8;
// The largest object a class may hold.
inline constexpr size_t kMaxObjectSize = size_t{256} << 10;
// Objects at least this large get it as default alignment; smaller ones the
// smallest power of two that holds them.
inline constexpr size_t kDefaultMaxAlignment = 16;

// Chunk layout choices, fixed per allocator (its Layout policy).
struct LayoutParams {
  // Guard pages after the metadata and at the end of the chunk.
  size_t guard_pages = 1;
  // Span sizes tried, powers of two: the smallest whose tail waste is at most
  // 1/8 of the span wins, else the largest.
  size_t min_span_bytes = size_t{64} << 10;
  size_t max_span_bytes = size_t{1} << 20;
  // A guard after every span: at least one page that is never committed
  // between a span's last object and the next span, so an overflow out of a
  // span faults. It costs address space, not memory, and one kernel mapping
  // per opened span.
  bool span_guards = false;
  // With span_guards: at most this many objects between guards (0: as many
  // as the span holds). Spans stay at least min_span_bytes, which bounds the
  // mappings guards cost.
  size_t max_objects_per_span = 0;
  // One state byte per object in the chunk's metadata (handed out or not),
  // for the hardened flavour's double-free detection.
  bool object_states = false;
  // Objects of at least this many bytes (0: none) each have a span of their
  // own, at its start, followed by its guard: an overflow off such an
  // object's end, or an underflow before its start (the previous span's
  // guard), faults. Costs a kernel mapping per object.
  size_t guard_each_object_from = 0;
  // One 32-bit record per object in the chunk's metadata (the requested size
  // of a malloc block), for canaries.
  bool object_sizes = false;
};

// Everything about a class's chunks that follows from its size, alignment,
// page size and layout. Computed once at registration; immutable.
struct ClassGeometry {
  size_t object_size;  // stride between objects (>= requested size)
  size_t alignment;    // every object's address is a multiple
  size_t objects_per_span;
  size_t span_shift;    // log2 of a span's address-space size
  size_t num_spans;     // spans per chunk
  size_t bitmap_words;  // 64-bit free-bitmap words per span
  size_t page_size;
  size_t guard_bytes;        // each of the two guard areas
  size_t meta_bytes;         // committed metadata at the chunk base
  size_t bitmap_offset;      // bitmaps' offset from the chunk base
  size_t data_offset;        // span 0's offset from the chunk base
  size_t span_commit_bytes;  // pages committed when a span opens
  size_t span_guard_bytes;   // never committed after them (span_guards)
  size_t state_offset;       // object state bytes' offset (0: none)
  size_t size_offset;        // object size records' offset (0: none)
  // floor(2^64 / object_size) + 1 (after Lemire, Kaser and Kurz, 2019).
  // With e = object_size * magic - 2^64 (1 <= e <= object_size), an offset
  // in a span n = k * object_size + r (r < object_size) has
  //   n * magic = k * 2^64 + (k * e + r * magic),
  // the second term below 2^64 (for n < 2^32 and objects up to
  // kMaxObjectSize, since r * magic <= 2^64 - 2^64 / object_size +
  // object_size and k * e <= n): the product's high half is the object index
  // k, and its low half is k * e for an object start and at least magic
  // otherwise.
  uint64_t divisor_magic;
  // objects_per_span * e: an offset n in a span is the start of one of its
  // objects exactly when the low half of n * divisor_magic is below this
  // (one multiply and one compare: an object start, and not in the span's
  // tail).
  uint64_t start_limit;

  size_t span_bytes() const { return size_t{1} << span_shift; }
};

// An offset within a span (below 2^32) divided by the object size with the
// class's divisor_magic: the whole product's high half is the index of the
// object the offset falls in, and its low half tells an object start
// (IsStartInSpan).
inline unsigned __int128 OffsetProduct(uint64_t in_span,
                                       uint64_t divisor_magic) {
  return static_cast<unsigned __int128>(in_span) * divisor_magic;
}
inline uint64_t ObjectIndex(unsigned __int128 product) {
  return static_cast<uint64_t>(product >> 64);
}
// Whether the offset is the start of one of the span's objects (below
// objects_per_span), from the product or from the offset alone (one 64-bit
// multiply, when the index is not needed); see start_limit.
inline bool IsStartInSpan(unsigned __int128 product, uint64_t start_limit) {
  return static_cast<uint64_t>(product) < start_limit;
}
inline bool IsStartInSpanOffset(uint64_t in_span, uint64_t divisor_magic,
                                uint64_t start_limit) {
  return in_span * divisor_magic < start_limit;
}

// Object states (Mitigations::kObjectStates), one byte per object in the
// chunk's metadata. Accessed with relaxed atomics: each byte is its own
// object's, and only its value matters.
inline constexpr uint8_t kObjectNeverHeld = 0;  // never handed out
inline constexpr uint8_t kObjectHeld = 1;       // the program holds it
inline constexpr uint8_t kObjectReleased = 2;   // released since

// The alignment `alignment == 0` stands for, for objects of `size` bytes.
size_t DefaultAlignment(size_t size);

// Validates a class's shape and computes its geometry. InvalidArgument (with
// a message naming the limit) for size 0 or above kMaxObjectSize, an
// alignment that is not a power of two or exceeds the page size, or layout
// parameters that cannot hold the object.
absl::StatusOr<ClassGeometry> ComputeGeometry(size_t size, size_t alignment,
                                              size_t page_size,
                                              const LayoutParams& params);

// Per-span metadata, in the chunk's metadata area. 32 bytes.
struct SpanMeta {
  uint32_t carved;      // objects [0, carved) were handed out at least once
  uint32_t free_count;  // bits set in the span's free bitmap
  uint32_t hint;        // no bitmap word below this one has a bit set
  uint16_t in_partial;  // on its class's list of spans with free objects
  // Every carved object was free at the class's last decay pass and none
  // has been taken since (SlabClass::DecaySpans).
  uint16_t idle_since_pass;
  SpanMeta* next_partial;
  SpanMeta* next_decommitted;  // the class's list of decommitted spans
};
static_assert(sizeof(SpanMeta) == 32);

// At the base of every chunk. Fields other than spans_opened and next never
// change once the chunk is registered in the page map (which has its class
// id).
struct ChunkHeader {
  size_t spans_opened;  // spans [0, spans_opened) are committed
  const ClassGeometry* geometry;
  const char* class_name;
  ChunkHeader* next;  // the class's chunks, newest first

  char* base() { return reinterpret_cast<char*>(this); }
  SpanMeta* span(size_t i) { return reinterpret_cast<SpanMeta*>(this + 1) + i; }
  size_t span_index(const SpanMeta* s) {
    return static_cast<size_t>(s - span(0));
  }
  uint64_t* bitmap(size_t i) {
    return reinterpret_cast<uint64_t*>(base() + geometry->bitmap_offset) +
           i * geometry->bitmap_words;
  }
  char* span_data(size_t i) {
    return base() + geometry->data_offset + (i << geometry->span_shift);
  }
  // The span's object state bytes (object_states layouts only).
  uint8_t* states(size_t i) {
    return reinterpret_cast<uint8_t*>(base() + geometry->state_offset) +
           i * geometry->objects_per_span;
  }
  // The span's object size records (object_sizes layouts only).
  uint32_t* sizes(size_t i) {
    return reinterpret_cast<uint32_t*>(base() + geometry->size_offset) +
           i * geometry->objects_per_span;
  }
};
static_assert(sizeof(ChunkHeader) == 32);

// The chunk whose metadata or data contains `p` (p must be managed).
inline ChunkHeader* ChunkOf(const void* p) {
  return reinterpret_cast<ChunkHeader*>(reinterpret_cast<uintptr_t>(p) &
                                        ~(kChunkSize - 1));
}

// What slabkit knows of an address.
struct Location {
  uint32_t class_id = 0;  // 0: slabkit does not manage the address
  ChunkHeader* chunk = nullptr;
  size_t span = 0;            // span index, when object_start
  size_t index = 0;           // object index in the span, when object_start
  bool object_start = false;  // the first byte of an object slot
  bool guarded = false;       // in a chunk of guarded slots (no header)
  bool large = false;  // in a large allocation's chunk (class_id 0, no header)
  bool zero_size = false;  // in a chunk of malloc's zero-size blocks (class 0)
};

// Locate for an address whose page-map entry is `class_id`, a slab class
// (neither large, zero-size nor guarded).
inline Location LocateInSlab(const void* p, uint32_t class_id) {
  Location loc;
  loc.class_id = class_id;
  loc.chunk = ChunkOf(p);
  const ClassGeometry& g = *loc.chunk->geometry;
  const size_t offset =
      static_cast<size_t>(static_cast<const char*>(p) - loc.chunk->base());
  if (offset < g.data_offset) return loc;  // metadata or guard
  const size_t data = offset - g.data_offset;
  loc.span = data >> g.span_shift;
  if (loc.span >= g.num_spans) return loc;  // tail and end guard
  const unsigned __int128 product =
      OffsetProduct(data & (g.span_bytes() - 1), g.divisor_magic);
  loc.index = static_cast<size_t>(ObjectIndex(product));
  loc.object_start = IsStartInSpan(product, g.start_limit);
  return loc;
}

// Classifies any address. Wait-free; reads only immutable chunk fields.
inline Location Locate(const void* p) {
  Location loc;
  loc.class_id = LookupClass(p);
  if (loc.class_id == 0) return loc;
  if (loc.class_id == kLargeChunk) {
    loc.class_id = 0;
    loc.large = true;
    return loc;
  }
  if (loc.class_id == kZeroSizeChunk) {
    loc.class_id = 0;
    loc.zero_size = true;
    return loc;
  }
  if (loc.class_id & kGuardedChunk) {
    loc.class_id &= ~kGuardedChunk;
    loc.guarded = true;
    return loc;
  }
  return LocateInSlab(p, loc.class_id);
}

}  // namespace slab
}  // namespace slabkit

#endif  // SLABKIT_SLAB_CHUNK_H_
