#include "guard/sampled.h"

#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "mapper/mmap_mapper.h"
#include "slab/page_map.h"

namespace slabkit {
namespace guard {
namespace {

class GuardedPoolTest : public testing::Test {
 protected:
  GuardedPool* MakePool(size_t size, size_t alignment = 16) {
    id_ = slab::NewClassId();
    GuardedPool* pool = GuardedPool::Create(
        {id_, "sampled", size, alignment, MapperRef(&mapper_)}, &arena_);
    EXPECT_NE(pool, nullptr);
    return pool;
  }
  MmapMapper mapper_;
  slab::MetadataArena arena_{MapperRef(&mapper_)};
  uint32_t id_ = 0;
};

TEST_F(GuardedPoolTest, ObjectsEndAgainstTheirGuardPage) {
  GuardedPool* pool = MakePool(40, 8);
  auto* p = static_cast<char*>(pool->Allocate());
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p + 40) % mapper_.page_size(), 0u);
  for (int i = 0; i < 40; ++i) ASSERT_EQ(p[i], 0) << "zero-filled";
  memset(p, 1, 40);
  EXPECT_EQ(slab::LookupClass(p), id_ | slab::kGuardedChunk);
  EXPECT_EQ(GuardedPool::Of(p), pool);
  EXPECT_EQ(pool->live(), 1u);
  EXPECT_EQ(pool->Release(p), GuardedPool::ReleaseResult::kOk);
  EXPECT_EQ(pool->live(), 0u);
}

TEST_F(GuardedPoolTest, MisusedReleasesChangeNothing) {
  GuardedPool* pool = MakePool(64);
  auto* p = static_cast<char*>(pool->Allocate());
  EXPECT_EQ(pool->Release(p + 8), GuardedPool::ReleaseResult::kInterior);
  EXPECT_EQ(pool->live(), 1u);
  EXPECT_EQ(pool->Release(p), GuardedPool::ReleaseResult::kOk);
  EXPECT_EQ(pool->Release(p), GuardedPool::ReleaseResult::kDoubleFree);
}

TEST_F(GuardedPoolTest, SlotsComeBackAfterQuarantineAndRunOutCleanly) {
  GuardedPool* pool = MakePool(100);
  std::vector<void*> live;
  while (void* p = pool->Allocate()) live.push_back(p);
  EXPECT_EQ(live.size(), pool->slots()) << "then nullptr: allocate normally";
  EXPECT_EQ(std::set<void*>(live.begin(), live.end()).size(), live.size());
  for (void* p : live)
    ASSERT_EQ(pool->Release(p), GuardedPool::ReleaseResult::kOk);
  // Released slots go through quarantine and are handed out again.
  for (size_t i = 0; i < pool->slots(); ++i)
    ASSERT_NE(pool->Allocate(), nullptr);
}

TEST(SamplerTest, AboutOneSamplePerIntervalOfBytes) {
  SetSampleInterval(3200);  // 100 allocations of 32 bytes, on average
  int sampled = 0;
  for (int i = 0; i < 100000; ++i) {
    if (SampleTick(32) && ConsumeSample()) ++sampled;
  }
  EXPECT_GT(sampled, 800);
  EXPECT_LT(sampled, 1200);
  // Larger objects are sampled in proportion to their bytes.
  sampled = 0;
  for (int i = 0; i < 100000; ++i) {
    if (SampleTick(320) && ConsumeSample()) ++sampled;
  }
  EXPECT_GT(sampled, 8000);
  EXPECT_LT(sampled, 12000);
  SetSampleInterval(0);
  sampled = 0;
  for (int i = 0; i < 100000; ++i) {
    if (SampleTick(32) && ConsumeSample()) ++sampled;
  }
  EXPECT_EQ(sampled, 0);
  SetSampleInterval(kDefaultSampleInterval);
}

}  // namespace
}  // namespace guard
}  // namespace slabkit
