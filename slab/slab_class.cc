#include "slab/slab_class.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/numeric/bits.h"
#include "slab/chunk.h"
#include "slab/debug_layout.h"
#include "slab/page_map.h"

namespace slabkit {
namespace slab {
namespace {

std::atomic<size_t> guarded_spans{0};
std::atomic<size_t> budget_override{0};
std::atomic<size_t> process_span_bytes{0};

// True when a span may keep its guard.
bool TakeGuardedSpan() {
  return guarded_spans.fetch_add(1, std::memory_order_relaxed) <
         GuardedSpanBudget();
}

}  // namespace

size_t MaxMapCount() {
  static const size_t max_map_count = [] {
    // Read with open/read: stdio would allocate, and slabkit may be malloc.
    size_t value = 0;
    const int fd = open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      char text[32] = {};
      const ssize_t n = read(fd, text, sizeof(text) - 1);
      close(fd);
      for (ssize_t i = 0; i < n && text[i] >= '0' && text[i] <= '9'; ++i) {
        value = value * 10 + static_cast<size_t>(text[i] - '0');
      }
    }
    return value > 0 ? value : size_t{65530};
  }();
  return max_map_count;
}

size_t GuardedSpanBudget() {
  const size_t forced = budget_override.load(std::memory_order_relaxed);
  return forced != 0 ? forced : MaxMapCount() / 4;
}

size_t GuardedSpansOpened() {
  return guarded_spans.load(std::memory_order_relaxed);
}

void SetGuardedSpanBudgetForTesting(size_t budget) {
  budget_override.store(budget, std::memory_order_relaxed);
}

size_t ProcessSpanBytes() {
  return process_span_bytes.load(std::memory_order_relaxed);
}

SlabClass::SlabClass(uint32_t class_id, const char* class_name,
                     const ClassGeometry* geometry, MapperRef mapper,
                     ObjectHooks hooks)
    : class_id_(class_id),
      class_name_(class_name),
      geometry_(geometry),
      mapper_(mapper),
      hooks_(hooks) {}

size_t SlabClass::Allocate(void** out, size_t n, bool* recycled) {
  const ClassGeometry& g = *geometry_;
  size_t got = 0;
  while (got < n && partial_ != nullptr) {
    got += TakeFromPartial(out + got, n - got);
  }
  if (recycled != nullptr) *recycled = got > 0;
  while (got < n) {
    if (bump_ == nullptr || bump_->carved == g.objects_per_span) {
      if (!OpenSpan()) break;
    }
    SpanMeta* span = bump_;
    ChunkHeader* chunk = ChunkOf(span);
    NoteTaken(span);
    const size_t take =
        std::min<size_t>(n - got, g.objects_per_span - span->carved);
    char* p = chunk->span_data(chunk->span_index(span)) +
              span->carved * g.object_size;
    span->carved += static_cast<uint32_t>(take);
    for (size_t k = 0; k < take; ++k, p += g.object_size) {
      if (hooks_.construct != nullptr) hooks_.construct(p, hooks_.context);
      out[got++] = p;
    }
  }
  return got;
}

size_t SlabClass::TakeFromPartial(void** out, size_t n) {
  SpanMeta* span = partial_;
  NoteTaken(span);
  ChunkHeader* chunk = ChunkOf(span);
  const size_t span_index = chunk->span_index(span);
  uint64_t* bitmap = chunk->bitmap(span_index);
  char* const data = chunk->span_data(span_index);
  const size_t object_size = geometry_->object_size;
  const size_t take = std::min<size_t>(n, span->free_count);
  size_t word = span->hint;
  size_t got = 0;
  for (;;) {
    uint64_t bits = bitmap[word];  // free_count > got: a bit is set ahead
    while (bits != 0 && got < take) {
      const size_t bit = static_cast<size_t>(absl::countr_zero(bits));
      bits &= bits - 1;
      out[got++] = data + (word * 64 + bit) * object_size;
    }
    bitmap[word] = bits;
    if (got == take) break;
    ++word;
  }
  span->hint = static_cast<uint32_t>(word);
  span->free_count -= static_cast<uint32_t>(take);
  if (span->free_count == 0) {
    partial_ = span->next_partial;
    span->next_partial = nullptr;
    span->in_partial = 0;
  }
  return take;
}

size_t SlabClass::Release(void* const* objects, size_t n,
                          ReleaseResult* error) {
  // The geometry in locals: the bitmap stores could otherwise alias it.
  const ClassGeometry& g = *geometry_;
  const size_t data_offset = g.data_offset;
  const size_t bitmap_offset = g.bitmap_offset;
  const size_t bitmap_words = g.bitmap_words;
  const size_t span_shift = g.span_shift;
  const size_t span_mask = g.span_bytes() - 1;
  const uint64_t divisor_magic = g.divisor_magic;
  for (size_t i = 0; i < n; ++i) {
    // LocateInSlab, less what the objects are known to be.
    char* p = static_cast<char*>(objects[i]);
    ChunkHeader* chunk = ChunkOf(p);
    const size_t data = static_cast<size_t>(p - chunk->base()) - data_offset;
    const size_t span_index = data >> span_shift;
    const size_t index = static_cast<size_t>(
        ObjectIndex(OffsetProduct(data & span_mask, divisor_magic)));
    uint64_t* bitmap =
        reinterpret_cast<uint64_t*>(chunk->base() + bitmap_offset) +
        span_index * bitmap_words;
    const ReleaseResult result =
        ReleaseInSpan(chunk->span(span_index), bitmap, index);
    if (result != ReleaseResult::kOk) {
      *error = result;
      return i;
    }
  }
  return n;
}

bool SlabClass::OpenSpan() {
  if (SpanMeta* span = decommitted_) {
    ChunkHeader* chunk = ChunkOf(span);
    if (!mapper_
             .Commit(chunk->span_data(chunk->span_index(span)),
                     geometry_->span_commit_bytes)
             .ok()) {
      return false;
    }
    decommitted_ = span->next_decommitted;
    span->next_decommitted = nullptr;
    bump_ = span;
    CounterAdd(counters_.spans, 1);
    CounterSub(counters_.decommitted_spans, 1);
    CounterAdd(counters_.committed_bytes, geometry_->span_commit_bytes);
    process_span_bytes.fetch_add(geometry_->span_commit_bytes,
                                 std::memory_order_relaxed);
    return true;
  }
  ChunkHeader* chunk = chunks_;
  if (chunk == nullptr || chunk->spans_opened == geometry_->num_spans) {
    absl::StatusOr<ChunkHeader*> fresh = NewChunk();
    if (!fresh.ok()) return false;
    chunk = *fresh;
  }
  const size_t index = chunk->spans_opened;
  // A span over the mapping budget is committed with its guard area, so it
  // merges with its neighbours (the area is never written: no memory).
  const size_t commit = geometry_->span_guard_bytes > 0 && !TakeGuardedSpan()
                            ? geometry_->span_bytes()
                            : geometry_->span_commit_bytes;
  if (!mapper_.Commit(chunk->span_data(index), commit).ok()) {
    return false;
  }
  chunk->spans_opened++;
  bump_ = chunk->span(index);
  CounterAdd(counters_.spans, 1);
  CounterAdd(counters_.committed_bytes, geometry_->span_commit_bytes);
  process_span_bytes.fetch_add(geometry_->span_commit_bytes,
                               std::memory_order_relaxed);
  return true;
}

SlabClass::Counters SlabClass::ReadCounters() const {
  return CounterSnapshot(counters_);
}

size_t SlabClass::DecaySpans(bool aged) {
  const ClassGeometry& g = *geometry_;
  size_t bytes = 0;
  if (counters_.empty_spans == 0) return 0;
  for (ChunkHeader* chunk = chunks_; chunk != nullptr; chunk = chunk->next) {
    for (size_t i = 0; i < chunk->spans_opened; ++i) {
      SpanMeta* span = chunk->span(i);
      // Spans never carved from (the fresh bump span) hold nothing to give.
      if (span->carved == 0 || span->free_count != span->carved) continue;
      if (aged && !span->idle_since_pass) {
        span->idle_since_pass = 1;  // given back at the next pass
        continue;
      }
      if (hooks_.destruct != nullptr) {
        // Every carved object is free, and was constructed when carved.
        for (size_t k = 0; k < span->carved; ++k) {
          hooks_.destruct(chunk->span_data(i) + k * g.object_size,
                          hooks_.context);
        }
      }
      if (!mapper_.Decommit(chunk->span_data(i), g.span_commit_bytes).ok()) {
        // Keep the span; it comes back constructed, as it was.
        if (hooks_.construct != nullptr) {
          for (size_t k = 0; k < span->carved; ++k) {
            hooks_.construct(chunk->span_data(i) + k * g.object_size,
                             hooks_.context);
          }
        }
        continue;  // a later call may succeed
      }
      memset(chunk->bitmap(i), 0, g.bitmap_words * sizeof(uint64_t));
      span->carved = 0;
      span->free_count = 0;
      span->hint = 0;
      span->idle_since_pass = 0;
      span->next_decommitted = decommitted_;
      decommitted_ = span;
      if (span == bump_) bump_ = nullptr;
      CounterSub(counters_.spans, 1);
      CounterAdd(counters_.decommitted_spans, 1);
      CounterSub(counters_.committed_bytes, g.span_commit_bytes);
      CounterSub(counters_.empty_spans, 1);
      CounterAdd(counters_.returned_bytes, g.span_commit_bytes);
      process_span_bytes.fetch_sub(g.span_commit_bytes,
                                   std::memory_order_relaxed);
      bytes += g.span_commit_bytes;
    }
  }
  // The decommitted spans had free objects, so they were on the partial
  // list: keep only the spans that still have some.
  SpanMeta** link = &partial_;
  while (*link != nullptr) {
    SpanMeta* span = *link;
    if (span->free_count == 0) {
      *link = span->next_partial;
      span->next_partial = nullptr;
      span->in_partial = 0;
    } else {
      link = &span->next_partial;
    }
  }
  return bytes;
}

absl::StatusOr<ChunkHeader*> SlabClass::NewChunk() {
  const ClassGeometry& g = *geometry_;
  absl::StatusOr<void*> mem = mapper_.Reserve(kChunkSize, kChunkSize);
  if (!mem.ok()) return mem.status();
  char* base = static_cast<char*>(*mem);
  // Undo everything on a failure: the class is left as it was.
  auto fail = [&](absl::Status status) {
    (void)mapper_.Release(base, kChunkSize);
    return status;
  };
  if (absl::Status s = mapper_.Commit(base, g.meta_bytes); !s.ok()) {
    return fail(s);
  }
  if (g.guard_bytes > 0) {
    // Reserved memory is already inaccessible with most mappers; protecting
    // explicitly keeps the guards for mappers whose Reserve is not.
    const size_t tail_guard = kChunkSize - g.guard_bytes;
    if (absl::Status s = mapper_.Protect(base + g.meta_bytes, g.guard_bytes);
        !s.ok()) {
      return fail(s);
    }
    if (absl::Status s = mapper_.Protect(base + tail_guard, g.guard_bytes);
        !s.ok()) {
      return fail(s);
    }
  }
  auto* chunk = reinterpret_cast<ChunkHeader*>(base);
  chunk->spans_opened = 0;
  chunk->geometry = geometry_;
  chunk->class_name = class_name_;
  if (absl::Status s = RegisterChunk(base, class_id_); !s.ok()) {
    return fail(s);
  }
  chunk->next = chunks_;
  chunks_ = chunk;
  CounterAdd(counters_.chunks, 1);
  CounterAdd(counters_.reserved_bytes, kChunkSize);
  CounterAdd(counters_.committed_bytes, g.meta_bytes);
  return chunk;
}

}  // namespace slab
}  // namespace slabkit

