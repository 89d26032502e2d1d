#include "slab/chunk.h"

#include <algorithm>
#include <cstdint>

#include "absl/numeric/bits.h"
#include "absl/strings/str_cat.h"
#include "mapper/mapper.h"

namespace slabkit {
namespace slab {

size_t DefaultAlignment(size_t size) {
  return size >= kDefaultMaxAlignment
             ? kDefaultMaxAlignment
             : absl::bit_ceil(std::max<size_t>(size, 1));
}

absl::StatusOr<ClassGeometry> ComputeGeometry(size_t size, size_t alignment,
                                              size_t page_size,
                                              const LayoutParams& params) {
  if (size == 0 || size > kMaxObjectSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "object size ", size, " is outside [1, ", kMaxObjectSize, "]"));
  }
  if (!absl::has_single_bit(page_size) || page_size > (size_t{1} << 16)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page size ", page_size, " is unsupported"));
  }
  if (alignment == 0) alignment = DefaultAlignment(size);
  if (!absl::has_single_bit(alignment) || alignment > page_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("alignment ", alignment,
                     " must be a power of two no larger than the page size (",
                     page_size, ")"));
  }
  if (!absl::has_single_bit(params.min_span_bytes) ||
      !absl::has_single_bit(params.max_span_bytes) ||
      params.min_span_bytes < page_size ||
      params.max_span_bytes < params.min_span_bytes ||
      params.max_span_bytes > kChunkSize / 2) {
    return absl::InvalidArgumentError(
        "layout span sizes must be powers of two between the page size and "
        "half a chunk");
  }

  ClassGeometry g = {};
  g.page_size = page_size;
  g.alignment = alignment;
  g.object_size = RoundUp(std::max(size, kMinObjectSize), alignment);
  if (g.object_size > params.max_span_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "object size ", g.object_size, " exceeds the layout's largest span (",
        params.max_span_bytes, ")"));
  }

  // Objects may use a span but its guard page.
  const bool guard_each = params.guard_each_object_from != 0 &&
                          g.object_size >= params.guard_each_object_from;
  const bool span_guards = params.span_guards || guard_each;
  const size_t span_guard = span_guards ? page_size : 0;
  const size_t max_objects =
      guard_each ? 1
      : params.span_guards && params.max_objects_per_span != 0
          ? params.max_objects_per_span
          : SIZE_MAX;
  if (guard_each && g.object_size + span_guard > params.max_span_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "object size ", g.object_size,
        " leaves no room for its guard page in the layout's largest span (",
        params.max_span_bytes, ")"));
  }
  size_t span = std::max(params.min_span_bytes, page_size);
  if (max_objects != SIZE_MAX) {
    // The smallest span that holds N objects and the guard.
    const size_t need =
        RoundUp(max_objects * g.object_size, page_size) + span_guard;
    while (span < need && span < params.max_span_bytes) span *= 2;
  } else {
    while (span < params.max_span_bytes) {
      const size_t usable = span - span_guard;
      const size_t waste = usable % g.object_size + span_guard;
      if (usable / g.object_size >= 1 && waste * 8 <= span) break;
      span *= 2;
    }
  }
  g.span_shift = static_cast<size_t>(absl::countr_zero(span));
  g.objects_per_span =
      std::min((span - span_guard) / g.object_size, max_objects);
  if (g.objects_per_span == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("object size ", g.object_size,
                     " leaves no room for its span's guard page"));
  }
  g.bitmap_words = (g.objects_per_span + 63) / 64;
  g.span_commit_bytes = RoundUp(g.objects_per_span * g.object_size, page_size);
  g.span_guard_bytes = span - g.span_commit_bytes;
  g.guard_bytes = params.guard_pages * page_size;

  // Metadata sized for the most spans that could fit, then the real count.
  const size_t state_bytes =
      params.object_states ? RoundUp(g.objects_per_span, 8) : 0;
  const size_t size_bytes =
      params.object_sizes ? g.objects_per_span * sizeof(uint32_t) : 0;
  const size_t per_span = sizeof(SpanMeta) + g.bitmap_words * sizeof(uint64_t) +
                          state_bytes + size_bytes;
  const size_t reserved_around = 2 * g.guard_bytes + page_size;
  if (reserved_around >= kChunkSize) {
    return absl::InvalidArgumentError("too many guard pages for a chunk");
  }
  const size_t most_spans = (kChunkSize - reserved_around) >> g.span_shift;
  g.meta_bytes =
      RoundUp(sizeof(ChunkHeader) + most_spans * per_span, page_size);
  g.data_offset = g.meta_bytes + g.guard_bytes;
  if (g.data_offset + g.guard_bytes >= kChunkSize) {
    return absl::InvalidArgumentError("metadata and guards fill the chunk");
  }
  g.num_spans = (kChunkSize - g.data_offset - g.guard_bytes) >> g.span_shift;
  if (g.num_spans == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "object size ", g.object_size, " leaves no span in a chunk"));
  }
  g.bitmap_offset = sizeof(ChunkHeader) + g.num_spans * sizeof(SpanMeta);
  const size_t after_bitmaps =
      g.bitmap_offset + g.num_spans * g.bitmap_words * sizeof(uint64_t);
  if (params.object_states) g.state_offset = after_bitmaps;
  if (params.object_sizes) {
    g.size_offset =
        RoundUp(after_bitmaps + g.num_spans * state_bytes, sizeof(uint32_t));
  }
  // floor(2^64 / size) + 1, and e = size * magic - 2^64 (slab/chunk.h): for
  // a power of two size that is size itself, else 2^64 mod size subtracted
  // from size.
  g.divisor_magic = ~uint64_t{0} / g.object_size + 1 +
                    (absl::has_single_bit(g.object_size) ? 1 : 0);
  const uint64_t excess = g.object_size * g.divisor_magic;  // mod 2^64
  g.start_limit = g.objects_per_span * excess;
  return g;
}

}  // namespace slab
}  // namespace slabkit
