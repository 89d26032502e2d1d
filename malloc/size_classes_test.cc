#include "malloc/size_classes.h"

#include <cstddef>

#include "gtest/gtest.h"

namespace slabkit {
namespace malloc {
namespace {

TEST(SizeClassesTest, SizesIncreaseAndAreSixteenByteMultiples) {
  EXPECT_EQ(kClassSizes[0], 8u);
  for (int c = 1; c < kNumClasses; ++c) {
    EXPECT_GT(kClassSizes[c], kClassSizes[c - 1]) << c;
    EXPECT_EQ(kClassSizes[c] % 16, 0u) << c;
  }
}

// Every size maps to the smallest class that holds it, by table and by
// arithmetic alike.
TEST(SizeClassesTest, EverySizeGetsTheSmallestClassHoldingIt) {
  for (size_t n = 0; n <= kMaxSmallSize; ++n) {
    const int c = SizeClass(n);
    ASSERT_GE(c, 0) << n;
    ASSERT_LT(c, kNumClasses) << n;
    ASSERT_GE(kClassSizes[c], n) << n;
    if (c > 0) {
      ASSERT_LT(kClassSizes[c - 1], n == 0 ? 1 : n) << n;
    }
  }
}

// The documented bound: above 128 bytes no request wastes more than a fifth
// of its class.
TEST(SizeClassesTest, InternalFragmentationIsBounded) {
  double worst = 0;
  double sum = 0;
  size_t count = 0;
  for (size_t n = 129; n <= kMaxSmallSize; ++n) {
    const double waste = static_cast<double>(kClassSizes[SizeClass(n)] - n) /
                         kClassSizes[SizeClass(n)];
    worst = waste > worst ? waste : worst;
    sum += waste;
    ++count;
  }
  EXPECT_LE(worst, 0.2);
  EXPECT_LE(sum / count, 0.1);
}

TEST(SizeClassesTest, AlignedClassesAreMultiplesOfTheAlignment) {
  for (size_t alignment = 1; alignment <= 4096; alignment *= 2) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{8}, size_t{100}, size_t{1000},
                     size_t{5000}, size_t{100000}, kMaxSmallSize}) {
      const int c = AlignedSizeClass(n, alignment);
      ASSERT_GE(c, 0) << n << " " << alignment;
      EXPECT_GE(kClassSizes[c], n);
      EXPECT_GE(kClassSizes[c], alignment);
      EXPECT_EQ(kClassSizes[c] % alignment, 0u) << n << " " << alignment;
      // Nothing smaller would do.
      for (int d = 0; d < c; ++d) {
        EXPECT_TRUE(kClassSizes[d] < n || kClassSizes[d] < alignment ||
                    kClassSizes[d] % alignment != 0)
            << n << " " << alignment << " " << d;
      }
    }
  }
  EXPECT_EQ(AlignedSizeClass(8, 8), 0);
  EXPECT_EQ(kClassSizes[AlignedSizeClass(8, 16)], 16u);
  EXPECT_EQ(kClassSizes[AlignedSizeClass(100, 64)], 128u);
  EXPECT_EQ(kClassSizes[AlignedSizeClass(1, 4096)], 4096u);
}

TEST(SizeClassesTest, BeyondTheClassesIsLarge) {
  EXPECT_EQ(AlignedSizeClass(kMaxSmallSize + 1, 16), -1);
  EXPECT_EQ(AlignedSizeClass(16, 8192), -1);
}

}  // namespace
}  // namespace malloc
}  // namespace slabkit
