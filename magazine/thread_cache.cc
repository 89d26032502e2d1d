#include "magazine/thread_cache.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <utility>

namespace slabkit {
namespace magazine {

__thread ClassCache tls_classes[kCachedClasses]
    __attribute__((tls_model("initial-exec")));
__thread ClassCacheCold tls_cold[kCachedClasses]
    __attribute__((tls_model("initial-exec")));

namespace {

// A thread's life, as its caches see it. A thread's record (below) lives in
// its thread-local storage, which glibc frees or hands to a new thread once
// the thread is gone; the record must be out of the registry by then. The
// only notice slabkit gets is its pthread key's destructor, and glibc runs
// it once per round, for at most PTHREAD_DESTRUCTOR_ITERATIONS rounds, and
// not at all for a key set after the rounds (glibc itself frees memory
// later: a thread's __libc_thread_freeres buffers, and the TLS vectors of
// cached stacks it gives up as a detached thread exits). So:
// - once the destructor has run, the thread never caches again (kExited),
//   whatever runs after it on that thread: it allocates and releases at its
//   classes' slabs, and its record is never linked again;
// - a thread starts caching only while its exit is still to come:
//   ThreadIsExiting() tells glibc's last stretch of thread exit apart.
enum ThreadState : uint8_t {
  kNew = 0,  // no cache yet (thread-local storage starts zeroed)
  kCaching,  // the exit hook is armed and the record linked
  kExited,   // the exit hook ran: caches flushed for good
};
__thread ThreadState tls_state __attribute__((tls_model("initial-exec")));

// Threads whose counts may be non-zero, for CountsOf to sum. A thread links
// its record when it first uses a magazine, and folds its counts into
// `exited` and unlinks at exit (a forked child drops every thread but its
// own).
//
// Writers hold registry_mu. Readers (TryCountsOf) take no lock, so that a
// signal handler may read: the list's links and the `exited` totals are
// written with atomic stores inside a sequence lock (registry_seq is odd
// while they change), and a reader retries when the sequence moved. A
// record lives in its thread's TLS, which is freed at thread exit: a thread
// that unlinked its record waits until no reader is walking the list before
// it goes on (registry_readers), so no reader reaches a freed record.
struct ThreadRecord {
  ClassCache* classes;
  ThreadRecord* prev;
  ThreadRecord* next;
  bool linked;
};
__thread ThreadRecord tls_record __attribute__((tls_model("initial-exec")));
// Set while this thread is inside a registry write: a signal handler that
// interrupted it cannot wait for the write to end.
__thread bool tls_writing __attribute__((tls_model("initial-exec")));
std::mutex registry_mu;
ThreadRecord* registry ABSL_GUARDED_BY(registry_mu) = nullptr;
CachedCounts exited[kCachedClasses] ABSL_GUARDED_BY(registry_mu);
std::atomic<uint64_t> registry_seq{0};
std::atomic<int> registry_readers{0};

// Every access readers race with is sequentially consistent, with no
// fence (GCC's ThreadSanitizer does not model fences): a store is seen only
// after the odd sequence number before it, and an unlink is ordered with
// the count of readers an exiting thread waits on. Slow paths only.
template <typename T>
void StoreForReaders(T& field, T value) {
  __atomic_store_n(&field, value, __ATOMIC_SEQ_CST);
}
template <typename T>
T LoadForReader(const T& field) {
  return __atomic_load_n(&field, __ATOMIC_SEQ_CST);
}

// Brackets a change of the list or of `exited`, under registry_mu.
// The signal fences keep the compiler from moving tls_writing's stores
// across the write, as this thread's signal handlers see it.
void BeginWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry_mu) {
  tls_writing = true;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  registry_seq.fetch_add(1, std::memory_order_seq_cst);
}
void EndWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry_mu) {
  registry_seq.fetch_add(1, std::memory_order_seq_cst);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  tls_writing = false;
}

// Returns once no reader that may have seen this thread's record is walking
// the list (readers never block, so this ends).
void WaitForReaders() {
  while (registry_readers.load(std::memory_order_seq_cst) != 0) sched_yield();
}

void LinkThread() {
  std::lock_guard<std::mutex> lock(registry_mu);
  if (tls_record.linked) return;
  BeginWriteLocked();
  tls_record.classes = tls_classes;
  tls_record.prev = nullptr;
  StoreForReaders(tls_record.next, registry);
  if (registry != nullptr) registry->prev = &tls_record;
  StoreForReaders(registry, &tls_record);
  tls_record.linked = true;
  EndWriteLocked();
}

// Moves the counts for `id` in a thread's table `classes` to the exited totals;
// inside a write.
void FoldCountsLocked(ClassCache* classes, uint32_t id)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry_mu) {
  ClassCache& c = classes[id];
  StoreForReaders(exited[id].allocations,
                  exited[id].allocations + c.allocations);
  StoreForReaders(exited[id].releases, exited[id].releases + c.releases);
  StoreForReaders(c.allocations, uint64_t{0});
  StoreForReaders(c.releases, uint64_t{0});
}

