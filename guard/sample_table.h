// Sampled allocations kept outside any guarded pool (malloc's large blocks,
// which have guard pages of their own): each live sample's size and
// allocation site, and the sites' counts since start, for heap profiles.
//
// The owner serializes Add, Remove and Reset (LargeAllocator calls them
// under its lock); readers take no lock and see a snapshot. Never calls
// malloc: the records are mapped from the mapper on the first Add.
#ifndef SLABKIT_GUARD_SAMPLE_TABLE_H_
#define SLABKIT_GUARD_SAMPLE_TABLE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "guard/sample_sites.h"
#include "mapper/mapper.h"

namespace slabkit {
namespace guard {

class SampleTable {
 public:
  // Live samples recorded at most (as many as 128 GiB of large blocks
  // hold at the default interval); a sample beyond is dropped (its
  // allocation still counts at its site). The records are address space
  // until used: a page holds 170.
  static constexpr size_t kCapacity = 65535;
  static constexpr size_t kSites = 256;

  // `class_name` names every sample (it must outlive the table).
  SampleTable(const char* class_name, MapperRef mapper)
      : class_name_(class_name), mapper_(mapper) {}
  SampleTable(const SampleTable&) = delete;
  SampleTable& operator=(const SampleTable&) = delete;

  // Records a live sample of `size` bytes that stands for `weighted_bytes`,
  // allocated from `stack`. Returns its handle (never 0), or 0 when it was
  // not recorded: no memory, or kCapacity samples live.
  uint32_t Add(size_t size, uint64_t weighted_bytes, void* const* stack,
               int depth);
  // Drops the live sample `handle` (from Add, not 0); returns its
  // weighted_bytes.
  uint64_t Remove(uint32_t handle);
  // Counts the sites from zero again (ResetAllocations); live samples stay.
  void Reset();

  const char* class_name() const { return class_name_; }
  // The memory mapped for the records.
  size_t bytes() const;

  // Calls f(size, stack, depth, live, allocations) for every live sample
  // (live 1, allocations 0) and every site (live 0, allocations n).
  template <typename F>
  void ForEachSample(F&& f) const {
    ForEachHeld([&](size_t size, void* const* stack, int depth) {
      f(size, stack, depth, uint64_t{1}, uint64_t{0});
    });
    const Storage* s = storage_.load(std::memory_order_acquire);
    if (s == nullptr) return;
    s->sites.ForEach(
        [&](void* const* stack, int depth, size_t size, uint64_t allocations) {
          f(size, stack, depth, uint64_t{0}, allocations);
        });
  }

  // Calls f(size, stack, depth) for every live sample.
  template <typename F>
  void ForEachHeld(F&& f) const {
    const Storage* s = storage_.load(std::memory_order_acquire);
    if (s == nullptr) return;
    const uint32_t used = s->used.load(std::memory_order_acquire);
    for (uint32_t i = 0; i < used; ++i) {
      const Record& r = s->records[i];
      if (!r.live.load(std::memory_order_acquire)) continue;
      void* const* stack;
      int depth;
      s->sites.Stack(r.site, &stack, &depth);
      f(r.size, stack, depth);
    }
  }

 private:
  struct Record {
    std::atomic<bool> live;  // published after the rest
    uint8_t site;
    size_t size;
    uint64_t weighted_bytes;
  };
  struct Storage {
    SampleSites<kSites> sites;
    // Records [0, used) have been handed out; those freed since are on the
    // `free` stack, taken before a new one.
    std::atomic<uint32_t> used;
    size_t free_count;
    uint16_t free[kCapacity];
    Record records[kCapacity];
  };

  // The records, mapped on first use; null when memory cannot be had.
  Storage* GetStorage();

  const char* const class_name_;
  const MapperRef mapper_;
  std::atomic<Storage*> storage_{nullptr};
};

}  // namespace guard
}  // namespace slabkit

#endif  // SLABKIT_GUARD_SAMPLE_TABLE_H_
