#include "magazine/depot.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "mapper/mmap_mapper.h"

namespace slabkit {
namespace magazine {
namespace {

// A stand-in slab: counts what goes in and out.
struct FakeSlab {
  std::mutex mu;
  uintptr_t next = 0x1000;
  std::vector<void*> spilled;

  static size_t Fill(void* self, void** out, size_t n) {
    auto* s = static_cast<FakeSlab*>(self);
    std::lock_guard<std::mutex> lock(s->mu);
    for (size_t i = 0; i < n; ++i)
      out[i] = reinterpret_cast<void*>(s->next += 16);
    return n;
  }
  static void Spill(void* self, void* const* objects, size_t n) {
    auto* s = static_cast<FakeSlab*>(self);
    std::lock_guard<std::mutex> lock(s->mu);
    s->spilled.insert(s->spilled.end(), objects, objects + n);
  }
};

class DepotTest : public testing::Test {
 protected:
  Depot MakeDepot(uint32_t capacity, uint32_t max_full) {
    return Depot({capacity, max_full}, &arena_,
                 SlabCallbacks{&FakeSlab::Fill, &FakeSlab::Spill, &slab_});
  }
  Magazine* FullMagazine(Depot& depot, uint32_t n) {
    Magazine* m = depot.TakeEmpty();
    m->count = static_cast<uint32_t>(FakeSlab::Fill(&slab_, m->slots(), n));
    return m;
  }