// Inside a write. True when the record was linked: the caller must then
// WaitForReaders before the record's memory may go.
bool UnlinkThreadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry_mu) {
  if (!tls_record.linked) return false;
  if (tls_record.prev != nullptr) {
    StoreForReaders(tls_record.prev->next, tls_record.next);
  }
  if (tls_record.next != nullptr) tls_record.next->prev = tls_record.prev;
  if (registry == &tls_record) StoreForReaders(registry, tls_record.next);
  tls_record.linked = false;
  return true;
}

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

// Returns the entry's magazines and resets it, counts included (the caller
// folded them).
void FlushEntry(ClassCache& c, ClassCacheCold& cold) {
  if (c.limit == nullptr) return;
  GiveBack(cold.depot, Unload(c));
  if (cold.previous != nullptr) GiveBack(cold.depot, cold.previous);
  // All but the counts, which the caller folded to zero and which readers
  // load at any time.
  memset(&c, 0, offsetof(ClassCache, allocations));
  memset(&c.object_size, 0, sizeof(c) - offsetof(ClassCache, object_size));
  cold = ClassCacheCold{};
}

pthread_key_t exit_key;

// Folds this thread's counts, unlinks its record when asked, and returns
// every magazine it holds.
void FlushAll(bool unlink) {
  bool unlinked = false;
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    BeginWriteLocked();
    for (uint32_t id = 0; id < kCachedClasses; ++id) {
      FoldCountsLocked(tls_classes, id);
    }
    if (unlink) unlinked = UnlinkThreadLocked();
    EndWriteLocked();
  }
  if (unlinked) WaitForReaders();
  for (uint32_t id = 0; id < kCachedClasses; ++id) {
    FlushEntry(tls_classes[id], tls_cold[id]);
  }
}

// The exit hook: the thread's last registry write, and its last cache use.
void OnThreadExit(void*) {
  tls_state = kExited;
  FlushAll(/*unlink=*/true);
}

void MakeExitKey() { pthread_key_create(&exit_key, &OnThreadExit); }

// True in the last stretch of a thread's exit, where glibc (2.34 and later)
// has blocked every signal, its own cancellation signal (SIGCANCEL, 32)
// included, which no program can block through sigprocmask: the stretch
// after the destructor rounds where a detached thread frees other threads'
// stacks. One system call; taken once per thread.
bool ThreadIsExiting() {
  uint64_t blocked = 0;
  if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &blocked,
              sizeof(blocked)) != 0) {
    return false;
  }
  constexpr int kCancelSignal = 32;
  return (blocked >> (kCancelSignal - 1)) & 1;
}

// Arms the exit hook and links the thread's record, once per thread; false
// when the thread must not cache (it is exiting, or the hook cannot be set).
//
// A pthread key's destructor is the thread-exit hook that never allocates
// (C++ thread_local destructors may, through __cxa_thread_atexit). The state
// is set before pthread_setspecific, which callocs the first time a thread
// sets a key numbered 32 or more: when slabkit is malloc, that calloc comes
// back here and must find the thread caching, not recurse.
bool StartCaching() {
  if (ABSL_PREDICT_TRUE(tls_state == kCaching)) return true;
  if (tls_state == kExited || ThreadIsExiting()) return false;
  tls_state = kCaching;
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, MakeExitKey);
  LinkThread();
  if (pthread_setspecific(exit_key, reinterpret_cast<void*>(1)) != 0) {
    // No hook would run: undo, as the hook would (what the calloc above
    // cached included), and try again on a later call.
    OnThreadExit(nullptr);
    tls_state = kNew;
    return false;
  }
  return true;
}

// The thread's entry for the class, set up on first use; false when the
// class cannot be cached (id too large, or no memory for a magazine).
bool Prepare(const CachedClass& cls) {
  if (cls.id >= kCachedClasses) return false;
  ClassCache& c = tls_classes[cls.id];
  if (c.limit != nullptr) return true;
  if (!StartCaching()) return false;
  // Starting may have allocated (see StartCaching) and set this entry up.
  if (c.limit != nullptr) return true;
  Magazine* m = cls.depot->TakeEmpty();
  if (m == nullptr) return false;
  const slab::ClassGeometry& g = *cls.geometry;
  c.divisor_magic = g.divisor_magic;
  c.data_offset = static_cast<uint32_t>(g.data_offset);
  c.data_bytes = static_cast<uint32_t>(g.num_spans << g.span_shift);
  c.span_mask = static_cast<uint32_t>(g.span_bytes() - 1);
  c.span_limit = static_cast<uint32_t>(g.objects_per_span * g.object_size);
  c.object_size = static_cast<uint32_t>(g.object_size);
  c.zero_init = cls.zero_init ? 1 : 0;
  c.state_offset = static_cast<uint32_t>(g.state_offset);
  c.objects_per_span = static_cast<uint16_t>(g.objects_per_span);
  c.span_shift = static_cast<uint8_t>(g.span_shift);
  tls_cold[cls.id] = ClassCacheCold{nullptr, cls.depot};
  Load(c, m);  // a non-null limit marks the entry ready
  return true;
}

}  // namespace

