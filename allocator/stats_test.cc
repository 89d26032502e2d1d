// Counters are exact under concurrency, with every thread's caches taken
// into account: no flush, no idle-memory call needed.
#include <sched.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "allocator/allocator.h"
#include "gtest/gtest.h"

namespace slabkit {
namespace {

TEST(StatsTest, CountsAreExactAcrossThreadsAndCrossThreadReleases) {
  const ClassId cls = *DefaultAllocator().Register({"counted", 40});
  constexpr int kThreads = 4;
  constexpr int kEach = 30000;      // allocations per thread
  constexpr int kReleased = 20000;  // of which this many are released
  std::vector<std::vector<void*>> kept(kThreads);
  std::atomic<int> done{0};
  std::atomic<bool> go_on{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<void*> mine;
      for (int i = 0; i < kEach; ++i)
        mine.push_back(DefaultAllocator().Allocate(cls));
      // Release some of this thread's objects and some of the previous
      // thread's: half the releases cross threads.
      for (int i = 0; i < kReleased / 2; ++i)
        DefaultAllocator().Release(cls, mine[i]);
      kept[t] = std::vector<void*>(mine.begin() + kReleased / 2, mine.end());
      done.fetch_add(1);
      while (done.load() < kThreads) std::this_thread::yield();
      std::vector<void*>& other = kept[(t + 1) % kThreads];
      for (int i = 0; i < kReleased / 2; ++i)
        DefaultAllocator().Release(cls, other[i]);
      done.fetch_add(1);
      // Stay alive, caches full, while the main thread reads.
      while (!go_on.load()) std::this_thread::yield();
    });
  }
  while (done.load() < 2 * kThreads) std::this_thread::yield();
  ClassStats s = *DefaultAllocator().GetStats(cls);
  EXPECT_EQ(s.allocations, uint64_t{kThreads} * kEach);
  EXPECT_EQ(s.releases, uint64_t{kThreads} * kReleased);
  EXPECT_EQ(s.live, uint64_t{kThreads} * (kEach - kReleased));
  EXPECT_GT(s.depot_objects + s.from_slab - s.to_slab, s.live)
      << "objects sit in caches: the counts did not come from the slab";
  go_on.store(true);
  for (std::thread& t : threads) t.join();
  // The threads exited: their counts were folded, nothing changes.
  s = *DefaultAllocator().GetStats(cls);
  EXPECT_EQ(s.allocations, uint64_t{kThreads} * kEach);
  EXPECT_EQ(s.releases, uint64_t{kThreads} * kReleased);
  EXPECT_EQ(s.live, uint64_t{kThreads} * (kEach - kReleased));
}

// While other threads allocate and release as fast as they can (each
// thread's counts change between any two loads), a read never counts fewer
// live objects than the reader holds throughout, and never more releases
// than allocations.
TEST(StatsTest, LiveNeverReadsBelowWhatStaysLive) {
  const ClassId cls = *DefaultAllocator().Register({"churned", 24});
  constexpr int kHeld = 3;
  void* held[kHeld];
  for (void*& p : held) p = DefaultAllocator().Allocate(cls);
  std::atomic<bool> stop{false};
  std::vector<std::thread> churners;
  for (int t = 0; t < 2; ++t) {
    churners.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 64; ++i) {
          DefaultAllocator().Release(cls, DefaultAllocator().Allocate(cls));
        }
      }
    });
  }
  uint64_t low_reads = 0;
  for (int i = 0; i < 20000; ++i) {
    const ClassStats s = *DefaultAllocator().GetStats(cls);
    ClassCounters c;
    ASSERT_EQ(DefaultAllocator().ReadCounters(cls, &c),
              Allocator::CounterRead::kOk);
    low_reads += s.live < kHeld || s.releases > s.allocations ||
                 c.live < kHeld || c.releases > c.allocations;
  }
  stop = true;
  for (std::thread& t : churners) t.join();
  EXPECT_EQ(low_reads, 0u);
  for (void* p : held) DefaultAllocator().Release(cls, p);
}

// A thread preempted inside a registry write (a thread's first cached call,
// a flush, an exit) leaves the write under way until it runs again. A
// reader on the same CPU must let it run rather than spin: here a thread
// that flushes its cache without pause shares one CPU with the reader, so
// the reader's turn often begins while the flusher is inside a write.
TEST(StatsTest, ReadsSucceedWhileARegistryWriterWaitsForTheCpu) {
  cpu_set_t one_cpu;
  CPU_ZERO(&one_cpu);
  CPU_SET(sched_getcpu(), &one_cpu);
  cpu_set_t previous;
  ASSERT_EQ(sched_getaffinity(0, sizeof(previous), &previous), 0);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one_cpu), &one_cpu), 0);
  const ClassId cls = *DefaultAllocator().Register({"flushed", 32});
  std::atomic<bool> stop{false};
  std::thread flusher([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 100; ++i) {
        DefaultAllocator().Release(cls, DefaultAllocator().Allocate(cls));
      }
      FlushThreadCache();  // one registry write
    }
  });
  int busy = 0;
  for (int i = 0; i < 300; ++i) {
    ClassCounters c;
    busy +=
        DefaultAllocator().ReadCounters(cls, &c) != Allocator::CounterRead::kOk;
    // Let the flusher run a while, so that the next read may find it
    // preempted in a write.
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  stop = true;
  flusher.join();
  ASSERT_EQ(sched_setaffinity(0, sizeof(previous), &previous), 0);
  EXPECT_EQ(busy, 0);
}

TEST(StatsTest, GlobalStatsSumTheClassesByMapper) {
  const ClassId a = *DefaultAllocator().Register({"global-a", 64});
  const ClassId b =
      *DefaultAllocator().Register({"global-b", 64, 0, false, "file"});
  void* pa = DefaultAllocator().Allocate(a);
  void* pb = DefaultAllocator().Allocate(b);
  const GlobalStats g = DefaultAllocator().GetGlobalStats();
  EXPECT_GE(g.classes, 2u);
  EXPECT_GE(g.reserved_bytes, 2 * slab::kChunkSize);
  EXPECT_GT(g.metadata_bytes, 0u);
  EXPECT_GT(g.kernel_mappings, 0);
  EXPECT_EQ(g.misuse_events, 0u);
  size_t by_mapper = 0;
  bool saw_file = false;
  for (int m = 0; m < g.mappers; ++m) {
    by_mapper += g.by_mapper[m].reserved_bytes;
    saw_file |= std::string(g.by_mapper[m].name) == "file";
  }
  EXPECT_EQ(by_mapper, g.reserved_bytes);
  EXPECT_TRUE(saw_file);
  DefaultAllocator().Release(a, pa);
  DefaultAllocator().Release(b, pb);
}

}  // namespace
}  // namespace slabkit
