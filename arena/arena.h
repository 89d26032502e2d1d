// Arena: bump allocation of any size and alignment, in chunks from a mapper,
// freed all at once (Reset, or destruction). For work whose objects share a
// lifetime: a request, a parse, a frame.
//
//   slabkit::Arena arena;                    // on the build's default mapper
//   Node* n = arena.New<Node>(args...);      // no destructor ever runs
//   char* buffer = static_cast<char*>(arena.Allocate(4096, 64));
//   arena.Reset();                           // everything at once
//
// Like slab chunks, each arena chunk keeps its record in a header page
// separated from the data by a guard page. Not thread-safe: one arena per
// thread, or a lock around it.
#ifndef SLABKIT_ARENA_ARENA_H_
#define SLABKIT_ARENA_ARENA_H_

// clang-format off
#include "base/language.h"  // first: C++17, or an #error naming the flag
// clang-format on

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

#include "mapper/default_instance.h"
#include "mapper/mapper.h"
#include "mapper/registry.h"

namespace slabkit {

struct ArenaStats {
  uint64_t allocations = 0;      // since the last Reset
  uint64_t bytes_requested = 0;  // since the last Reset
  size_t chunks = 0;
  size_t reserved_bytes = 0;  // address space of the chunks
  size_t committed_bytes = 0;
  uint64_t resets = 0;
};

class Arena {
 public:
  static constexpr size_t kDefaultChunkBytes = size_t{1} << 20;

  // Chunks of `chunk_bytes` (rounded to pages; larger requests get a chunk of
  // their own) from `mapper`, which must outlive the arena.
  explicit Arena(MapperRef mapper = MapperRef(&DefaultMapperInstance()),
                 size_t chunk_bytes = kDefaultChunkBytes);
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  // Returns every chunk to the mapper.
  ~Arena();

  // `size` bytes aligned to `alignment` (a power of two, any size; 0 is
  // taken as 1). nullptr with errno EINVAL for a bad alignment, ENOMEM when
  // the mapper cannot supply memory. The bytes are zero the first time a
  // chunk's memory is used, and whatever was left after a Reset.
  void* Allocate(size_t size, size_t alignment = alignof(std::max_align_t));

  // Constructs a T in the arena. Its destructor never runs: the arena frees
  // memory, not objects.
  template <typename T, typename... Args>
  T* New(Args&&... args) {
    void* p = Allocate(sizeof(T), alignof(T));
    return p == nullptr ? nullptr : new (p) T(std::forward<Args>(args)...);
  }

  // Frees everything allocated: the first chunk is kept for reuse, the
  // others go back to the mapper.
  void Reset();

  ArenaStats stats() const;

 private:
  struct Chunk;

  // A chunk whose data can hold `size` bytes aligned to `alignment`.
  Chunk* NewChunk(size_t size, size_t alignment);
  void ReleaseChunk(Chunk* chunk);

  const MapperRef mapper_;
  const size_t chunk_bytes_;
  Chunk* chunks_ = nullptr;  // newest first; the bump pointer is in the first
  char* next_ = nullptr;
  char* end_ = nullptr;
  ArenaStats stats_;
};

}  // namespace slabkit

#endif  // SLABKIT_ARENA_ARENA_H_
