#include "magazine/thread_registry.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "magazine/thread_cache.h"

namespace slabkit {
namespace magazine {

namespace {

// A thread's life, as its caches see it. A thread's records live in its
// thread-local storage, which glibc frees or hands to a new thread once the
// thread is gone; the records must be out of the registry by then. The only
// notice slabkit gets is its pthread key's destructor, and glibc runs it
// once per round, for at most PTHREAD_DESTRUCTOR_ITERATIONS rounds, and not
// at all for a key set after the rounds (glibc itself frees memory later: a
// thread's __libc_thread_freeres buffers, and the TLS vectors of cached
// stacks it gives up as a detached thread exits). So:
// - once the destructor has run, the thread never caches again (kExited),
//   whatever runs after it on that thread: it allocates and releases at its
//   classes' slabs, and its records are never linked again;
// - a thread starts caching only while its exit is still to come:
//   ThreadIsExiting() tells glibc's last stretch of thread exit apart.
enum ThreadState : uint8_t {
  kNew = 0,  // no cache yet (thread-local storage starts zeroed)
  kCaching,  // the exit hook is armed
  kExited,   // the exit hook ran: caches flushed for good
};
__thread ThreadState tls_state __attribute__((tls_model("initial-exec")));
// This thread's records, one per table it has cached in.
__thread ThreadRecord* tls_records __attribute__((tls_model("initial-exec")));

// Writers hold registry_mu. Readers (TryCountsOf) take no lock, so that a
// signal handler may read: the list's links and the tables' totals are
// written with atomic stores inside a sequence lock (registry_seq is odd
// while they change), and a reader retries when the sequence moved. A thread
// that unlinked its records waits until no reader is walking the list
// before its storage may go (registry_readers), so no reader reaches a freed
// record.
//
// Set while this thread is inside a registry write: a signal handler that
// interrupted it cannot wait for the write to end.
__thread bool tls_writing __attribute__((tls_model("initial-exec")));
std::mutex registry_mu;
ThreadRecord* registry ABSL_GUARDED_BY(registry_mu) = nullptr;
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

// Brackets a change of the list or of a table's totals, under registry_mu.
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

// Returns once no reader that may have seen this thread's records is
// walking the list (readers never block, so this ends).
void WaitForReaders() {
  while (registry_readers.load(std::memory_order_seq_cst) != 0) sched_yield();
}

// Inside a write.
void LinkLocked(ThreadRecord& r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry_mu) {
  r.prev = nullptr;
  StoreForReaders(r.next, registry);
  if (registry != nullptr) registry->prev = &r;
  StoreForReaders(registry, &r);
  r.linked = true;
}

// Inside a write. True when the record was linked: the caller must then
// WaitForReaders before the record's memory may go.
bool UnlinkLocked(ThreadRecord& r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry_mu) {
  if (!r.linked) return false;
  if (r.prev != nullptr) StoreForReaders(r.prev->next, r.next);
  if (r.next != nullptr) r.next->prev = r.prev;
  if (registry == &r) StoreForReaders(registry, r.next);
  r.linked = false;
  return true;
}

// Moves the counts of class `id` in `r`'s table to its totals; inside a
// write.
void FoldCountsLocked(const ThreadRecord& r, uint32_t id)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry_mu) {
  ClassCache& c = r.classes[id];
  // Most of a table's classes were never used by a thread: keeping their
  // stores out keeps the write short, and readers wait out a write.
  if (c.allocations == 0 && c.releases == 0) return;
  CachedCounts& total = r.totals->exited[id];
  StoreForReaders(total.allocations, total.allocations + c.allocations);
  StoreForReaders(total.releases, total.releases + c.releases);
  StoreForReaders(c.allocations, uint64_t{0});
  StoreForReaders(c.releases, uint64_t{0});
}

bool IsThisThreads(const ThreadRecord* r) {
  for (const ThreadRecord* t = tls_records; t != nullptr;
       t = t->next_of_thread) {
    if (t == r) return true;
  }
  return false;
}

// Links this thread's record of `table`.
void Link(const ThreadTableRef& table) {
  std::lock_guard<std::mutex> lock(registry_mu);
  ThreadRecord& r = *table.record;
  if (r.linked) return;
  if (!IsThisThreads(&r)) {
    r.classes = table.classes;
    r.cold = table.cold;
    r.totals = table.totals;
    r.next_of_thread = tls_records;
    tls_records = &r;
  }
  BeginWriteLocked();
  LinkLocked(r);
  EndWriteLocked();
}

// Folds every count of this thread's tables, unlinks them when asked, and
// returns every magazine they hold.
void FlushAll(bool unlink) {
  bool unlinked = false;
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    BeginWriteLocked();
    for (ThreadRecord* r = tls_records; r != nullptr; r = r->next_of_thread) {
      for (uint32_t id = 0; id < kCachedClasses; ++id) FoldCountsLocked(*r, id);
      if (unlink && UnlinkLocked(*r)) unlinked = true;
    }
    EndWriteLocked();
  }
  if (unlinked) WaitForReaders();
  for (ThreadRecord* r = tls_records; r != nullptr; r = r->next_of_thread) {
    ReturnMagazines(*r);
  }
}

pthread_key_t exit_key;

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
// stacks. One system call, on a thread's first cached call.
bool ThreadIsExiting() {
  uint64_t blocked = 0;
  if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &blocked,
              sizeof(blocked)) != 0) {
    return false;
  }
  constexpr int kCancelSignal = 32;
  return (blocked >> (kCancelSignal - 1)) & 1;
}

}  // namespace

