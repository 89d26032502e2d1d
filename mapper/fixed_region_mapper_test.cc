#include "mapper/fixed_region_mapper.h"

#include <cstdint>
#include <memory>
#include <vector>

#include "gtest/gtest.h"

namespace slabkit {
namespace {

constexpr size_t kPage = 4096;

class FixedRegionMapperTest : public testing::Test {
 protected:
  static constexpr size_t kBytes = 64 * kPage;
  alignas(kPage) char buffer_[kBytes];
  FixedRegionMapper mapper_{buffer_, kBytes, kPage};

  bool Inside(void* p, size_t size) {
    auto a = reinterpret_cast<uintptr_t>(p);
    auto b = reinterpret_cast<uintptr_t>(buffer_);
    return a >= b && a + size <= b + kBytes;
  }
};

TEST_F(FixedRegionMapperTest, ReservationsComeFromTheBuffer) {
  EXPECT_EQ(mapper_.free_bytes(), kBytes);
  absl::StatusOr<void*> p = mapper_.Reserve(4 * kPage, kPage);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(Inside(*p, 4 * kPage));
  EXPECT_EQ(mapper_.free_bytes(), kBytes - 4 * kPage);
}

TEST_F(FixedRegionMapperTest, ExhaustionIsResourceExhausted) {
  absl::StatusOr<void*> all = mapper_.Reserve(kBytes, kPage);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(mapper_.Reserve(kPage, kPage).status().code(),
            absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(mapper_.Release(*all, kBytes).ok());
  EXPECT_TRUE(mapper_.Reserve(kPage, kPage).ok())
      << "works again after release";
}

TEST_F(FixedRegionMapperTest, ReleasedPiecesCoalesce) {
  std::vector<void*> pieces;
  for (int i = 0; i < 8; ++i) {
    absl::StatusOr<void*> p = mapper_.Reserve(8 * kPage, kPage);
    ASSERT_TRUE(p.ok());
    pieces.push_back(*p);
  }
  // Release in an order that leaves gaps before closing them.
  for (int i : {1, 3, 5, 7, 0, 2, 4, 6}) {
    ASSERT_TRUE(mapper_.Release(pieces[i], 8 * kPage).ok()) << i;
  }
  EXPECT_EQ(mapper_.free_bytes(), kBytes);
  EXPECT_TRUE(mapper_.Reserve(kBytes, kPage).ok()) << "one range again";
}

TEST_F(FixedRegionMapperTest, AlignmentSplitsTheFreeRange) {
  ASSERT_TRUE(mapper_.Reserve(kPage, kPage).ok());
  absl::StatusOr<void*> p = mapper_.Reserve(kPage, 16 * kPage);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(*p) % (16 * kPage), 0u);
  EXPECT_EQ(mapper_.free_bytes(), kBytes - 2 * kPage);
}

TEST_F(FixedRegionMapperTest, DoubleOrForeignReleaseIsRefused) {
  absl::StatusOr<void*> p = mapper_.Reserve(2 * kPage, kPage);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(mapper_.Release(*p, 2 * kPage).ok());
  EXPECT_EQ(mapper_.Release(*p, 2 * kPage).code(),
            absl::StatusCode::kInvalidArgument);
  alignas(kPage) static char elsewhere[kPage];
  EXPECT_EQ(mapper_.Release(elsewhere, kPage).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FixedRegionMapperTest, CommitZeroFillsEvenReusedMemory) {
  absl::StatusOr<void*> p = mapper_.Reserve(kPage, kPage);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(mapper_.Commit(*p, kPage).ok());
  memset(*p, 0xFF, kPage);
  ASSERT_TRUE(mapper_.Decommit(*p, kPage).ok());
  ASSERT_TRUE(mapper_.Commit(*p, kPage).ok());
  EXPECT_EQ(static_cast<unsigned char*>(*p)[kPage - 1], 0);
}

TEST(FixedRegionMapperEdgeTest, UnalignedAndTinyBuffers) {
  auto storage = std::make_unique<char[]>(3 * kPage);
  // An unaligned start loses the partial page at each end.
  FixedRegionMapper mapper(storage.get() + 1, 3 * kPage - 1, kPage);
  EXPECT_LE(mapper.free_bytes(), 3 * kPage);
  EXPECT_GE(mapper.free_bytes(), kPage);
  char tiny[16];
  FixedRegionMapper none(tiny, sizeof(tiny), kPage);
  EXPECT_EQ(none.free_bytes(), 0u);
  EXPECT_EQ(none.Reserve(kPage, kPage).status().code(),
            absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace slabkit
