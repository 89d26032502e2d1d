// The samples of a peak-heap profile: which sampled objects were live when
// the allocator's live heap, as its samples estimate it, was largest.
//
// Each sample stands for weighted_bytes of the heap (its size over its
// probability of being sampled); their running sum estimates the live heap.
// When a sampled allocation takes the sum a tenth above the last peak, the
// live samples are recorded again (one record each: its class, size and
// allocation site's stack), so a growing heap is recorded about log(growth) /
// log(1.1) times, and a program that stays at its peak not at all.
#ifndef SLABKIT_ALLOCATOR_PEAK_SAMPLES_H_
#define SLABKIT_ALLOCATOR_PEAK_SAMPLES_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "slab/metadata_arena.h"

namespace slabkit {

class PeakSamples {
 public:
  // Live samples recorded at most (as many as 32 GiB live holds at the
  // default interval); beyond, a peak's records are cut short. Two buffers
  // of 512 KiB, address space until used.
  static constexpr size_t kMaxRecords = 16384;
  struct Record {
    const char* class_name;
    size_t size;
    void* const* stack;  // the allocation site's, which outlives the sample
    int depth;
  };

  // After a sampled allocation standing for `weighted_bytes`: records the
  // live samples when the estimate passes the last peak by a tenth.
  // for_each_held(f) must call f(class_name, size, stack, depth) for every
  // live sample; the records' memory comes from `arena` on first use. Takes
  // a lock of its own (try_lock: a racing caller skips its turn), on no fast
  // path.
  template <typename ForEachHeld>
  void Allocated(uint64_t weighted_bytes, slab::MetadataArena* arena,
                 ForEachHeld&& for_each_held) {
    const uint64_t live =
        live_.fetch_add(weighted_bytes, std::memory_order_relaxed) +
        weighted_bytes;
    std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
    if (!lock.owns_lock() || live <= peak_ + peak_ / 10) return;
    RecordLocked(live, arena, for_each_held);
  }
  void Released(uint64_t weighted_bytes) {
    live_.fetch_sub(weighted_bytes, std::memory_order_relaxed);
  }
  // Starts over: the live samples now are the peak (a peak profile since
  // this call).
  template <typename ForEachHeld>
  void Reset(slab::MetadataArena* arena, ForEachHeld&& for_each_held) {
    std::lock_guard<std::mutex> lock(mu_);
    RecordLocked(live_.load(std::memory_order_relaxed), arena, for_each_held);
  }

  // Calls f(const Record&) for the last peak's records. Takes no lock
  // (async-signal-safe): records are written into the buffer not being
  // read, then published.
  template <typename F>
  void ForEach(F&& f) const {
    const int active = active_.load(std::memory_order_acquire);
    if (active < 0) return;
    const size_t n = counts_[active].load(std::memory_order_acquire);
    for (size_t i = 0; i < n; ++i) f(buffers_[active][i]);
  }

  void LockForFork() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.lock(); }
  void UnlockAfterFork() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.unlock(); }

 private:
  // Records the live samples as the peak, of `live` bytes.
  template <typename ForEachHeld>
  void RecordLocked(uint64_t live, slab::MetadataArena* arena,
                    ForEachHeld& for_each_held)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::atomic<uint64_t> live_{0};
  std::mutex mu_;
  uint64_t peak_ ABSL_GUARDED_BY(mu_) = 0;
  Record* buffers_[2] ABSL_GUARDED_BY(mu_) = {};
  std::atomic<int> active_{-1};  // the buffer readers read; -1: none yet
  std::atomic<size_t> counts_[2] = {};
};

template <typename ForEachHeld>
void PeakSamples::RecordLocked(uint64_t live, slab::MetadataArena* arena,
                               ForEachHeld& for_each_held) {
  if (buffers_[1] == nullptr) {
    // Both or neither: a buffer whose memory could not be had is asked for
    // again at the next peak (the arena keeps what it handed out).
    for (Record*& buffer : buffers_) {
      if (buffer != nullptr) continue;
      buffer = static_cast<Record*>(
          arena->Allocate(kMaxRecords * sizeof(Record), alignof(Record)));
      if (buffer == nullptr) return;
    }
  }
  const int next = active_.load(std::memory_order_relaxed) == 0 ? 1 : 0;
  Record* out = buffers_[next];
  size_t n = 0;
  for_each_held(
      [&](const char* class_name, size_t size, void* const* stack, int depth) {
        if (n < kMaxRecords) out[n++] = Record{class_name, size, stack, depth};
      });
  counts_[next].store(n, std::memory_order_relaxed);
  active_.store(next, std::memory_order_release);
  peak_ = live;
}

}  // namespace slabkit

#endif  // SLABKIT_ALLOCATOR_PEAK_SAMPLES_H_