// The layout a debugger reads (slab/debug_layout.h). Here, beside the slabs, so
// that every program with slabkit memory has it (the page map's address is
// set at start-up, before any chunk is registered). `retain`: kept by the
// linker's section garbage collection too (-c opt links with --gc-sections),
// though nothing in the program refers to it.
extern "C" __attribute__((used, retain, visibility("default")))
const uint64_t slabkit_debug_layout[slabkit::slab::kLayoutWords] = {
    slabkit::slab::kDebugLayoutMagic,
    slabkit::slab::kDebugLayoutVersion,
    reinterpret_cast<uint64_t>(slabkit::slab::page_map_internal::class_of),
    slabkit::slab::kChunkShift,
    slabkit::slab::kAddressBits,
    slabkit::slab::kGuardedChunk,
    slabkit::slab::kLargeChunk,
    slabkit::slab::kZeroSizeChunk,
    offsetof(slabkit::slab::ChunkHeader, geometry),
    offsetof(slabkit::slab::ChunkHeader, class_name),
    offsetof(slabkit::slab::ChunkHeader, spans_opened),
    offsetof(slabkit::slab::ClassGeometry, object_size),
    offsetof(slabkit::slab::ClassGeometry, objects_per_span),
    offsetof(slabkit::slab::ClassGeometry, span_shift),
    offsetof(slabkit::slab::ClassGeometry, num_spans),
    offsetof(slabkit::slab::ClassGeometry, data_offset),
    offsetof(slabkit::slab::ClassGeometry, state_offset),
    offsetof(slabkit::slab::ClassGeometry, bitmap_offset),
    offsetof(slabkit::slab::ClassGeometry, bitmap_words),
};
