#include "malloc/zero_size.h"

#include <cerrno>

#include "absl/numeric/bits.h"
#include "guard/sampled.h"

namespace slabkit {
namespace malloc {

namespace {
constexpr size_t kWords = ZeroSizeBlocks::kBlocksPerChunk / 64;
}  // namespace

bool ZeroSizeBlocks::AddChunkLocked() {
  if (num_chunks_ == kMaxChunks) return false;
  absl::StatusOr<void*> base =
      mapper_.Reserve(slab::kChunkSize, slab::kChunkSize);
  if (!base.ok()) return false;
  const size_t bitmap_bytes =
      RoundUp(kWords * sizeof(uint64_t), mapper_.page_size());
  absl::StatusOr<void*> bitmap =
      mapper_.Reserve(bitmap_bytes, mapper_.page_size());
  if (!bitmap.ok() || !mapper_.Commit(*bitmap, bitmap_bytes).ok()) {
    if (bitmap.ok()) (void)mapper_.Release(*bitmap, bitmap_bytes);
    (void)mapper_.Release(*base, slab::kChunkSize);
    return false;
  }
  if (!slab::RegisterSpecialChunk(*base, slab::kZeroSizeChunk).ok()) {
    (void)mapper_.Release(*bitmap, bitmap_bytes);
    (void)mapper_.Release(*base, slab::kChunkSize);
    return false;
  }
  // Accesses fault: report them as such.
  guard::EnsureFaultHandler();
  chunks_[num_chunks_++] = {static_cast<char*>(*base),
                            static_cast<uint64_t*>(*bitmap)};
  return true;
}

void* ZeroSizeBlocks::Allocate(size_t alignment) {
  if (alignment < kBlockBytes) alignment = kBlockBytes;
  const size_t stride = alignment / kBlockBytes;
  std::lock_guard<std::mutex> lock(mu_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const size_t total = size_t(num_chunks_) * kBlocksPerChunk;
    // From the cursor on, once round: a free block whose index is a
    // multiple of the stride (blocks then start aligned, as chunks are).
    for (size_t n = 0; n < total; n += stride) {
      size_t i = (RoundUp(cursor_, stride) + n) % total;
      Chunk& c = chunks_[i / kBlocksPerChunk];
      const size_t b = i % kBlocksPerChunk;
      uint64_t& word = c.held[b / 64];
      if (stride == 1 && word == ~uint64_t{0}) {
        n += 63 - b % 64;  // a full word: skip to the next
        continue;
      }
      if ((word >> (b % 64)) & 1) continue;
      word |= uint64_t{1} << (b % 64);
      cursor_ = i + stride;
      ++live_;
      return c.base + b * kBlockBytes;
    }
    if (!AddChunkLocked()) break;
  }
  errno = ENOMEM;
  return nullptr;
}

bool ZeroSizeBlocks::Index(const void* p, int* chunk, size_t* block) const {
  const char* a = static_cast<const char*>(p);
  for (int c = 0; c < num_chunks_; ++c) {
    if (a >= chunks_[c].base && a < chunks_[c].base + slab::kChunkSize) {
      const size_t offset = static_cast<size_t>(a - chunks_[c].base);
      if (offset % kBlockBytes != 0) return false;
      *chunk = c;
      *block = offset / kBlockBytes;
      return true;
    }
  }
  return false;
}

ZeroSizeBlocks::FreeResult ZeroSizeBlocks::Free(const void* p) {
  std::lock_guard<std::mutex> lock(mu_);
  int c;
  size_t b;
  if (!Index(p, &c, &b)) return FreeResult::kNotABlock;
  uint64_t& word = chunks_[c].held[b / 64];
  const uint64_t bit = uint64_t{1} << (b % 64);
  if ((word & bit) == 0) return FreeResult::kNotHeld;
  word &= ~bit;
  --live_;
  return FreeResult::kOk;
}

bool ZeroSizeBlocks::Held(const void* p) const {
  std::lock_guard<std::mutex> lock(mu_);
  int c;
  size_t b;
  return Index(p, &c, &b) && ((chunks_[c].held[b / 64] >> (b % 64)) & 1) != 0;
}

uint64_t ZeroSizeBlocks::live() const {
  std::lock_guard<std::mutex> lock(mu_);
  return live_;
}

}  // namespace malloc
}  // namespace slabkit