AllocateResult AllocateSlow(const CachedClass& cls) {
  if (!Prepare(cls)) return {nullptr, false};
  ClassCache& c = tls_classes[cls.id];
  Magazine*& previous = tls_cold[cls.id].previous;
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
  return {cls.states ? TryAllocate<true>(cls.id) : TryAllocate<false>(cls.id),
          true};
}

ReleaseOutcome ReleaseSlow(const CachedClass& cls, void* p) {
  if (!Prepare(cls)) return ReleaseOutcome::kNotCached;
  ClassCache& c = tls_classes[cls.id];
  Magazine*& previous = tls_cold[cls.id].previous;
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
  Count(c.releases);
  return ReleaseOutcome::kCached;
}

void FlushThreadClass(uint32_t id) {
  if (id >= kCachedClasses) return;
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    BeginWriteLocked();
    FoldCountsLocked(tls_classes, id);
    EndWriteLocked();
  }
  FlushEntry(tls_classes[id], tls_cold[id]);
}

void FlushThread() { FlushAll(/*unlink=*/false); }

void LockRegistryForFork() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  registry_mu.lock();
}

void UnlockRegistryAfterFork() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  registry_mu.unlock();
}

void UnlockRegistryInForkChild() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  // The parent's other threads do not exist here: glibc hands their stacks,
  // and the records in them, to the child's new threads or unmaps them. Their
  // counts are folded (as of the fork) and the list keeps this thread alone.
  // What they had cached stays with them: their entries may have been in
  // the middle of a change at the fork.
  BeginWriteLocked();
  for (ThreadRecord* t = registry; t != nullptr; t = t->next) {
    if (t == &tls_record) continue;
    for (uint32_t id = 0; id < kCachedClasses; ++id) {
      FoldCountsLocked(t->classes, id);
    }
  }
  if (tls_record.linked) {
    tls_record.prev = nullptr;
    StoreForReaders(tls_record.next, static_cast<ThreadRecord*>(nullptr));
    StoreForReaders(registry, &tls_record);
  } else {
    StoreForReaders(registry, static_cast<ThreadRecord*>(nullptr));
  }
  EndWriteLocked();
  // Readers on the parent's other threads do not exist here either; had one
  // been counted, this thread's exit would wait for it for ever.
  registry_readers.store(0, std::memory_order_relaxed);
  registry_mu.unlock();
}

uint32_t ThreadCachedObjects(uint32_t id) {
  if (id >= kCachedClasses) return 0;
  const ClassCache& c = tls_classes[id];
  if (c.limit == nullptr) return 0;
  const Magazine* previous = tls_cold[id].previous;
  return Count(c) + (previous != nullptr ? previous->count : 0);
}

bool TryCountsOf(uint32_t id,
                 CachedCounts* out) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (id >= kCachedClasses) {
    *out = {};
    return true;
  }
  // A handler that interrupted a write on its own thread would wait for
  // ever: the write resumes only once the handler returns.
  if (tls_writing) return false;
  registry_readers.fetch_add(1, std::memory_order_seq_cst);
  bool consistent = false;
  for (int attempt = 0; attempt < kCountAttempts && !consistent; ++attempt) {
    const uint64_t begin = registry_seq.load(std::memory_order_seq_cst);
    if ((begin & 1) != 0) continue;  // a write is under way
    // Every release count before any allocation count: an object released
    // before its release is read was allocated before its allocation is,
    // so the difference never falls below what stayed live throughout.
    CachedCounts counts;
    counts.releases = LoadForReader(exited[id].releases);
    for (const ThreadRecord* t = LoadForReader(registry); t != nullptr;
         t = LoadForReader(t->next)) {
      counts.releases += LoadForReader(t->classes[id].releases);
    }
    counts.allocations = LoadForReader(exited[id].allocations);
    for (const ThreadRecord* t = LoadForReader(registry); t != nullptr;
         t = LoadForReader(t->next)) {
      counts.allocations += LoadForReader(t->classes[id].allocations);
    }
    if (registry_seq.load(std::memory_order_seq_cst) == begin) {
      *out = counts;
      consistent = true;
    }
  }
  registry_readers.fetch_sub(1, std::memory_order_seq_cst);
  return consistent;
}

CachedCounts CountsOf(uint32_t id) {
  CachedCounts counts;
  while (!TryCountsOf(id, &counts)) sched_yield();
  return counts;
}

}  // namespace magazine
}  // namespace slabkit
