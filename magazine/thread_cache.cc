#include "magazine/thread_cache.h"

#include <cstddef>
#include <cstring>

namespace slabkit {
namespace magazine {

__thread uint64_t tls_reuse_rng __attribute__((tls_model("initial-exec")));

namespace {

uint32_t Count(const ClassCache& c) {
  return static_cast<uint32_t>(c.top - c.base);
}

Magazine* Loaded(const ClassCache& c) {
  return reinterpret_cast<Magazine*>(c.base) - 1;
}

void Load(ClassCache& c, Magazine* m) {
  c.base = m->slots();
  c.top = c.base + m->count;
  c.limit = c.base + m->capacity;
}

// Saves the loaded magazine's count into it, before it changes hands.
Magazine* Unload(ClassCache& c) {
  Magazine* m = Loaded(c);
  m->count = Count(c);
  return m;
}

void GiveBack(Depot* depot, Magazine* m) {
  if (m->count > 0) {
    depot->PutFull(m);
  } else {
    depot->PutEmpty(m);
  }
}

// Returns the entry's magazines and resets it, but its counts, which the
// caller folded to zero and which readers load at any time.
void FlushEntry(ClassCache& c, ClassCacheCold& cold) {
  if (c.limit == nullptr) return;
  GiveBack(cold.depot, Unload(c));
  if (cold.previous != nullptr) GiveBack(cold.depot, cold.previous);
  memset(&c, 0, offsetof(ClassCache, allocations));
  memset(&c.object_size, 0, sizeof(c) - offsetof(ClassCache, object_size));
  cold = ClassCacheCold{};
}

// The thread's entry for the class, set up on first use; false when the
// class cannot be cached (id too large, the thread exiting, or no memory
// for a magazine).
bool Prepare(const ThreadTableRef& table, const CachedClass& cls) {
  if (cls.id >= kCachedClasses) return false;
  ClassCache& c = table.classes[cls.id];
  if (c.limit != nullptr) return true;
  if (!StartCaching(table)) return false;
  // Starting may have allocated (see StartCaching) and set this entry up.
  if (c.limit != nullptr) return true;
  Magazine* m = cls.depot->TakeEmpty();
  if (m == nullptr) return false;
  const slab::ClassGeometry& g = *cls.geometry;
  c.divisor_magic = g.divisor_magic;
  c.data_offset = static_cast<uint32_t>(g.data_offset);
  c.data_bytes = static_cast<uint32_t>(g.num_spans << g.span_shift);
  c.span_mask = static_cast<uint32_t>(g.span_bytes() - 1);
  c.start_limit = g.start_limit;
  c.object_size = static_cast<uint32_t>(g.object_size);
  c.zero_init = cls.zero_init ? 1 : 0;
  c.state_offset = static_cast<uint32_t>(g.state_offset);
  c.size_offset = static_cast<uint32_t>(g.size_offset);
  c.objects_per_span = static_cast<uint16_t>(g.objects_per_span);
  c.span_shift = static_cast<uint8_t>(g.span_shift);
  table.cold[cls.id] = ClassCacheCold{nullptr, cls.depot};
  Load(c, m);  // a non-null limit marks the entry ready
  return true;
}

}  // namespace

AllocateResult AllocateSlow(const ThreadTableRef& table,
                            const CachedClass& cls) {
  if (!Prepare(table, cls)) return {nullptr, false};
  ClassCache& c = table.classes[cls.id];
  Magazine*& previous = table.cold[cls.id].previous;
  if (c.top == c.base) {
    if (previous != nullptr && previous->count > 0) {
      // The previous magazine has objects: swap it in.
      Magazine* loaded = Unload(c);
      Load(c, previous);
      previous = loaded;
    } else if (Magazine* full = cls.depot->TakeFull()) {
      if (previous != nullptr) cls.depot->PutEmpty(previous);
      previous = Unload(c);
      Load(c, full);
    } else {
      const SlabCallbacks& slab = cls.depot->slab();
      c.top = c.base + slab.fill(slab.context, c.base,
                                 static_cast<size_t>(c.limit - c.base));
      if (c.top == c.base) return {nullptr, true};  // out of memory
    }
  }
  const auto none = [] { return static_cast<void*>(nullptr); };
  // Any class comes here: zero_init ones too.
  constexpr uint32_t kAny = kCountCalls | kZeroInit;
  return {cls.states ? AllocateFromEntry<kAny | kKeepStates>(c, none)
                     : AllocateFromEntry<kAny>(c, none),
          true};
}

ReleaseOutcome ReleaseSlow(const ThreadTableRef& table, const CachedClass& cls,
                           void* p) {
  if (!Prepare(table, cls)) return ReleaseOutcome::kNotCached;
  ClassCache& c = table.classes[cls.id];
  Magazine*& previous = table.cold[cls.id].previous;
  if (c.top[-1] == p) return ReleaseOutcome::kDoubleFree;
  if (c.top == c.limit) {
    if (previous != nullptr && previous->count == 0) {
      // The previous magazine is empty: swap it in.
      Magazine* loaded = Unload(c);
      Load(c, previous);
      previous = loaded;
    } else {
      Magazine* empty = cls.depot->TakeEmpty();
      if (empty == nullptr) return ReleaseOutcome::kNotCached;
      if (previous != nullptr) GiveBack(cls.depot, previous);
      previous = Unload(c);
      Load(c, empty);
    }
  }
  *c.top++ = p;
  CountCall(c.releases);
  return ReleaseOutcome::kCached;
}

void FlushThreadClass(const ThreadTableRef& table, uint32_t id) {
  if (id >= kCachedClasses) return;
  FoldCounts(table, id);
  FlushEntry(table.classes[id], table.cold[id]);
}

void ReturnMagazines(const ThreadRecord& record) {
  for (uint32_t id = 0; id < kCachedClasses; ++id) {
    FlushEntry(record.classes[id], record.cold[id]);
  }
}

bool TakeSample(const ThreadTableRef& table, uint32_t id, size_t object_size) {
  if (id >= kCachedClasses) {
    return guard::TakeByteSample(static_cast<uint32_t>(object_size));
  }
  ClassCache& c = table.classes[id];
  // An entry not set up yet was not counting: its fast path ran on zeros.
  return guard::ConsumeEntrySample(&c.sample_countdown, object_size,
                                   c.limit != nullptr);
}

void RestartSampling(const ThreadTableRef& table) {
  for (uint32_t id = 0; id < kCachedClasses; ++id) {
    ClassCache& c = table.classes[id];
    if (c.limit != nullptr) c.sample_countdown = guard::kRestartCountdown;
  }
}

uint32_t ThreadCachedObjects(const ThreadTableRef& table, uint32_t id) {
  if (id >= kCachedClasses) return 0;
  const ClassCache& c = table.classes[id];
  if (c.limit == nullptr) return 0;
  const Magazine* previous = table.cold[id].previous;
  return Count(c) + (previous != nullptr ? previous->count : 0);
}

}  // namespace magazine
}  // namespace slabkit
