// What every process-wide allocator shares: SLABKIT_OPTIONS, the reports and
// heap profiles it asks for at exit or on a signal, and one fork handler.
#ifndef SLABKIT_ALLOCATOR_PROCESS_H_
#define SLABKIT_ALLOCATOR_PROCESS_H_

#include <cstddef>

#include "stats/heap_profile.h"
#include "stats/report.h"

namespace slabkit {

// A process-wide allocator as SLABKIT_OPTIONS sees it (docs/options.md):
// what writes its stats report at exit (stats=1) and, for allocators that
// sample, its heap profile (profile=1, profile_signal=N). DefaultAllocator()
// and DefaultHardenedAllocator() add themselves; c_api/malloc adds the
// malloc allocator. Reports are written in the order allocators were added.
struct ProcessAllocator {
  // Its stats report (WriteReport; `family` as there).
  void (*report)(int fd, ReportFormat format, int family);
  void (*heap_profile)(int fd, ProfileFormat format, ProfileKind kind);
  // It samples allocations: its profile is the one written (the last added
  // that samples, else the first added).
  bool samples;
  // Take and release every lock of the allocator (SlabAllocator::
  // LockForFork), around fork().
  void (*lock_for_fork)();
  void (*unlock_after_fork)();
  // One decay pass over the allocator (allocator/decay.h); returns the
  // bytes given back. Null: the allocator does not decay.
  size_t (*decay)(bool aged);
};

// Reads SLABKIT_OPTIONS (once per process) and adds `a`. Must not be called
// with an allocator lock held: it may call atexit(), which may allocate. At
// most 8 allocators; later ones are ignored.
//
// Fork safety: one pthread_atfork handler, registered with the first
// allocator, locks every added allocator in the order they were added, then
// the thread-cache registry, then the mapper registry and each registered
// mapper's own lock (LockMappersForFork), and unlocks them all in the parent
// and the child, so a child may allocate whatever the parent's other threads
// were doing.
void AddProcessAllocator(const ProcessAllocator& a);

// Returns the calling thread's cached objects, of every class of every
// allocator, to their depots (a thread does this by itself when it exits).
void FlushThreadCache();

namespace process_internal {
// A decay pass over every added allocator, in the order they were added.
size_t DecayProcessAllocators(bool aged);
}  // namespace process_internal

}  // namespace slabkit

#endif  // SLABKIT_ALLOCATOR_PROCESS_H_
