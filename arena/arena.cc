#include "arena/arena.h"

#include <algorithm>
#include <cerrno>

namespace slabkit {
// The header page of a chunk: [header page][guard page][data ...].
struct Arena::Chunk {
  Chunk* next;
  size_t bytes;  // the whole reservation

  char* data(size_t page) { return reinterpret_cast<char*>(this) + 2 * page; }
  char* end() { return reinterpret_cast<char*>(this) + bytes; }
};

Arena::Arena(MapperRef mapper, size_t chunk_bytes)
    : mapper_(mapper),
      chunk_bytes_(RoundUp(std::max(chunk_bytes, 4 * mapper.page_size()),
                           mapper.page_size())) {}

Arena::~Arena() {
  while (chunks_ != nullptr) {
    Chunk* next = chunks_->next;
    ReleaseChunk(chunks_);
    chunks_ = next;
  }
}

Arena::Chunk* Arena::NewChunk(size_t size, size_t alignment) {
  const size_t page = mapper_.page_size();
  // Data starts page-aligned two pages in; larger alignments are met by
  // aligning the reservation and skipping to the next aligned address.
  const size_t slack = alignment > page ? alignment : 0;
  if (size > SIZE_MAX / 2 - slack - 2 * page) return nullptr;
  const size_t bytes =
      std::max(chunk_bytes_, RoundUp(2 * page + slack + size, page));
  absl::StatusOr<void*> memory =
      mapper_.Reserve(bytes, std::max(page, alignment));
  if (!memory.ok()) return nullptr;
  char* base = static_cast<char*>(*memory);
  if (!mapper_.Commit(base, page).ok() ||
      !mapper_.Commit(base + 2 * page, bytes - 2 * page).ok()) {
    (void)mapper_.Release(base, bytes);
    return nullptr;
  }
  (void)mapper_.Protect(base + page, page);  // already inaccessible
  auto* chunk = reinterpret_cast<Chunk*>(base);
  chunk->bytes = bytes;
  stats_.chunks++;
  stats_.reserved_bytes += bytes;
  stats_.committed_bytes += bytes - page;
  return chunk;
}

void Arena::ReleaseChunk(Chunk* chunk) {
  stats_.chunks--;
  stats_.reserved_bytes -= chunk->bytes;
  stats_.committed_bytes -= chunk->bytes - mapper_.page_size();
  (void)mapper_.Release(chunk, chunk->bytes);
}

void* Arena::Allocate(size_t size, size_t alignment) {
  if (alignment == 0) alignment = 1;
  if (!IsPowerOfTwo(alignment)) {
    errno = EINVAL;
    return nullptr;
  }
  auto fits = [&](char*& at) {
    if (next_ == nullptr) return false;
    at = reinterpret_cast<char*>(
        (reinterpret_cast<uintptr_t>(next_) + alignment - 1) &
        ~(alignment - 1));
    return at >= next_ && at <= end_ && size <= static_cast<size_t>(end_ - at);
  };
  char* at;
  if (!fits(at)) {
    Chunk* chunk = NewChunk(size, alignment);
    if (chunk == nullptr) {
      errno = ENOMEM;
      return nullptr;
    }
    chunk->next = chunks_;
    chunks_ = chunk;
    next_ = chunk->data(mapper_.page_size());
    end_ = chunk->end();
    if (!fits(at)) {  // cannot happen: the chunk was sized for it
      errno = ENOMEM;
      return nullptr;
    }
  }
  next_ = at + size;
  stats_.allocations++;
  stats_.bytes_requested += size;
  return at;
}

void Arena::Reset() {
  if (chunks_ == nullptr) return;
  // Keep the oldest chunk (the first one made, sized by chunk_bytes_ unless
  // the very first request was large).
  Chunk* keep = chunks_;
  while (keep->next != nullptr) {
    Chunk* next = keep->next;
    ReleaseChunk(keep);
    keep = next;
  }
  chunks_ = keep;
  next_ = keep->data(mapper_.page_size());
  end_ = keep->end();
  stats_.allocations = 0;
  stats_.bytes_requested = 0;
  stats_.resets++;
}

ArenaStats Arena::stats() const { return stats_; }

}  // namespace slabkit
