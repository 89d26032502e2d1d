#include "magazine/thread_cache.h"

#include <pthread.h>

#include <utility>

namespace slabkit {
namespace magazine {

__thread ClassCache tls_classes[kCachedClasses]
    __attribute__((tls_model("initial-exec")));

namespace {

// Set once this thread has asked to be flushed at exit.
__thread bool tls_exit_hook __attribute__((tls_model("initial-exec")));

pthread_key_t exit_key;

void OnThreadExit(void*) { FlushThread(); }

void MakeExitKey() { pthread_key_create(&exit_key, &OnThreadExit); }

// A pthread key's destructor is the thread-exit hook that never allocates
// (C++ thread_local destructors may, through __cxa_thread_atexit).
void EnsureExitHook() {
  if (tls_exit_hook) return;
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, MakeExitKey);
  pthread_setspecific(exit_key, reinterpret_cast<void*>(1));
  tls_exit_hook = true;
}

Magazine* Loaded(const ClassCache& c) {
  return reinterpret_cast<Magazine*>(c.slots) - 1;
}

void Load(ClassCache& c, Magazine* m) {
  c.slots = m->slots();
  c.count = m->count;
}

// Saves the loaded magazine's count into it, before it changes hands.
Magazine* Unload(ClassCache& c) {
  Magazine* m = Loaded(c);
  m->count = c.count;
  return m;
}

void GiveBack(Depot* depot, Magazine* m) {
  if (m->count > 0) {
    depot->PutFull(m);
  } else {
    depot->PutEmpty(m);
  }
}

// The thread's entry for the class, set up on first use; nullptr when the
// class cannot be cached (id too large, or no memory for a magazine).
ClassCache* Prepare(const CachedClass& cls) {
  if (cls.id >= kCachedClasses) return nullptr;
  ClassCache& c = tls_classes[cls.id];
  if (c.capacity != 0) return &c;
  Magazine* m = cls.depot->TakeEmpty();
  if (m == nullptr) return nullptr;
  EnsureExitHook();
  const slab::ClassGeometry& g = *cls.geometry;
  c.divisor_magic = g.divisor_magic;
  c.data_offset = static_cast<uint32_t>(g.data_offset);
  c.data_bytes = static_cast<uint32_t>(g.num_spans << g.span_shift);
  c.span_mask = static_cast<uint32_t>(g.span_bytes() - 1);
  c.span_limit = static_cast<uint32_t>(g.objects_per_span * g.object_size);
  c.object_size = static_cast<uint32_t>(g.object_size);
  c.zero_init = cls.zero_init ? 1 : 0;
  c.previous = nullptr;
  c.depot = cls.depot;
  Load(c, m);
  c.capacity = m->capacity;  // last: a non-zero capacity marks it ready
  return &c;
}

void FlushEntry(ClassCache& c) {
  if (c.capacity == 0) return;
  GiveBack(c.depot, Unload(c));
  if (c.previous != nullptr) GiveBack(c.depot, c.previous);
  c = ClassCache{};
}

}  // namespace

AllocateResult AllocateSlow(const CachedClass& cls) {
  ClassCache* c = Prepare(cls);
  if (c == nullptr) return {nullptr, false};
  if (c->count == 0) {
    if (c->previous != nullptr && c->previous->count > 0) {
      // The previous magazine has objects: swap it in.
      Magazine* previous = c->previous;
      c->previous = Unload(*c);
      Load(*c, previous);
    } else if (Magazine* full = cls.depot->TakeFull()) {
      if (c->previous != nullptr) cls.depot->PutEmpty(c->previous);
      c->previous = Unload(*c);
      Load(*c, full);
    } else {
      const SlabCallbacks& slab = cls.depot->slab();
      c->count = static_cast<uint32_t>(
          slab.fill(slab.context, c->slots, c->capacity));
      if (c->count == 0) return {nullptr, true};  // out of memory
    }
  }
  return {TryAllocate(cls.id), true};
}

ReleaseOutcome ReleaseSlow(const CachedClass& cls, void* p) {
  ClassCache* c = Prepare(cls);
  if (c == nullptr) return ReleaseOutcome::kNotCached;
  if ((c->slots + c->count)[-1] == p) {
    return ReleaseOutcome::kDoubleFree;
  }
  if (c->count == c->capacity) {
    if (c->previous != nullptr && c->previous->count == 0) {
      // The previous magazine is empty: swap it in.
      Magazine* previous = c->previous;
      c->previous = Unload(*c);
      Load(*c, previous);
    } else {
      Magazine* empty = cls.depot->TakeEmpty();
      if (empty == nullptr) return ReleaseOutcome::kNotCached;
      if (c->previous != nullptr) GiveBack(cls.depot, c->previous);
      c->previous = Unload(*c);
      Load(*c, empty);
    }
  }
  c->slots[c->count++] = p;
  return ReleaseOutcome::kCached;
}

void FlushThreadClass(uint32_t id) {
  if (id < kCachedClasses) FlushEntry(tls_classes[id]);
}

void FlushThread() {
  for (ClassCache& c : tls_classes) FlushEntry(c);
  // A later allocation on this thread (say, from another key's destructor)
  // sets the hook again, and pthread calls it again.
  tls_exit_hook = false;
}

uint32_t ThreadCachedObjects(uint32_t id) {
  if (id >= kCachedClasses) return 0;
  const ClassCache& c = tls_classes[id];
  if (c.capacity == 0) return 0;
  return c.count + (c.previous != nullptr ? c.previous->count : 0);
}

}  // namespace magazine
}  // namespace slabkit
