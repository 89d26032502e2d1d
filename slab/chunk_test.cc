#include "slab/chunk.h"

#include "gtest/gtest.h"

namespace slabkit {
namespace slab {
namespace {

constexpr size_t kPage = 4096;

ClassGeometry Geometry(size_t size, size_t alignment = 0,
                       LayoutParams params = {}) {
  absl::StatusOr<ClassGeometry> g =
      ComputeGeometry(size, alignment, kPage, params);
  EXPECT_TRUE(g.ok()) << g.status();
  return g.value_or(ClassGeometry{});
}

TEST(ChunkTest, DefaultAlignment) {
  EXPECT_EQ(DefaultAlignment(1), 1u);
  EXPECT_EQ(DefaultAlignment(3), 4u);
  EXPECT_EQ(DefaultAlignment(8), 8u);
  EXPECT_EQ(DefaultAlignment(12), 16u);
  EXPECT_EQ(DefaultAlignment(100), 16u);
}

TEST(ChunkTest, ObjectSizeIsPaddedToAlignmentAndMinimum) {
  EXPECT_EQ(Geometry(1).object_size, kMinObjectSize);
  EXPECT_EQ(Geometry(24).object_size, 32u);
  EXPECT_EQ(Geometry(24, 8).object_size, 24u);
  EXPECT_EQ(Geometry(100, 64).object_size, 128u);
  EXPECT_EQ(Geometry(5000, kPage).object_size, 2 * kPage);
}

TEST(ChunkTest, LayoutInvariantsHoldForManySizes) {
  for (size_t size = 1; size <= kMaxObjectSize; size += size / 3 + 1) {
    for (size_t alignment : {size_t{0}, size_t{8}, size_t{64}, kPage}) {
      const ClassGeometry g = Geometry(size, alignment);
      SCOPED_TRACE(testing::Message()
                   << "size " << size << " align " << alignment);
      ASSERT_GE(g.object_size, size);
      ASSERT_EQ(g.object_size % g.alignment, 0u);
      ASSERT_GE(g.objects_per_span, 1u);
      // Objects fit their span; tail waste is small or the span is maximal.
      ASSERT_LE(g.objects_per_span * g.object_size, g.span_bytes());
      ASSERT_TRUE((g.span_bytes() % g.object_size) * 8 <= g.span_bytes() ||
                  g.span_bytes() == LayoutParams{}.max_span_bytes);
      ASSERT_LE(g.span_commit_bytes, g.span_bytes());
      // Metadata, then a guard, then spans, then a guard, inside the chunk.
      ASSERT_GE(g.meta_bytes,
                g.bitmap_offset + g.num_spans * g.bitmap_words * 8);
      ASSERT_EQ(g.data_offset, g.meta_bytes + g.guard_bytes);
      ASSERT_LE(g.data_offset + (g.num_spans << g.span_shift) + g.guard_bytes,
                kChunkSize);
      ASSERT_EQ(g.data_offset % kPage, 0u);
    }
  }
}

TEST(ChunkTest, DivisorMagicGivesQuotientAndDivisibility) {
  for (size_t size : {8, 24, 48, 96, 1000, 3000, 40000, 262144}) {
    const ClassGeometry g = Geometry(size, 8);
    for (uint64_t n = 0; n < g.span_bytes(); n += (n % 997) + 1) {
      const unsigned __int128 p =
          static_cast<unsigned __int128>(n) * g.divisor_magic;
      ASSERT_EQ(static_cast<uint64_t>(p >> 64), n / g.object_size) << n;
      ASSERT_EQ(static_cast<uint64_t>(p) < g.divisor_magic,
                n % g.object_size == 0)
          << n;
    }
  }
}

// One multiply and one compare tell an object start in a span from any
// other offset, the span's tail included, for every offset a span has.
TEST(ChunkTest, StartLimitAcceptsExactlyTheObjectStarts) {
  for (size_t size :
       {8, 16, 24, 48, 64, 96, 112, 1000, 3000, 4096, 40000, 65536, 262144}) {
    for (LayoutParams params : {LayoutParams{}, [] {
                                  LayoutParams p;
                                  p.span_guards = true;
                                  p.max_objects_per_span = 16;
                                  return p;
                                }()}) {
      const ClassGeometry g = Geometry(size, 8, params);
      SCOPED_TRACE(testing::Message() << "size " << size << ", "
                                      << g.objects_per_span << " per span");
      for (uint64_t n = 0; n < g.span_bytes(); ++n) {
        const bool start =
            n % g.object_size == 0 && n / g.object_size < g.objects_per_span;
        const unsigned __int128 p = OffsetProduct(n, g.divisor_magic);
        ASSERT_EQ(IsStartInSpanOffset(n, g.divisor_magic, g.start_limit), start)
            << n;
        ASSERT_EQ(IsStartInSpan(p, g.start_limit), start) << n;
        ASSERT_EQ(ObjectIndex(p), n / g.object_size) << n;
      }
    }
  }
}

TEST(ChunkTest, InvalidShapesAreRefusedWithReasons) {
  LayoutParams params;
  EXPECT_EQ(ComputeGeometry(0, 0, kPage, params).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ComputeGeometry(kMaxObjectSize + 1, 0, kPage, params).status().code(),
      absl::StatusCode::kInvalidArgument);
  absl::Status bad_align = ComputeGeometry(64, 24, kPage, params).status();
  EXPECT_EQ(bad_align.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_align.message().find("power of two"), absl::string_view::npos);
  EXPECT_EQ(ComputeGeometry(64, 2 * kPage, kPage, params).status().code(),
            absl::StatusCode::kInvalidArgument);
  LayoutParams tiny_spans;
  tiny_spans.max_span_bytes = kPage;
  tiny_spans.min_span_bytes = kPage;
  EXPECT_EQ(ComputeGeometry(2 * kPage, 0, kPage, tiny_spans).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ChunkTest, MoreGuardPagesMoveTheData) {
  LayoutParams wide;
  wide.guard_pages = 4;
  const ClassGeometry g = Geometry(64, 0, wide);
  EXPECT_EQ(g.guard_bytes, 4 * kPage);
  EXPECT_EQ(g.data_offset, g.meta_bytes + 4 * kPage);
}

}  // namespace
}  // namespace slab
}  // namespace slabkit
