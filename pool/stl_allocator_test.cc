#include "pool/stl_allocator.h"

#include <list>
#include <map>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

#include "gtest/gtest.h"
#include "slab/page_map.h"

namespace slabkit {
namespace {

// From a class of DefaultAllocator(), as StlAllocator's single objects are
// (not from malloc's classes, when slabkit's malloc is the program's).
// Locate, not the bare page-map entry: a sampled object's entry also marks
// its chunk as guarded slots.
bool FromSlabkit(const void* p) {
  return DefaultAllocator().GetStats(ClassId{slab::Locate(p).class_id}).ok();
}

TEST(StlAllocatorTest, ListNodesComeFromAClass) {
  std::list<int, StlAllocator<int>> numbers;
  for (int i = 0; i < 10000; ++i) numbers.push_back(i);
  EXPECT_EQ(std::accumulate(numbers.begin(), numbers.end(), 0LL),
            10000LL * 9999 / 2);
  for (const int& n : numbers) ASSERT_TRUE(FromSlabkit(&n));
  numbers.remove_if([](int n) { return n % 2 == 0; });
  EXPECT_EQ(numbers.size(), 5000u);
}

TEST(StlAllocatorTest, MapsAndHashMapsWork) {
  using Pair = std::pair<const int, std::string>;
  std::map<int, std::string, std::less<int>, StlAllocator<Pair>> tree;
  std::unordered_map<int, std::string, std::hash<int>, std::equal_to<int>,
                     StlAllocator<Pair>>
      hash;
  for (int i = 0; i < 2000; ++i) {
    tree[i] = std::to_string(i);
    hash[i] = std::to_string(i * 2);
  }
  EXPECT_EQ(tree.at(1234), "1234");
  EXPECT_EQ(hash.at(1234), "2468");
  EXPECT_TRUE(FromSlabkit(&*tree.find(7)));
  EXPECT_TRUE(FromSlabkit(&*hash.find(7)));
  tree.clear();
  hash.clear();
}

TEST(StlAllocatorTest, ArraysGoToStdAllocator) {
  std::vector<int, StlAllocator<int>> v(1000, 3);
  EXPECT_FALSE(FromSlabkit(v.data()));
  EXPECT_EQ(std::accumulate(v.begin(), v.end(), 0), 3000);
}

TEST(StlAllocatorTest, AllAllocatorsAreEqual) {
  EXPECT_TRUE(StlAllocator<int>() == StlAllocator<double>());
  EXPECT_FALSE(StlAllocator<int>() != StlAllocator<int>());
}

}  // namespace
}  // namespace slabkit
