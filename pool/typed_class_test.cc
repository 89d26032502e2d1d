#include "pool/typed_class.h"

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "guard/sampled.h"

namespace slabkit {
namespace {

// Counts its constructions and destructions.
struct Counted {
  static int constructed;
  static int destroyed;
  Counted() noexcept : value(7) { ++constructed; }
  explicit Counted(int v) : value(v) {
    if (v < 0) throw std::invalid_argument("negative");
    ++constructed;
  }
  ~Counted() { ++destroyed; }
  int value;
  char padding[60];
};
int Counted::constructed = 0;
int Counted::destroyed = 0;

class TypedClassTest : public testing::Test {
 protected:
  void SetUp() override { Counted::constructed = Counted::destroyed = 0; }
};

TEST_F(TypedClassTest, EachUseConstructsAndDestroysLikeNewAndDelete) {
  auto pool = TypedClass<Counted>::Create("counted");
  ASSERT_TRUE(pool.ok());
  std::vector<Counted*> objects;
  for (int i = 0; i < 100; ++i) objects.push_back(pool->New(i));
  EXPECT_EQ(Counted::constructed, 100);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(objects[i]->value, i);
  EXPECT_EQ(std::set<Counted*>(objects.begin(), objects.end()).size(), 100u);
  for (Counted* c : objects) pool->Delete(c);
  EXPECT_EQ(Counted::destroyed, 100);
  pool->Delete(nullptr);
}

TEST_F(TypedClassTest, AThrowingConstructorGivesItsMemoryBack) {
  auto pool = TypedClass<Counted>::Create("throws");
  ASSERT_TRUE(pool.ok());
  Counted* first = pool->New(1);
  pool->Delete(first);
  EXPECT_THROW(pool->New(-1), std::invalid_argument);
  EXPECT_EQ(pool->New(2), first) << "the slot of the failed New was reused";
}

TEST_F(TypedClassTest, CachedConstructionRunsOncePerSlot) {
  auto pool = TypedClass<Counted, Construction::kCached>::Create("cached");
  ASSERT_TRUE(pool.ok());
  std::vector<Counted*> objects;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 200; ++i) objects.push_back(pool->New());
    for (Counted* c : objects) {
      ASSERT_TRUE(c->value == 7 || c->value == 99) << "constructed";
      c->value = 99;  // state the next user sees
    }
    for (Counted* c : objects) pool->Delete(c);
    objects.clear();
  }
  EXPECT_EQ(Counted::destroyed, 0) << "nothing destroyed while cached";
  const int once = Counted::constructed;
  EXPECT_GE(once, 200);
  EXPECT_LT(once, 600) << "not once per New";
  Counted* again = pool->New();
  EXPECT_EQ(again->value, 99) << "as the last Delete left it";
  pool->Delete(again);
  // Reclaiming the memory destroys every object constructed in it.
  DefaultAllocator().ReleaseIdleMemory();
  EXPECT_EQ(Counted::destroyed, once);
  Counted* fresh = pool->New();
  EXPECT_EQ(fresh->value, 7) << "a reclaimed slot is constructed anew";
  pool->Delete(fresh);
}

TEST_F(TypedClassTest, HardenedAllocatorsNeverSampleCachedClasses) {
  guard::SetSampleInterval(1);
  auto pool =
      TypedClass<Counted, Construction::kCached, HardenedAllocator>::Create(
          "hardened", DefaultHardenedAllocator());
  ASSERT_TRUE(pool.ok());
  for (int i = 0; i < 50; ++i) {
    Counted* c = pool->New();
    ASSERT_EQ(c->value, 7) << "constructed, not a raw guarded slot";
    pool->Delete(c);
  }
  guard::SetSampleInterval(guard::kDefaultSampleInterval);
}

TEST_F(TypedClassTest, CachingAndZeroInitExcludeEachOther) {
  ClassConfig config;
  config.name = "both";
  config.size = 16;
  config.zero_init = true;
  config.object_hooks.construct = [](void*, void*) {};
  EXPECT_EQ(DefaultAllocator().Register(config).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TypedClass<Counted>::Create("").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace slabkit
