// Sampled guarded allocations through the hardened allocator: what faults,
// and what the report says.
#include "guard/sampled.h"

#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "allocator/allocator.h"
#include "gtest/gtest.h"

namespace slabkit {
namespace {

class SampledTest : public testing::Test {
 protected:
  void SetUp() override {
    testing::FLAGS_gtest_death_test_style = "threadsafe";
    guard::SetSampleInterval(1);  // every allocation on this thread
  }
  void TearDown() override {
    guard::SetSampleInterval(guard::kDefaultSampleInterval);
  }

  ClassId Register(absl::string_view name, size_t size) {
    absl::StatusOr<ClassId> cls =
        DefaultHardenedAllocator().Register({name, size});
    EXPECT_TRUE(cls.ok());
    return *cls;
  }
};

// Not inlined, so that it shows in the allocation stack.
__attribute__((noinline)) char* AllocateSampledRecord(ClassId cls) {
  return static_cast<char*>(DefaultHardenedAllocator().Allocate(cls));
}

TEST_F(SampledTest, SampledObjectsBelongToTheirClassAndWork) {
  const ClassId cls = Register("record", 48);
  char* p = AllocateSampledRecord(cls);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p + 48) % 4096, 0u)
      << "placed against a guard page";
  EXPECT_EQ(slab::Locate(p).class_id, cls.value) << "type stability";
  memset(p, 7, 48);
  DefaultHardenedAllocator().Release(cls, p);
}

TEST_F(SampledTest, UseAfterFreeFaultsWithBothStacks) {
  const ClassId cls = Register("record", 48);
  char* p = AllocateSampledRecord(cls);
  DefaultHardenedAllocator().Release(cls, p);
  EXPECT_DEATH(
      { [[maybe_unused]] volatile char c = p[0]; },
      "use after free: address 0x[0-9a-f]+, class \"record\".*sampled object "
      "0x[0-9a-f]+ of 48 bytes\nslabkit:   allocated at:\n(.*\n)*slabkit:   "
      "released at:");
}

TEST_F(SampledTest, TheAllocationStackNamesTheAllocatingFunction) {
  const ClassId cls = Register("record", 48);
  char* p = AllocateSampledRecord(cls);
  DefaultHardenedAllocator().Release(cls, p);
  EXPECT_DEATH({ [[maybe_unused]] volatile char c = p[0]; },
               "AllocateSampledRecord");
}

TEST_F(SampledTest, OverflowIntoTheGuardFaults) {
  const ClassId cls = Register("record", 48);
  char* p = AllocateSampledRecord(cls);
  EXPECT_DEATH({ p[48] = 1; }, "buffer overflow: .*class \"record\"");
}

TEST_F(SampledTest, MisusedReleasesOfSampledObjectsAreDiagnosed) {
  const ClassId cls = Register("record", 48);
  const ClassId other = Register("other", 48);
  char* p = AllocateSampledRecord(cls);
  EXPECT_DEATH(DefaultHardenedAllocator().Release(cls, p + 8),
               "interior pointer: .*\"record\"");
  EXPECT_DEATH(DefaultHardenedAllocator().Release(other, p),
               "wrong class: .*\"other\".*belongs to class \"record\"");
  DefaultHardenedAllocator().Release(cls, p);
  EXPECT_DEATH(DefaultHardenedAllocator().Release(cls, p), "double free");
}

// Every allocation is sampled here. When every slot of a class's pools is
// held, a sample gets a new pool while the pools' overhead (a page and a
// guard per slot, for 2000 bytes) is under twice what the class's slab
// reserves; otherwise the slab serves it, and allocation goes on.
TEST_F(SampledTest, PoolsGrowWithTheClassWhileTheirOverheadIsBounded) {
  const ClassId cls = Register("many", 2000);
  std::vector<void*> objects;
  std::set<const guard::GuardedPool*> pools;
  size_t guarded = 0;
  for (int i = 0; i < 5000; ++i) {
    void* p = DefaultHardenedAllocator().Allocate(cls);
    ASSERT_NE(p, nullptr) << i;
    if (slab::Locate(p).guarded) {
      ++guarded;
      pools.insert(guard::GuardedPool::Of(p));
    }
    objects.push_back(p);
  }
  ASSERT_FALSE(pools.empty()) << "sampled into guarded slots";
  EXPECT_GT(pools.size(), 1u) << "the pools did not grow";
  EXPECT_GT(guarded, (*pools.begin())->slots());
  EXPECT_LT(guarded, objects.size()) << "the slab served none";
  const ClassStats s = *DefaultHardenedAllocator().GetStats(cls);
  size_t live = 0;
  size_t overhead = 0;
  for (const guard::GuardedPool* pool : pools) {
    live += pool->live();
    overhead += pool->overhead_bytes();
  }
  EXPECT_LE(overhead, 2 * s.reserved_bytes + (*pools.begin())->overhead_bytes())
      << "the pools' overhead outgrew the slab";
  EXPECT_EQ(live, guarded);
  for (void* p : objects) DefaultHardenedAllocator().Release(cls, p);
}

