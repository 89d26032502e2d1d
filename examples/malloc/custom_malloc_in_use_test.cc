// Built with --custom_malloc=//c_api:malloc, this test's malloc is
// slabkit's; built without, it is glibc's and the test fails. The library
// is found through a weak reference, so the test links either way.
#include <malloc.h>
#include <stdlib.h>

#include "gtest/gtest.h"

extern "C" const char* slabkit_malloc_flavour(void) __attribute__((weak));

namespace {

TEST(CustomMallocInUseTest, MallocIsSlabkit) {
  ASSERT_NE(&slabkit_malloc_flavour, nullptr)
      << "build with --custom_malloc=//c_api:malloc";
  void* p = malloc(40);
  EXPECT_EQ(malloc_usable_size(p), 48u);  // slabkit's class for 40 bytes
  free(p);
  int local;
  EXPECT_DEATH(free(&local), "release of an address slabkit does not manage");
}

}  // namespace
