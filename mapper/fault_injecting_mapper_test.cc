#include "mapper/fault_injecting_mapper.h"

#include "gtest/gtest.h"
#include "mapper/mmap_mapper.h"

namespace slabkit {
namespace {

TEST(FaultInjectingMapperTest, FailsExactlyTheNthCall) {
  MmapMapper inner;
  FaultInjectingMapper<MmapMapper> mapper(&inner);
  const size_t page = mapper.page_size();
  mapper.FailNth(MapperOp::kReserve, 2);
  absl::StatusOr<void*> a = mapper.Reserve(page, page);
  absl::StatusOr<void*> b = mapper.Reserve(page, page);
  absl::StatusOr<void*> c = mapper.Reserve(page, page);
  EXPECT_TRUE(a.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(c.ok()) << "a FailNth fault fires once";
  EXPECT_EQ(mapper.calls(MapperOp::kReserve), 3u);
  EXPECT_EQ(mapper.failures(MapperOp::kReserve), 1u);
  EXPECT_TRUE(mapper.Release(*a, page).ok());
  EXPECT_TRUE(mapper.Release(*c, page).ok());
}

TEST(FaultInjectingMapperTest, FailAllUntilHealed) {
  MmapMapper inner;
  FaultInjectingMapper<MmapMapper> mapper(&inner);
  const size_t page = mapper.page_size();
  absl::StatusOr<void*> p = mapper.Reserve(page, page);
  ASSERT_TRUE(p.ok());
  mapper.FailAll(MapperOp::kCommit, true);
  EXPECT_FALSE(mapper.Commit(*p, page).ok());
  EXPECT_FALSE(mapper.Commit(*p, page).ok());
  EXPECT_TRUE(mapper.Protect(*p, page).ok()) << "other operations unaffected";
  mapper.Heal();
  EXPECT_TRUE(mapper.Commit(*p, page).ok());
  EXPECT_EQ(mapper.failures(MapperOp::kCommit), 2u);
  EXPECT_TRUE(mapper.Release(*p, page).ok());
}

}  // namespace
}  // namespace slabkit