// Pools beyond each class's first draw on a process-wide budget of slots
// (kernel mappings): once it is spent, samples that find every slot held are
// served normally.
TEST_F(SampledTest, ExtraPoolsStopAtTheProcessBudget) {
  guard::SetExtraPoolSlotBudgetForTesting(guard::ExtraPoolSlots() + 1);
  const ClassId cls = Register("budgeted", 2000);
  std::vector<void*> objects;
  std::set<const guard::GuardedPool*> pools;
  for (int i = 0; i < 5000; ++i) {
    void* p = DefaultHardenedAllocator().Allocate(cls);
    ASSERT_NE(p, nullptr) << i;
    if (slab::Locate(p).guarded) pools.insert(guard::GuardedPool::Of(p));
    objects.push_back(p);
  }
  guard::SetExtraPoolSlotBudgetForTesting(0);
  EXPECT_EQ(pools.size(), 2u) << "the first pool, and one on the budget";
  for (void* p : objects) DefaultHardenedAllocator().Release(cls, p);
}

// The fast flavour samples too (for heap profiles): an overflow off a
// sample's end faults, but a released sample keeps its bytes and stays
// readable, as any released object of a type-stable class does; its slot
// comes back as the class's objects do: zeroed in a zero_init class, with
// its last bytes otherwise.
class FastSampledTest : public SampledTest {
 protected:
  ClassId RegisterFast(absl::string_view name, size_t size,
                       bool zero_init = false) {
    ClassConfig config{name, size};
    config.zero_init = zero_init;
    absl::StatusOr<ClassId> cls = DefaultAllocator().Register(config);
    EXPECT_TRUE(cls.ok());
    return *cls;
  }
};

TEST_F(FastSampledTest, ReleasedSamplesStayReadableWithTheirBytes) {
  for (const bool zero_init : {false, true}) {
    SCOPED_TRACE(zero_init ? "zero_init" : "not zero_init");
    const ClassId cls = RegisterFast("fast_record", 48, zero_init);
    char* p = static_cast<char*>(DefaultAllocator().Allocate(cls));
    ASSERT_NE(p, nullptr);
    ASSERT_TRUE(slab::Locate(p).guarded) << "sampled";
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p + 48) % 4096, 0u)
        << "placed against a guard page";
    memset(p, 7, 48);
    DefaultAllocator().Release(cls, p);
    for (int i = 0; i < 48; ++i) ASSERT_EQ(p[i], 7) << "byte " << i;
    // Its slot is handed out again (first: it is still committed).
    std::vector<char*> again;
    const size_t slots = guard::GuardedPool::Of(p)->slots();
    for (size_t i = 0; i < slots; ++i) {
      again.push_back(static_cast<char*>(DefaultAllocator().Allocate(cls)));
      if (again.back() == p) break;
    }
    ASSERT_EQ(again.back(), p) << "the slot was not reused";
    for (int i = 0; i < 48; ++i) {
      ASSERT_EQ(p[i], zero_init ? 0 : 7) << "byte " << i;
    }
    for (char* q : again) DefaultAllocator().Release(cls, q);
  }
}

TEST_F(FastSampledTest, OverflowIntoTheGuardFaults) {
  const ClassId cls = RegisterFast("fast_record", 48);
  char* p = static_cast<char*>(DefaultAllocator().Allocate(cls));
  ASSERT_TRUE(slab::Locate(p).guarded);
  EXPECT_DEATH({ p[48] = 1; }, "buffer overflow: .*class \"fast_record\"");
  DefaultAllocator().Release(cls, p);
}

TEST_F(FastSampledTest, SamplingOffSamplesNothing) {
  const ClassId cls = RegisterFast("unsampled", 48);
  guard::SetSampleInterval(0);
  std::vector<void*> objects;
  for (int i = 0; i < 1000; ++i) {
    objects.push_back(DefaultAllocator().Allocate(cls));
    EXPECT_FALSE(slab::Locate(objects.back()).guarded) << i;
  }
  for (void* p : objects) DefaultAllocator().Release(cls, p);
}

}  // namespace
}  // namespace slabkit
