#include "allocator/allocator.h"
#include "gtest/gtest.h"

namespace slabkit {
namespace {

TEST(ClassIdExhaustionTest, RunningOutIsOutOfRangeAndHarmless) {
  absl::StatusOr<ClassId> first = DefaultAllocator().Register({"first", 32});
  ASSERT_TRUE(first.ok());
  absl::Status last;
  uint32_t registered = 1;
  for (;;) {
    absl::StatusOr<ClassId> cls = DefaultAllocator().Register({"filler", 32});
    if (!cls.ok()) {
      last = cls.status();
      break;
    }
    ++registered;
  }
  EXPECT_EQ(last.code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(last.message().find("class ids"), absl::string_view::npos) << last;
  // Ids are handed out in order, process-wide: those below first's belong
  // to other allocators (slabkit's malloc, when it is the program's).
  EXPECT_EQ(registered, slab::kMaxClasses - first->value);
  // What exists keeps working.
  void* p = DefaultAllocator().Allocate(*first);
  ASSERT_NE(p, nullptr);
  DefaultAllocator().Release(*first, p);
}

}  // namespace
}  // namespace slabkit
