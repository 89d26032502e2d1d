// Decay: memory the program no longer uses goes back to the OS by itself
// (docs/options.md: decay_ms, background_thread).
//
// A decay pass visits every process-wide allocator (AddProcessAllocator):
// each depot returns the magazines no thread took since the previous pass
// (magazine::Depot::Decay), then spans that were empty at the previous pass
// and were not allocated from since are decommitted (slab::SlabClass::
// DecaySpans), and malloc's retained large blocks likewise give their pages
// back (malloc::LargeAllocator::Decay). Passes run every decay_ms / 2, so
// memory goes back once it has been idle for between decay_ms / 2 and
// decay_ms (a depot's magazines take one pass more); decay_ms=0 passes
// every 10 ms without the aging; decay_ms=-1 never passes.
//
// Who runs the passes: the slow paths themselves (background_thread=0, the
// default), one pass at a time when a period has gone by; or a background
// thread (background_thread=1), started by the first slow path that finds
// the process holding kDecayStartBytes of spans (so short and small
// programs never get one), which ends the process when every other thread
// has (as glibc does at the last thread's exit). Either way a pass runs
// with no allocator lock held on entry and takes each class's locks one at
// a time, never calls malloc, and stays out of fork (the fork handler takes
// the same locks; the child starts a thread of its own when it needs one).
#ifndef SLABKIT_ALLOCATOR_DECAY_H_
#define SLABKIT_ALLOCATOR_DECAY_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/base/optimization.h"

namespace slabkit {

// The background thread starts once the process's slabs hold this much.
inline constexpr size_t kDecayStartBytes = size_t{8} << 20;

namespace decay_internal {
// Nonzero while slow paths have decay work: start the thread, or run a
// pass when one is due.
extern std::atomic<int> slow_path_work;
void OnSlowPath();
}  // namespace decay_internal

// Called on entry to a process-wide allocator's slow paths (a Config's
// NoteSlowPath, allocator/allocator.h), with no allocator lock held. One
// relaxed load and a branch when there is nothing to do.
inline void NoteDecaySlowPath() {
  if (ABSL_PREDICT_FALSE(decay_internal::slow_path_work.load(
                             std::memory_order_relaxed) != 0)) {
    decay_internal::OnSlowPath();
  }
}

// Sets the policy (SLABKIT_OPTIONS, read once): decay_ms as above, and who
// runs the passes. Called before the first process-wide allocator is added.
void ConfigureDecay(int64_t decay_ms, bool background_thread);

namespace decay_internal {
// The fork handler's child half: the thread did not survive the fork.
void AfterForkInChild();
}  // namespace decay_internal

}  // namespace slabkit

#endif  // SLABKIT_ALLOCATOR_DECAY_H_
