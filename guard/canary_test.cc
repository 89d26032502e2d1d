#include "guard/canary.h"

#include <cstring>

#include "gtest/gtest.h"

namespace slabkit {
namespace guard {
namespace {

class CanaryTest : public testing::Test {
 protected:
  void SetUp() override { InitCanarySecret(); }
  alignas(16) char slot_[128] = {};
};

TEST_F(CanaryTest, AWrittenCanaryIsIntactAtEveryLength) {
  for (size_t from = 1; from < 64; ++from) {
    for (size_t to = from; to <= 72; ++to) {
      if (to < 8) continue;
      memset(slot_, 0xAB, sizeof(slot_));
      const uint64_t pattern = CanaryPattern(slot_);
      WriteCanary(pattern, slot_ + from, slot_ + to);
      EXPECT_EQ(CanaryDiff(pattern, slot_ + from, slot_ + to), 0u)
          << from << ".." << to;
      // Nothing outside the region changed.
      for (size_t i = 0; i < sizeof(slot_); ++i) {
        if (i < from || i >= to) {
          ASSERT_EQ(static_cast<uint8_t>(slot_[i]), 0xAB) << i;
        }
      }
    }
  }
}

TEST_F(CanaryTest, AnyByteChangedIsSeen) {
  const uint64_t pattern = CanaryPattern(slot_);
  for (size_t from : {3u, 8u, 13u, 40u}) {
    for (size_t to : {16u, 21u, 64u, 80u}) {
      if (to <= from) continue;
      WriteCanary(pattern, slot_ + from, slot_ + to);
      for (size_t i = from; i < to; ++i) {
        slot_[i] ^= 1;
        EXPECT_NE(CanaryDiff(pattern, slot_ + from, slot_ + to), 0u)
            << from << ".." << to << " byte " << i;
        slot_[i] ^= 1;
      }
    }
  }
}

TEST_F(CanaryTest, PatternsDifferBySlotAndHaveNoZeroByte) {
  const uint64_t a = CanaryPattern(slot_);
  const uint64_t b = CanaryPattern(slot_ + 64);
  EXPECT_NE(a, b);
  for (int i = 0; i < 8; ++i) {
    EXPECT_NE((a >> (8 * i)) & 0xFF, 0u);
    EXPECT_NE((b >> (8 * i)) & 0xFF, 0u);
  }
}

TEST_F(CanaryTest, AllZeroAndFindNonzero) {
  EXPECT_TRUE(AllZero(slot_, slot_ + sizeof(slot_)));
  EXPECT_EQ(FindNonzero(slot_, slot_ + sizeof(slot_)), nullptr);
  slot_[77] = 1;
  EXPECT_FALSE(AllZero(slot_, slot_ + sizeof(slot_)));
  EXPECT_EQ(FindNonzero(slot_, slot_ + sizeof(slot_)), slot_ + 77);
}

// Every 8-aligned range in a buffer, inline sizes and memset's: AllZero
// sees any one nonzero byte in the range and none outside it.
TEST(ZeroRangeTest, AllZeroSeesEveryByteOfTheRangeOnly) {
  alignas(16) static char buffer[1024 + 48];
  for (size_t from = 0; from <= 24; from += 8) {
    for (size_t n = 8; n <= 1024; n += 8) {
      char* a = buffer + 8 + from;
      memset(buffer, 0, sizeof(buffer));
      buffer[7 + from] = 1;  // just before
      a[n] = 1;              // just after
      ASSERT_TRUE(AllZero(a, a + n)) << from << " " << n;
      for (size_t i : {size_t{0}, n / 2, n - 1}) {
        a[i] = 1;
        ASSERT_FALSE(AllZero(a, a + n)) << from << " " << n << " " << i;
        a[i] = 0;
      }
    }
  }
}

// ZeroFill clears exactly its range, at every size up to and beyond
// kInlineZeroBytes.
TEST(ZeroRangeTest, ZeroFillClearsTheRangeOnly) {
  alignas(16) static char buffer[1024 + 48];
  for (size_t from = 0; from <= 24; from += 8) {
    for (size_t n = 8; n <= 1024; n += 8) {
      char* a = buffer + 8 + from;
      memset(buffer, 0x5a, sizeof(buffer));
      ZeroFill(a, a + n);
      for (size_t i = 0; i < sizeof(buffer); ++i) {
        const bool inside = buffer + i >= a && buffer + i < a + n;
        ASSERT_EQ(buffer[i], inside ? 0 : 0x5a)
            << "from " << from << " n " << n << " at " << i;
      }
    }
  }
}

}  // namespace
}  // namespace guard
}  // namespace slabkit
