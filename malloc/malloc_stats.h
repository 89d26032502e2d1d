// What malloc reports: its size classes (a SlabAllocator's) and its large
// blocks (a LargeAllocator's) as one, for the stats report and for the
// counters a signal handler reads.
#ifndef SLABKIT_MALLOC_MALLOC_STATS_H_
#define SLABKIT_MALLOC_MALLOC_STATS_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "malloc/large.h"
#include "stats/class_stats.h"

namespace slabkit {
namespace malloc {

// The class names of large and zero-size blocks, in reports and
// diagnostics.
inline constexpr char kLargeBlocksName[] = "malloc_large";
inline constexpr char kZeroSizeName[] = "malloc_zero_size";

// The stats report's view (stats/report.h): the size classes, then large
// blocks as one more row. Large blocks' in-use bytes are their committed
// pages; reserved and committed bytes include retained windows, whose
// committed pages are the row's idle bytes.
template <typename Allocator>
class MallocReportView {
 public:
  MallocReportView(const Allocator& classes, const LargeAllocator& large,
                   const char* mapper, size_t page_size)
      : classes_(classes),
        large_(large),
        mapper_(mapper),
        page_size_(page_size) {}

  GlobalStats GetGlobalStats() const {
    GlobalStats g = classes_.GetGlobalStats();
    const LargeAllocator::Stats l = large_.GetStats();
    const size_t reserved = l.reserved_bytes + l.retained_reserved_bytes;
    const size_t committed = l.committed_bytes + l.retained_bytes;
    g.reserved_bytes += reserved;
    g.committed_bytes += committed;
    g.metadata_bytes += l.metadata_bytes;
    g.idle_bytes += l.retained_bytes;
    g.returned_bytes += l.returned_bytes;
    ++g.classes;  // the large-blocks row ForEachClass reports
    // Large blocks come from the same mapper as the size classes: its row
    // counts them too, so the mapper rows add up to the totals.
    int m = 0;
    while (m < g.mappers && strcmp(g.by_mapper[m].name, mapper_) != 0) ++m;
    if (m == g.mappers && m < GlobalStats::kMaxMappers) {
      g.by_mapper[m] = MapperStats{};
      g.by_mapper[m].name = mapper_;
      ++g.mappers;
    }
    if (m < g.mappers) {
      g.by_mapper[m].reserved_bytes += reserved;
      g.by_mapper[m].committed_bytes += committed;
    }
    return g;
  }

  template <typename F>
  void ForEachClass(F&& f) const {
    classes_.ForEachClass(f);
    const LargeAllocator::Stats l = large_.GetStats();
    ClassStats s;
    s.name = kLargeBlocksName;
    s.mapper = mapper_;
    s.alignment = page_size_;
    s.allocations = l.allocations;
    s.releases = l.releases;
    s.live = l.live;
    s.in_use_bytes = l.committed_bytes;
    s.cache_misses = l.allocations - l.reuses;
    s.reserved_bytes = l.reserved_bytes + l.retained_reserved_bytes;
    s.committed_bytes = l.committed_bytes + l.retained_bytes;
    s.idle_bytes = l.retained_bytes;
    s.returned_bytes = l.returned_bytes;
    f(s);
  }

 private:
  const Allocator& classes_;
  const LargeAllocator& large_;
  const char* const mapper_;
  const size_t page_size_;
};

// malloc's counters summed over the classes `ids` (`n` of them) and large
// blocks, counted as the report counts them. Async-signal-safe; false (and
// *out untouched) when a class's counts could not be read
// (SlabAllocator::ReadCounters).
template <typename Allocator>
bool SumCounters(const Allocator& classes, const LargeAllocator& large,
                 const uint32_t* ids, int n, ClassCounters* out) {
  ClassCounters sum;
  for (int c = 0; c < n; ++c) {
    ClassCounters one;
    if (classes.ReadCounters(ClassId{ids[c]}, &one) !=
        Allocator::CounterRead::kOk) {
      return false;
    }
    sum.allocations += one.allocations;
    sum.releases += one.releases;
    sum.live += one.live;
    sum.in_use_bytes += one.in_use_bytes;
    sum.reserved_bytes += one.reserved_bytes;
    sum.committed_bytes += one.committed_bytes;
    sum.idle_bytes += one.idle_bytes;
    sum.returned_bytes += one.returned_bytes;
  }
  const LargeAllocator::Stats l = large.ReadStats();
  sum.allocations += l.allocations;
  sum.releases += l.releases;
  sum.live += l.live;
  sum.in_use_bytes += l.committed_bytes;
  sum.reserved_bytes += l.reserved_bytes + l.retained_reserved_bytes;
  sum.committed_bytes += l.committed_bytes + l.retained_bytes;
  sum.idle_bytes += l.retained_bytes;
  sum.returned_bytes += l.returned_bytes;
  *out = sum;
  return true;
}

}  // namespace malloc
}  // namespace slabkit

#endif  // SLABKIT_MALLOC_MALLOC_STATS_H_
