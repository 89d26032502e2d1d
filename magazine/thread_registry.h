// The registry of threads that cache: what each thread's tables (one per
// Config type, class_cache.h) hold of the process-wide counts, summed by any
// thread or signal handler without a lock; and the thread's life as its
// caches see it, from its first cached call to its exit hook.
#ifndef SLABKIT_MAGAZINE_THREAD_REGISTRY_H_
#define SLABKIT_MAGAZINE_THREAD_REGISTRY_H_

#include <cstdint>

#include "magazine/class_cache.h"
#include "policy/cache.h"

namespace slabkit {
namespace magazine {

// Called before a thread's first use of `table`'s entries: arms the
// thread's exit hook (once per thread) and links the table's record, so that
// its counts are summed from then on. False when the thread must not cache:
// its exit hook has run, or it is in glibc's last stretch of thread exit,
// where no hook would run any more; its calls then go to the slab.
bool StartCaching(const ThreadTableRef& table);

// Moves this thread's counts of class `id` in `table` to the table's totals
// (before the entry is reset).
void FoldCounts(const ThreadTableRef& table, uint32_t id);

// Returns all of the calling thread's magazines, of every table, to their
// depots; it caches again on its next call. The same runs by itself, once,
// when a thread that cached exits (a pthread key destructor); from then on
// the thread caches nothing: whatever it allocates or releases later in its
// exit (in other keys' destructors, or glibc's own frees) goes to the slab.
void FlushThread();

// Allocations and releases of class `id` through the magazines of `totals`'s
// table, by every thread that ever used it: live threads' counts plus those
// of threads that exited or flushed, each count as it was at one moment
// during the read, releases read before allocations (CachedCounts).
//
// Async-signal-safe: takes no lock and allocates nothing; a write under way
// on another thread costs a sched_yield per try, so that its writer runs
// even when it waits for this CPU. False (and *out untouched) when the
// counts could not be read consistently in kCountAttempts tries: threads
// were exiting or flushing all along, or the signal interrupted this very
// thread in such a change.
inline constexpr int kCountAttempts = 1000;
bool TryCountsOf(const TableTotals* totals, uint32_t id, CachedCounts* out);

// The same, retried until it succeeds: from any thread, but not from a
// signal handler (it could wait for the thread the signal interrupted).
CachedCounts CountsOf(const TableTotals* totals, uint32_t id);

// Fork safety: takes (then releases) the registry's lock, so that a child
// forked in between finds it free. The child releases it with
// UnlockRegistryInForkChild, which also forgets the parent's other threads
// (their counts as of the fork stay counted; what they had cached stays
// unused, since a thread may have been changing its entries at the fork)
// and their readers.
void LockRegistryForFork();
void UnlockRegistryAfterFork();
void UnlockRegistryInForkChild();

}  // namespace magazine
}  // namespace slabkit

#endif  // SLABKIT_MAGAZINE_THREAD_REGISTRY_H_
