// slabkit from another workspace: both APIs work, on the mapper this
// workspace swapped in.
#include <string>

#include "allocator/allocator.h"
#include "c_api/slabkit.h"
#include "gtest/gtest.h"

namespace {

TEST(ConsumerTest, CppApiRunsOnTheConsumersMapper) {
  slabkit::Allocator& a = slabkit::DefaultAllocator();
  absl::StatusOr<slabkit::ClassId> cls = a.Register({"consumer-node", 48});
  ASSERT_TRUE(cls.ok()) << cls.status();
  void* p = a.Allocate(*cls);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(std::string(a.GetStats(*cls)->mapper), "consumer-mmap");
  a.Release(*cls, p);
}

TEST(ConsumerTest, CApiRunsOnTheConsumersMapper) {
  slabkit_class_config config = {};
  config.name = "consumer-c-node";
  config.size = 24;
  slabkit_class cls;
  ASSERT_EQ(slabkit_class_register(&config, &cls), 0);
  void* p = slabkit_allocate(cls);
  ASSERT_NE(p, nullptr);
  struct slabkit_class_stats stats;
  ASSERT_EQ(slabkit_class_stats(cls, &stats), 0);
  EXPECT_EQ(std::string(stats.mapper), "consumer-mmap");
  slabkit_release(cls, p);
}

}  // namespace
