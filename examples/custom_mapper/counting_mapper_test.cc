// The custom mapper works under an allocator of its own, and by name, in any
// build.
#include "examples/custom_mapper/counting_mapper.h"

#include "allocator/policies.h"
#include "allocator/slab_allocator.h"
#include "gtest/gtest.h"
#include "mapper/registry.h"
#include "testing/conformance.h"

namespace example {
namespace {

TEST(CountingMapperTest, AnAllocatorComposedWithItUsesIt) {
  CountingMapper mapper;
  slabkit::SlabAllocator<slabkit::Compose<CountingMapper>> allocator(&mapper);
  const uint64_t before = CountingMapper::reserved_bytes();
  absl::StatusOr<slabkit::ClassId> cls = allocator.Register({"counted", 64});
  ASSERT_TRUE(cls.ok());
  void* p = allocator.Allocate(*cls);
  ASSERT_NE(p, nullptr);
  EXPECT_GE(CountingMapper::reserved_bytes(),
            before + slabkit::slab::kChunkSize);
  EXPECT_STREQ(allocator.GetStats(*cls)->mapper, "counting");
  allocator.Release(*cls, p);
}

TEST(CountingMapperTest, RegisteredByNameForClassesThatAskForIt) {
  static CountingMapper mapper;
  ASSERT_TRUE(
      slabkit::RegisterMapper("counting", slabkit::MapperRef(&mapper)).ok());
  slabkit::MmapMapper other;
  slabkit::SlabAllocator<slabkit::Compose<slabkit::MmapMapper>> allocator(
      &other);
  absl::StatusOr<slabkit::ClassId> cls =
      allocator.Register({"by-name", 64, 0, false, "counting"});
  ASSERT_TRUE(cls.ok());
  const uint64_t before = CountingMapper::committed_bytes();
  void* p = allocator.Allocate(*cls);
  ASSERT_NE(p, nullptr);
  EXPECT_GT(CountingMapper::committed_bytes(), before);
  allocator.Release(*cls, p);
}

}  // namespace
}  // namespace example

// The whole conformance suite, on this mapper, in one line; and on the
// hardened composition of it (a Config whose arguments hold a comma).
SLABKIT_CONFORMANCE_TESTS(CountingMapper,
                          slabkit::Compose<example::CountingMapper>);
SLABKIT_CONFORMANCE_TESTS(
    CountingMapperHardened,
    slabkit::Compose<example::CountingMapper, slabkit::kHardenedMitigations>);