// A pthread key's destructor is the thread-exit hook that never allocates
// (C++ thread_local destructors may, through __cxa_thread_atexit). The state
// is set and the record linked before pthread_setspecific, which callocs the
// first time a thread sets a key numbered 32 or more: when slabkit is
// malloc, that calloc comes back here and must find the thread caching, not
// recurse.
bool StartCaching(const ThreadTableRef& table) {
  if (ABSL_PREDICT_TRUE(tls_state == kCaching)) {
    if (!table.record->linked) Link(table);
    return true;
  }
  if (tls_state == kExited || ThreadIsExiting()) return false;
  tls_state = kCaching;
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, MakeExitKey);
  Link(table);
  if (pthread_setspecific(exit_key, reinterpret_cast<void*>(1)) != 0) {
    // No hook would run: undo, as the hook would (what the calloc above
    // cached included), and try again on a later call.
    OnThreadExit(nullptr);
    tls_state = kNew;
    return false;
  }
  return true;
}

void FoldCounts(const ThreadTableRef& table, uint32_t id) {
  if (!table.record->linked) return;  // nothing counted yet
  std::lock_guard<std::mutex> lock(registry_mu);
  BeginWriteLocked();
  FoldCountsLocked(*table.record, id);
  EndWriteLocked();
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
  // and the records in them, to the child's new threads or unmaps them.
  // Their counts are folded (as of the fork) and the list keeps this
  // thread's records alone.
  BeginWriteLocked();
  for (ThreadRecord* t = registry; t != nullptr; t = t->next) {
    if (IsThisThreads(t)) continue;
    for (uint32_t id = 0; id < kCachedClasses; ++id) FoldCountsLocked(*t, id);
  }
  StoreForReaders(registry, static_cast<ThreadRecord*>(nullptr));
  for (ThreadRecord* r = tls_records; r != nullptr; r = r->next_of_thread) {
    if (r->linked) LinkLocked(*r);
  }
  EndWriteLocked();
  // Readers on the parent's other threads do not exist here either; had one
  // been counted, this thread's exit would wait for it for ever.
  registry_readers.store(0, std::memory_order_relaxed);
  registry_mu.unlock();
}

bool TryCountsOf(const TableTotals* totals, uint32_t id,
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
    // A write under way, or one that began during the last attempt: its
    // writer may be waiting for this very CPU, and spinning would only
    // keep it waiting. sched_yield is one system call, safe in a handler.
    if (attempt > 0) sched_yield();
    const uint64_t begin = registry_seq.load(std::memory_order_seq_cst);
    if ((begin & 1) != 0) continue;
    // Every release count before any allocation count: an object released
    // before its release is read was allocated before its allocation is,
    // so the difference never falls below what stayed live throughout.
    CachedCounts counts;
    counts.releases = LoadForReader(totals->exited[id].releases);
    for (const ThreadRecord* t = LoadForReader(registry); t != nullptr;
         t = LoadForReader(t->next)) {
      if (t->totals == totals) {
        counts.releases += LoadForReader(t->classes[id].releases);
      }
    }
    counts.allocations = LoadForReader(totals->exited[id].allocations);
    for (const ThreadRecord* t = LoadForReader(registry); t != nullptr;
         t = LoadForReader(t->next)) {
      if (t->totals == totals) {
        counts.allocations += LoadForReader(t->classes[id].allocations);
      }
    }
    if (registry_seq.load(std::memory_order_seq_cst) == begin) {
      *out = counts;
      consistent = true;
    }
  }
  registry_readers.fetch_sub(1, std::memory_order_seq_cst);
  return consistent;
}

CachedCounts CountsOf(const TableTotals* totals, uint32_t id) {
  CachedCounts counts;
  while (!TryCountsOf(totals, id, &counts)) sched_yield();
  return counts;
}

}  // namespace magazine
}  // namespace slabkit