  MmapMapper mapper_;
  slab::MetadataArena arena_{MapperRef(&mapper_)};
  FakeSlab slab_;
};

TEST(ResolveDepotOptionsTest, DefaultsFollowObjectSize) {
  EXPECT_EQ(ResolveDepotOptions({}, 16).magazine_capacity, 128u);
  EXPECT_EQ(ResolveDepotOptions({}, 1024).magazine_capacity, 16u);
  EXPECT_EQ(ResolveDepotOptions({}, 200000).magazine_capacity, 4u);
  EXPECT_EQ(ResolveDepotOptions({}, 16).max_full, 16u);
  const DepotOptions chosen = ResolveDepotOptions({7, 3}, 16);
  EXPECT_EQ(chosen.magazine_capacity, 7u);
  EXPECT_EQ(chosen.max_full, 3u);
}

TEST_F(DepotTest, EmptyMagazinesAreMadeOnceThenReused) {
  Depot depot = MakeDepot(8, 4);
  Magazine* a = depot.TakeEmpty();
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->capacity, 8u);
  EXPECT_EQ(a->count, 0u);
  EXPECT_EQ(a->sentinel, nullptr);
  depot.PutEmpty(a);
  EXPECT_EQ(depot.TakeEmpty(), a);
  EXPECT_EQ(depot.stats().magazines_made, 1u);
}

TEST_F(DepotTest, FullMagazinesComeBackLastInFirstOut) {
  Depot depot = MakeDepot(8, 4);
  Magazine* a = FullMagazine(depot, 8);
  Magazine* b = FullMagazine(depot, 5);
  depot.PutFull(a);
  depot.PutFull(b);
  EXPECT_EQ(depot.stats().cached_objects, 13u);
  EXPECT_EQ(depot.TakeFull(), b);
  EXPECT_EQ(depot.TakeFull(), a);
  EXPECT_EQ(depot.TakeFull(), nullptr);
  EXPECT_EQ(depot.stats().cached_objects, 0u);
}

TEST_F(DepotTest, BeyondTheLimitObjectsGoBackToTheSlab) {
  Depot depot = MakeDepot(4, 2);
  std::vector<Magazine*> mags;
  for (int i = 0; i < 3; ++i) mags.push_back(FullMagazine(depot, 4));
  for (Magazine* m : mags) depot.PutFull(m);
  EXPECT_EQ(depot.stats().full_magazines, 2u);
  EXPECT_EQ(slab_.spilled.size(), 4u);
  EXPECT_EQ(depot.stats().empty_magazines, 1u) << "the spilled one is kept";
  depot.Drain();
  EXPECT_EQ(slab_.spilled.size(), 12u);
  EXPECT_EQ(depot.stats().full_magazines, 0u);
  EXPECT_EQ(depot.stats().empty_magazines, 3u);
  EXPECT_EQ(depot.stats().spilled_objects, 12u);
}

// Decay returns what no thread took since the previous pass: the low-water
// mark of full magazines.
TEST_F(DepotTest, DecayReturnsMagazinesIdleSinceThePreviousPass) {
  Depot depot = MakeDepot(4, 8);
  for (int i = 0; i < 5; ++i) depot.PutFull(FullMagazine(depot, 4));
  depot.Decay();
  EXPECT_TRUE(slab_.spilled.empty()) << "put since the last pass: all busy";
  EXPECT_EQ(depot.stats().full_magazines, 5u);
  // Two are taken and one comes back: three sat idle throughout.
  Magazine* a = depot.TakeFull();
  Magazine* b = depot.TakeFull();
  depot.PutFull(a);
  depot.Decay();
  EXPECT_EQ(slab_.spilled.size(), 12u);
  EXPECT_EQ(depot.stats().full_magazines, 1u);
  EXPECT_EQ(depot.stats().cached_objects, 4u);
  EXPECT_EQ(depot.stats().empty_magazines, 3u);
  depot.Decay();
  EXPECT_EQ(slab_.spilled.size(), 16u) << "idle for a whole pass now";
  EXPECT_EQ(depot.stats().full_magazines, 0u);
  depot.PutFull(b);
  depot.Drain();
  EXPECT_EQ(slab_.spilled.size(), 20u);
}

TEST_F(DepotTest, ConcurrentExchangesLoseNothing) {
  Depot depot = MakeDepot(16, 1000);
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        Magazine* m = depot.TakeFull();
        if (m == nullptr) m = FullMagazine(depot, 16);
        depot.PutFull(m);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const Depot::Stats s = depot.stats();
  EXPECT_EQ(s.cached_objects, 16 * s.full_magazines);
  EXPECT_EQ(s.magazines_made, s.full_magazines + s.empty_magazines);
  EXPECT_TRUE(slab_.spilled.empty());
}

// Threads pop and push the same magazines as fast as they can: every
// magazine stays in the stack or in one thread's hands, never in two.
TEST_F(DepotTest, StackKeepsEveryMagazineOnceUnderConcurrentUse) {
  constexpr int kMagazines = 8;
  constexpr int kThreads = 4;
  constexpr int kRounds = 200000;
  MagazineStack stack;
  std::vector<Magazine*> all;
  for (int i = 0; i < kMagazines; ++i) {
    auto* m = static_cast<Magazine*>(
        arena_.Allocate(Magazine::Bytes(4), kMagazineAlignment));
    ASSERT_TRUE(MagazineStack::Fits(m));
    all.push_back(m);
    stack.Push(m);
  }
  std::atomic<int> holders[kMagazines] = {};
  std::atomic<bool> shared{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        Magazine* m = stack.Pop();
        if (m == nullptr) continue;
        const int index = static_cast<int>(
            std::find(all.begin(), all.end(), m) - all.begin());
        if (holders[index].fetch_add(1) != 0) shared = true;
        holders[index].fetch_sub(1);
        stack.Push(m);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_FALSE(shared) << "a magazine was popped by two threads at once";
  std::vector<Magazine*> left;
  while (Magazine* m = stack.Pop()) left.push_back(m);
  std::sort(left.begin(), left.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(left, all);
}

TEST(MagazineStackTest, FitsOnlyAlignedAddressesBelow2To47) {
  alignas(64) static char memory[128];
  EXPECT_TRUE(MagazineStack::Fits(reinterpret_cast<Magazine*>(memory)));
  EXPECT_FALSE(MagazineStack::Fits(reinterpret_cast<Magazine*>(memory + 8)));
  EXPECT_FALSE(
      MagazineStack::Fits(reinterpret_cast<Magazine*>(uintptr_t{1} << 47)));
}

}  // namespace
}  // namespace magazine
}  // namespace slabkit
