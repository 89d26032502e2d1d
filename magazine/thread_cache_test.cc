#include "magazine/thread_cache.h"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "mapper/mmap_mapper.h"
#include "slab/page_map.h"
#include "slab/slab_class.h"

namespace slabkit {
namespace magazine {
namespace {

// The table these tests' classes use, as a Config type would.
struct TestTag {};
using Table = ThreadTable<TestTag>;

slab::LayoutParams LayoutWithStates(bool states) {
  slab::LayoutParams params;
  params.object_states = states;
  return params;
}

// One class: a slab behind a depot, as an allocator would wire them.
class TestClass {
 public:
  // `states`: keep object states (Mitigations::kObjectStates).
  TestClass(size_t size, bool zero_init = false, DepotOptions options = {},
            bool states = false)
      : geometry_(*slab::ComputeGeometry(size, 0, mapper_.page_size(),
                                         LayoutWithStates(states))),
        id_(slab::NewClassId()),
        slab_(id_, "test", &geometry_, MapperRef(&mapper_)),
        depot_(ResolveDepotOptions(options, geometry_.object_size), &arena_,
               SlabCallbacks{&Fill, &Spill, this}),
        cached_{id_, &geometry_, zero_init, states, &depot_} {}

  ~TestClass() { FlushThreadClass(Table::Ref(), id_); }

  void* Allocate() {
    constexpr uint32_t kStates = kCountCalls | kKeepStates | kZeroInit;
    if (void* p = cached_.states ? TryAllocate<TestTag, kStates>(id_)
                                 : TryAllocate<TestTag>(id_)) {
      return p;
    }
    return AllocateSlow(Table::Ref(), cached_).object;
  }
  void Release(void* p) {
    if (TryRelease<TestTag>(id_, p)) return;
    ASSERT_EQ(ReleaseSlow(Table::Ref(), cached_, p), ReleaseOutcome::kCached);
  }

  uint32_t id() const { return id_; }
  const CachedClass& cached() const { return cached_; }
  Depot& depot() { return depot_; }
  const slab::ClassGeometry& geometry() const { return geometry_; }
  size_t fills() const { return fills_; }
  size_t slab_live() const { return live_; }

 private:
  static size_t Fill(void* self, void** out, size_t n) {
    auto* c = static_cast<TestClass*>(self);
    std::lock_guard<std::mutex> lock(c->mu_);
    c->fills_++;
    const size_t got = c->slab_.Allocate(out, n);
    c->live_ += got;
    return got;
  }
  static void Spill(void* self, void* const* objects, size_t n) {
    auto* c = static_cast<TestClass*>(self);
    std::lock_guard<std::mutex> lock(c->mu_);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(c->slab_.Release(slab::Locate(objects[i])),
                slab::SlabClass::ReleaseResult::kOk);
    }
    c->live_ -= n;
  }

