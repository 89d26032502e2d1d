// A handle belongs to the allocator that registered it, on the C API's fast
// paths too: the C API and malloc, process-wide allocators of the same
// flavour, keep per-thread cache entries apart, so a class id of one given
// to the other is an unknown class however warm this thread's entry is.
#include <errno.h>

#include <string>

#include "allocator/allocator.h"
#include "c_api/slabkit.h"
#include "gtest/gtest.h"
#include "malloc/malloc.h"

namespace {

// The fast flavour's malloc (not this program's malloc: its own instance).
using Malloc = slabkit::malloc::Malloc<
    slabkit::malloc::MallocConfig<slabkit::Mitigations::kNone>>;

uint32_t MallocClassFor(size_t n) {
  absl::StatusOr<slabkit::ClassStats> s = Malloc::StatsForSize(n);
  EXPECT_TRUE(s.ok());
  return s.ok() ? s->id : 0;
}

TEST(HandleTest, AMallocClassIsUnknownToTheCApi) {
  // The fast style's fork would hold all of malloc's class locks, more than
  // TSan's deadlock detector tracks (docs/building.md).
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // malloc's class for 48-byte blocks, warm on this thread, with a block in
  // its magazine.
  void* block = Malloc::Allocate(48);
  ASSERT_NE(block, nullptr);
  Malloc::Free(Malloc::Allocate(48));
  const slabkit_class stolen = {MallocClassFor(48)};
  ASSERT_NE(stolen.id, 0u);
  errno = 0;
  EXPECT_EQ(slabkit_allocate(stolen), nullptr);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_DEATH(slabkit_release(stolen, block),
               "release to an unknown class: address 0x[0-9a-f]+");
  Malloc::Free(block);
}

TEST(HandleTest, ACApiObjectIsNotMallocs) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  slabkit_class_config config = {};
  config.name = "c_api_only";
  config.size = 48;
  slabkit_class cls;
  ASSERT_EQ(slabkit_class_register(&config, &cls), 0);
  void* p = slabkit_allocate(cls);
  slabkit_release(cls, slabkit_allocate(cls));
  ASSERT_NE(p, nullptr);
  Malloc::Allocate(48);  // malloc built and warm
  EXPECT_DEATH(Malloc::Free(p), "release to the wrong class: .*\"c_api_only\"");
  slabkit_release(cls, p);
}

}  // namespace
