// The guard layouts' arithmetic, on its own: where guards fall and what
// they cost.
#include "guard/layout.h"

#include "gtest/gtest.h"

namespace slabkit {
namespace guard {
namespace {

constexpr size_t kPage = 4096;

slab::ClassGeometry Geometry(const slab::LayoutParams& params, size_t size,
                             size_t alignment = 8) {
  absl::StatusOr<slab::ClassGeometry> g =
      slab::ComputeGeometry(size, alignment, kPage, params);
  EXPECT_TRUE(g.ok()) << g.status();
  return g.value_or(slab::ClassGeometry{});
}

const size_t kSizes[] = {8, 24, 48, 100, 1000, 3000, 4096, 40000, 200000};

TEST(GuardLayoutTest, ChunkGuardsLeaveSpansBackToBackWhenTheyFit) {
  const slab::ClassGeometry g = Geometry(ChunkGuards::kParams, 64);
  EXPECT_EQ(g.span_guard_bytes, 0u) << "64-byte objects fill 64 KiB exactly";
  EXPECT_EQ(g.guard_bytes, kPage);
  EXPECT_EQ(g.data_offset, g.meta_bytes + kPage) << "metadata, guard, data";
}

TEST(GuardLayoutTest, SpanGuardsPutAnUncommittedPageAfterEverySpan) {
  for (size_t size : kSizes) {
    SCOPED_TRACE(size);
    const slab::ClassGeometry g = Geometry(SpanGuards::kParams, size);
    EXPECT_GE(g.span_guard_bytes, kPage);
    EXPECT_EQ(g.span_commit_bytes + g.span_guard_bytes, g.span_bytes());
    // The last object ends inside the committed part, so the first byte
    // past it (an overflow) is in the committed slack or the guard, and
    // every byte from the commit end to the next span is guard.
    EXPECT_LE(g.objects_per_span * g.object_size, g.span_commit_bytes);
    EXPECT_EQ(g.span_commit_bytes % kPage, 0u);
  }
}

TEST(GuardLayoutTest, GuardEveryNObjects) {
  const slab::ClassGeometry g = Geometry(GuardEvery<16>::kParams, 256);
  EXPECT_EQ(g.objects_per_span, 16u);
  EXPECT_EQ(g.span_commit_bytes, 16u * 256);
  EXPECT_GE(g.span_guard_bytes, kPage);
  EXPECT_GE(g.span_bytes(), size_t{64} << 10) << "spans stay >= 64 KiB";
  // Large objects: one per span, each against its own guard region.
  const slab::ClassGeometry big = Geometry(GuardEvery<1>::kParams, 40000);
  EXPECT_EQ(big.objects_per_span, 1u);
  EXPECT_GE(big.span_guard_bytes, kPage);
}

TEST(GuardLayoutTest, GuardsCostMappingsNotMemory) {
  // Committed memory per object is the same with and without span guards
  // (the guard is never committed); what grows is address space.
  for (size_t size : {size_t{48}, size_t{1000}}) {
    const slab::ClassGeometry plain = Geometry(ChunkGuards::kParams, size);
    const slab::ClassGeometry guarded = Geometry(SpanGuards::kParams, size);
    const double plain_per_object =
        double(plain.span_commit_bytes) / plain.objects_per_span;
    const double guarded_per_object =
        double(guarded.span_commit_bytes) / guarded.objects_per_span;
    EXPECT_LE(guarded_per_object, plain_per_object * 1.07) << size;
  }
}

TEST(GuardLayoutTest, MitigationsAddToTheLayout) {
  constexpr slab::LayoutParams hardened =
      LayoutWith(ChunkGuards::kParams, kHardenedMitigations);
  EXPECT_TRUE(hardened.object_states);
  EXPECT_TRUE(hardened.span_guards);
  constexpr slab::LayoutParams plain =
      LayoutWith(ChunkGuards::kParams, Mitigations::kNone);
  EXPECT_FALSE(plain.object_states);
  EXPECT_FALSE(plain.span_guards);
  // A layout's own guards stay.
  EXPECT_TRUE(LayoutWith(SpanGuards::kParams, Mitigations::kNone).span_guards);
  static_assert(CheckLayout<GuardEvery<16>>());
}

TEST(GuardLayoutTest, ObjectStatesAddAByteAPerObjectOfMetadata) {
  const slab::ClassGeometry plain = Geometry(SpanGuards::kParams, 16);
  const slab::ClassGeometry states =
      Geometry(LayoutWith(SpanGuards::kParams, Mitigations::kObjectStates), 16);
  EXPECT_EQ(plain.state_offset, 0u);
  EXPECT_GT(states.state_offset, states.bitmap_offset);
  EXPECT_GE(states.meta_bytes,
            states.state_offset + states.num_spans * states.objects_per_span);
  EXPECT_EQ(states.objects_per_span, plain.objects_per_span);
}

TEST(GuardLayoutTest, AnObjectTooLargeForItsGuardIsRefused) {
  slab::LayoutParams p = SpanGuards::kParams;
  p.max_span_bytes = size_t{256} << 10;
  EXPECT_EQ(
      slab::ComputeGeometry(size_t{256} << 10, 8, kPage, p).status().code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace guard
}  // namespace slabkit
