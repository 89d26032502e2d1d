// Allocation sites of sampled allocations, for allocation profiles: how
// many samples were taken at each (stack, size) since the table was made or
// last reset, and how many bytes they came to.
//
// Open addressing on a hash of the stack and the size; when every site is
// taken, the last one counts the rest, with no stack. Zeroed memory is an
// empty table, so a table lives in mapper or arena memory as it is.
// Count's callers serialize it (their owner's lock); readers take no lock
// and see a snapshot: a site's stack is written before its count is
// published, and never rewritten.
#ifndef SLABKIT_GUARD_SAMPLE_SITES_H_
#define SLABKIT_GUARD_SAMPLE_SITES_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace slabkit {
namespace guard {

// Frames kept of a sampled allocation's stack.
inline constexpr int kSampleStackDepth = 24;

template <size_t kSites>
class SampleSites {
  static_assert(kSites >= 2 && kSites <= 256, "sites are indexed by a byte");

 public:
  // Counts an allocation of `size` bytes made from `stack` (its first
  // kSampleStackDepth frames); returns its site's index.
  uint8_t Count(void* const* stack, int depth, size_t size) {
    if (depth > kSampleStackDepth) depth = kSampleStackDepth;
    if (depth < 0) depth = 0;
    uint64_t hash = 0xcbf29ce484222325u;  // FNV-1a over the frames and size
    for (int i = 0; i < depth; ++i) {
      hash = (hash ^ reinterpret_cast<uintptr_t>(stack[i])) * 0x100000001b3u;
    }
    hash = ((hash ^ size) * 0x100000001b3u) | 1;  // 0 marks a free site
    for (size_t probe = 0; probe < kSites - 1; ++probe) {
      const size_t index = (hash + probe) % (kSites - 1);
      Site& site = sites_[index];
      if (site.hash == hash) return Add(index, size);
      if (site.hash == 0) {
        site.hash = hash;
        site.depth = static_cast<uint8_t>(depth);
        memcpy(site.stack, stack, depth * sizeof(void*));
        return Add(index, size);
      }
    }
    return Add(kSites - 1, size);
  }

  // Calls f(stack, depth, size, allocations) for each site with samples:
  // `size` is the bytes of each (for the overflow site, their mean).
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t i = 0; i < kSites; ++i) {
      const Site& site = sites_[i];
      const uint64_t n = site.allocations.load(std::memory_order_acquire);
      if (n == 0) continue;
      const uint64_t bytes = site.bytes.load(std::memory_order_relaxed);
      f(static_cast<void* const*>(site.stack), static_cast<int>(site.depth),
        static_cast<size_t>(bytes / n), n);
    }
  }

  // The stack of site `index` (one that has counted a sample).
  void Stack(uint8_t index, void* const** stack, int* depth) const {
    // Orders the reads after the stack's writing, which the site's first
    // count published.
    (void)sites_[index].allocations.load(std::memory_order_acquire);
    *stack = sites_[index].stack;
    *depth = sites_[index].depth;
  }

  // Counts from zero again; the sites and their stacks stay.
  void Reset() {
    for (Site& site : sites_) {
      site.allocations.store(0, std::memory_order_relaxed);
      site.bytes.store(0, std::memory_order_relaxed);
    }
  }

 private:
  struct Site {
    uint64_t hash;
    uint8_t depth;
    void* stack[kSampleStackDepth];
    std::atomic<uint64_t> bytes;
    std::atomic<uint64_t> allocations;  // published after the stack
  };

  uint8_t Add(size_t index, size_t size) {
    sites_[index].bytes.fetch_add(size, std::memory_order_relaxed);
    sites_[index].allocations.fetch_add(1, std::memory_order_release);
    return static_cast<uint8_t>(index);
  }

  Site sites_[kSites];
};

}  // namespace guard
}  // namespace slabkit

#endif  // SLABKIT_GUARD_SAMPLE_SITES_H_