  MmapMapper mapper_;
  slab::MetadataArena arena_{MapperRef(&mapper_)};
  const slab::ClassGeometry geometry_;
  const uint32_t id_;
  std::mutex mu_;
  slab::SlabClass slab_;
  Depot depot_;
  const CachedClass cached_;
  size_t fills_ = 0;
  size_t live_ = 0;
};

TEST(ThreadCacheTest, FirstUseTakesTheSlowPathThenTheFastPathServes) {
  TestClass cls(32, false, {16, 4});
  EXPECT_EQ(TryAllocate<TestTag>(cls.id()), nullptr)
      << "zeroed entry: slow path";
  void* first = cls.Allocate();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(cls.fills(), 1u);
  // The refill brought a whole magazine: 15 more come from the fast path.
  for (int i = 0; i < 15; ++i)
    ASSERT_NE(TryAllocate<TestTag>(cls.id()), nullptr) << i;
  EXPECT_EQ(TryAllocate<TestTag>(cls.id()), nullptr) << "magazine exhausted";
  // Releasing into the empty magazine compares with its sentinel, not a slot.
  EXPECT_TRUE(TryRelease<TestTag>(cls.id(), first));
  EXPECT_EQ(TryAllocate<TestTag>(cls.id()), first);
}

TEST(ThreadCacheTest, ReleaseFastPathAcceptsOnlyObjectStartsOfTheClass) {
  TestClass cls(48);
  TestClass other(48);
  char* p = static_cast<char*>(cls.Allocate());
  void* q = cls.Allocate();
  void* foreign = other.Allocate();
  int on_stack;
  EXPECT_FALSE(TryRelease<TestTag>(cls.id(), foreign))
      << "another class's object";
  EXPECT_FALSE(TryRelease<TestTag>(cls.id(), &on_stack)) << "not slabkit's";
  EXPECT_FALSE(TryRelease<TestTag>(cls.id(), p + 8)) << "interior";
  EXPECT_FALSE(TryRelease<TestTag>(cls.id(), slab::ChunkOf(p)))
      << "chunk metadata";
  char* tail = slab::ChunkOf(p)->span_data(0) +
               cls.geometry().objects_per_span * cls.geometry().object_size;
  if (tail < slab::ChunkOf(p)->span_data(1)) {
    EXPECT_FALSE(TryRelease<TestTag>(cls.id(), tail)) << "span tail slack";
  }
  EXPECT_FALSE(TryRelease<TestTag>(kCachedClasses + 1, p)) << "uncached id";
  EXPECT_TRUE(TryRelease<TestTag>(cls.id(), p));
  EXPECT_FALSE(TryRelease<TestTag>(cls.id(), p)) << "back-to-back double free";
  EXPECT_EQ(ReleaseSlow(Table::Ref(), cls.cached(), p),
            ReleaseOutcome::kDoubleFree);
  EXPECT_TRUE(TryRelease<TestTag>(cls.id(), q));
  other.Release(foreign);
}

TEST(ThreadCacheTest, ReleasedObjectsComeBackLastInFirstOut) {
  TestClass cls(64);
  void* a = cls.Allocate();
  void* b = cls.Allocate();
  cls.Release(a);
  cls.Release(b);
  EXPECT_EQ(cls.Allocate(), b);
  EXPECT_EQ(cls.Allocate(), a);
}

TEST(ThreadCacheTest, MagazinesMoveThroughTheDepotAndNothingIsLost) {
  TestClass cls(32, false, {8, 2});
  std::vector<void*> objects;
  for (int i = 0; i < 100; ++i) objects.push_back(cls.Allocate());
  EXPECT_EQ(std::set<void*>(objects.begin(), objects.end()).size(), 100u);
  for (void* p : objects) cls.Release(p);
  const Depot::Stats s = cls.depot().stats();
  EXPECT_LE(s.full_magazines, 2u) << "the limit holds";
  EXPECT_GT(s.spilled_objects, 0u) << "so objects went back to the slab";
  // Every object is in this thread's magazines, the depot or the slab.
  EXPECT_EQ(cls.slab_live(),
            ThreadCachedObjects(Table::Ref(), cls.id()) + s.cached_objects);
  std::set<void*> again;
  for (int i = 0; i < 100; ++i) again.insert(cls.Allocate());
  EXPECT_EQ(again.size(), 100u) << "no object handed out twice";
}

TEST(ThreadCacheTest, ZeroInitClassesGetZerosFromTheFastPath) {
  TestClass cls(40, /*zero_init=*/true);
  auto* p = static_cast<unsigned char*>(cls.Allocate());
  memset(p, 0xFF, 40);
  cls.Release(p);
  auto* q = static_cast<unsigned char*>(TryAllocate<TestTag>(cls.id()));
  ASSERT_EQ(q, p);
  for (int i = 0; i < 40; ++i) ASSERT_EQ(q[i], 0);
}

TEST(ThreadCacheTest, ThreadExitReturnsItsMagazinesToTheDepot) {
  TestClass cls(32, false, {16, 100});
  std::thread([&] {
    std::vector<void*> objects;
    for (int i = 0; i < 40; ++i) objects.push_back(cls.Allocate());
    for (void* p : objects) cls.Release(p);
    // Every object the slab handed out is cached by this thread or the depot.
    EXPECT_EQ(ThreadCachedObjects(Table::Ref(), cls.id()) +
                  cls.depot().stats().cached_objects,
              cls.slab_live());
    EXPECT_GT(ThreadCachedObjects(Table::Ref(), cls.id()), 0u);
  }).join();
  EXPECT_EQ(cls.depot().stats().cached_objects, cls.slab_live())
      << "everything the thread cached is in the depot now";
  EXPECT_EQ(ThreadCachedObjects(Table::Ref(), cls.id()), 0u)
      << "this thread cached none";
}

TEST(ThreadCacheTest, FlushReturnsThisThreadsObjects) {
  TestClass cls(32);
  void* p = cls.Allocate();
  cls.Release(p);
  EXPECT_GT(ThreadCachedObjects(Table::Ref(), cls.id()), 0u);
  FlushThread();
  EXPECT_EQ(ThreadCachedObjects(Table::Ref(), cls.id()), 0u);
  EXPECT_EQ(TryAllocate<TestTag>(cls.id()), nullptr) << "the entry is reset";
  EXPECT_EQ(cls.Allocate(), p) << "and set up again on next use";
}

// Object states: of two threads releasing one held object at the same
// moment, exactly one caches it (an atomic exchange of its state byte); the
// other goes to the slow path, which reports the double free. Rounds of
// releases started together by a spin barrier.
TEST(ThreadCacheTest, ConcurrentReleasesOfOneObjectHaveOneWinner) {
  TestClass cls(64, false, {1024, 4}, /*states=*/true);
  constexpr int kRounds = 1000;
  std::vector<void*> objects;
  for (int i = 0; i < kRounds; ++i) objects.push_back(cls.Allocate());
  std::atomic<int> arrived{0};
  std::atomic<int> wins[kRounds] = {};

  auto releaser = [&] {
    // Set this thread's entry up and empty its magazine (the first refill
    // fills all 1024 slots), so that it has room for every round.
    std::vector<void*> held;
    for (int i = 0; i < 1024; ++i) held.push_back(cls.Allocate());
    for (int r = 0; r < kRounds; ++r) {
      arrived.fetch_add(1);
      while (arrived.load() < 2 * (r + 1)) {
      }
      if (TryRelease<TestTag, kCountCalls | kKeepStates>(cls.id(),
                                                         objects[r])) {
        wins[r]++;
      }
    }
    for (void* p : held) cls.Release(p);
  };
  std::thread a(releaser);
  std::thread b(releaser);
  a.join();
  b.join();
  for (int r = 0; r < kRounds; ++r) ASSERT_EQ(wins[r].load(), 1) << r;
}

// Two tables (two Config types) never share a thread's entries: a class
// set up in one is not served from the other, whose entry stays unset.
TEST(ThreadCacheTest, TablesOfTwoConfigsAreApart) {
  struct OtherTag {};
  TestClass cls(32);
  void* p = cls.Allocate();
  cls.Release(p);
  EXPECT_EQ(TryAllocate<OtherTag>(cls.id()), nullptr);
  EXPECT_FALSE(TryRelease<OtherTag>(cls.id(), p));
  EXPECT_FALSE(EntryReady(ThreadTable<OtherTag>::Ref(), cls.id()));
  EXPECT_TRUE(EntryReady(Table::Ref(), cls.id()));
  EXPECT_EQ(TryAllocate<TestTag>(cls.id()), p);
  cls.Release(p);
}

}  // namespace
}  // namespace magazine
}  // namespace slabkit
