// Proves that --//mapper:default=//examples/custom_mapper reaches the C
// library: memory for a class registered through slabkit.h comes from
// CountingMapper. Meaningful only with that flag, so it is tagged manual;
// .ci/run runs it with that flag (see docs/mappers.md).
#include <cstring>

#include "c_api/slabkit.h"
#include "examples/custom_mapper/counting_mapper.h"
#include "gtest/gtest.h"
#include "mapper/default_instance.h"
#include "mapper/registry.h"

namespace {

TEST(CustomMapperInUseTest, TheCLibraryAllocatesFromTheCustomMapper) {
  EXPECT_STREQ(slabkit::DefaultMapperInstance().name(), "counting");
  const uint64_t before = example::CountingMapper::reserved_bytes();
  slabkit_class cls;
  slabkit_class_config config = {};
  config.name = "swapped";
  config.size = 32;
  ASSERT_EQ(slabkit_class_register(&config, &cls), 0);
  void* p = slabkit_allocate(cls);
  ASSERT_NE(p, nullptr);
  memset(p, 1, 32);
  EXPECT_GT(example::CountingMapper::reserved_bytes(), before);
  slabkit_release(cls, p);
}

}  // namespace
