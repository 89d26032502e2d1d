// SlabClass: carves one class's chunks into objects. Fresh objects come from
// a bump pointer; released ones are remembered in per-span bitmaps outside the
// object memory (no intrusive free list: an object's bytes stay exactly what
// the program wrote).
#ifndef SLABKIT_SLAB_SLAB_CLASS_H_
#define SLABKIT_SLAB_SLAB_CLASS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "mapper/mapper.h"
#include "slab/chunk.h"
#include "slab/counter.h"

namespace slabkit {
namespace slab {

// The kernel's limit on a process's mappings (vm.max_map_count; Linux's
// default when it cannot be read), read once.
size_t MaxMapCount();

// Guarded spans (a layout with span_guards) are separate kernel mappings.
// Past this many, process-wide, new spans are committed with their guard
// area, which merges them with their neighbours: safety degrades, the
// mapping count stays bounded. Default: a quarter of vm.max_map_count.
size_t GuardedSpanBudget();
// Guarded spans opened so far.
size_t GuardedSpansOpened();
// For tests: sets the budget (0 restores the default).
void SetGuardedSpanBudgetForTesting(size_t budget);

// The committed bytes of every class's open spans, process-wide (what a
// decay pass could give back at most; allocator/decay.h starts its thread
// past a bound).
size_t ProcessSpanBytes();

// Object caching (Bonwick 1994): a class may construct its objects once,
// when their slot is first carved, and destroy them only when their memory is
// reclaimed (DecommitEmptySpans). Between the two, objects go back and forth
// constructed. Both run with the class's lock held.
struct ObjectHooks {
  void (*construct)(void* object, void* context) = nullptr;
  void (*destruct)(void* object, void* context) = nullptr;
  void* context = nullptr;
};

// Not thread-safe: the owner serializes every call (a lock per class).
// Memory once given to the class stays with it for the life of the process,
// which is what makes addresses type-stable.
class SlabClass {
 public:
  enum class ReleaseResult {
    kOk,
    kDoubleFree,      // the object is already free
    kNeverAllocated,  // the slot was never handed out
  };

  struct Counters {
    size_t chunks = 0;
    size_t spans = 0;              // spans committed now
    size_t decommitted_spans = 0;  // given back, not reused yet
    size_t empty_spans = 0;        // committed, every carved object free
    size_t returned_bytes = 0;     // decommitted so far, in total
    size_t reserved_bytes = 0;     // address space of all chunks
    size_t committed_bytes = 0;    // metadata and opened spans
  };

  // `geometry` and `class_name` must outlive the class (they are referenced
  // from every chunk header).
  SlabClass(uint32_t class_id, const char* class_name,
            const ClassGeometry* geometry, MapperRef mapper,
            ObjectHooks hooks = {});
  SlabClass(const SlabClass&) = delete;
  SlabClass& operator=(const SlabClass&) = delete;

  // Up to `n` objects into `out`, as many as the mapper can supply memory
  // for (fewer only when it cannot: the class is unchanged beyond what was
  // handed out, and a later call may succeed); returns how many. Released
  // objects first, a span at a time, then fresh ones carved in a run. When
  // `recycled` is not null, it is set when any object was released before,
  // so its bytes are whatever the program left; fresh objects are zero
  // (fresh memory from Commit).
  size_t Allocate(void** out, size_t n, bool* recycled = nullptr);
  // One object, or nullptr.
  void* Allocate(bool* recycled) {
    void* p;
    return Allocate(&p, 1, recycled) == 1 ? p : nullptr;
  }

  // Frees the object at `loc`, which Locate() found to be an object start in
  // a chunk of this class. On an error result nothing changes.
  ReleaseResult Release(const Location& loc) {
    return ReleaseInSpan(loc.chunk->span(loc.span), loc.chunk->bitmap(loc.span),
                         loc.index);
  }
  // Frees `n` objects known to be object starts in this class's chunks (a
  // magazine's, validated when the program released them), in order. Stops
  // at the first whose release fails, leaving it and those after it as they
  // were, and sets *error; returns how many were freed (n when all were).
  size_t Release(void* const* objects, size_t n, ReleaseResult* error);

  // Gives back the memory of every span whose objects are all free; their
  // addresses stay with the class and read as zeros. Returns the bytes
  // decommitted. Decommitted spans are reused before new ones are opened.
  size_t DecommitEmptySpans() { return DecaySpans(/*aged=*/false); }

  // One decay pass (allocator/decay.h): with `aged`, gives back only the
  // spans that were already empty at the previous pass and were not
  // allocated from since, and marks the spans empty now for the next pass;
  // without, every empty span. Returns the bytes decommitted. A span whose
  // decommit fails stays as it was (a later pass retries it).
  size_t DecaySpans(bool aged);

  // The committed bytes of spans with every carved object free: memory a
  // decay pass may give back.
  size_t IdleBytes() const { return IdleBytes(counters_); }
  // The same from counters read earlier (ReadCounters).
  size_t IdleBytes(const Counters& counters) const {
    return counters.empty_spans * geometry_->span_commit_bytes;
  }

  // The counters, under the lock that serializes this class's calls.
  const Counters& counters() const { return counters_; }
  // The same without that lock, from any thread or a signal handler: each
  // counter as it was at one moment during the read.
  Counters ReadCounters() const;
  const ClassGeometry& geometry() const { return *geometry_; }

 private:
  // Up to n objects from the first partial span (which has free ones).
  size_t TakeFromPartial(void** out, size_t n);
  // Frees object `index` of `span`, whose free bitmap is `bitmap`. Inline:
  // the batch Release runs it once per object.
  ReleaseResult ReleaseInSpan(SpanMeta* span, uint64_t* bitmap, size_t index) {
    if (index >= span->carved) return ReleaseResult::kNeverAllocated;
    uint64_t& word = bitmap[index / 64];
    const uint64_t mask = uint64_t{1} << (index % 64);
    if ((word & mask) != 0) return ReleaseResult::kDoubleFree;
    word |= mask;
    span->hint = std::min<uint32_t>(span->hint, index / 64);
    if (++span->free_count == span->carved) {
      CounterAdd(counters_.empty_spans, 1);
    }
    if (!span->in_partial) {
      span->in_partial = 1;
      span->next_partial = partial_;
      partial_ = span;
    }
    return ReleaseResult::kOk;
  }
  // The span is about to hand out an object.
  void NoteTaken(SpanMeta* span) {
    if (span->carved != 0 && span->free_count == span->carved) {
      CounterSub(counters_.empty_spans, 1);
    }
    span->idle_since_pass = 0;
  }
  // Makes bump_ a freshly committed span; false when the mapper fails.
  bool OpenSpan();
  absl::StatusOr<ChunkHeader*> NewChunk();

  const uint32_t class_id_;
  const char* const class_name_;
  const ClassGeometry* const geometry_;
  const MapperRef mapper_;
  const ObjectHooks hooks_;
  SpanMeta* partial_ = nullptr;      // spans with free objects
  SpanMeta* bump_ = nullptr;         // the span fresh objects are carved from
  SpanMeta* decommitted_ = nullptr;  // recommitted before new spans open
  ChunkHeader* chunks_ = nullptr;    // newest first; only it has unopened spans
  Counters counters_;
};

}  // namespace slab
}  // namespace slabkit

#endif  // SLABKIT_SLAB_SLAB_CLASS_H_
