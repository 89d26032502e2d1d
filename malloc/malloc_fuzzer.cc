// Fuzz target: byte-driven sequences of malloc, calloc, realloc, aligned
// allocation, sized and plain free and malloc_trim, through the drop-in's own
// entry points (Malloc<Config>, not the exported symbols, so that the target
// also runs where a sanitizer owns malloc). Sizes span the small classes,
// the large blocks and the sizes between. Live blocks must hold the bytes
// written to them (the whole usable size) and must not overlap (the block
// just used is checked at once, all of them every 8 steps), and each block
// must be aligned as asked; at the end every block is
// freed and malloc's counts must say nothing is live. Built with
// SLABKIT_HARDENED for the hardened flavour.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "allocator/process.h"
#include "malloc/malloc.h"

namespace {

using M = slabkit::malloc::BuildMalloc;

constexpr int kSlots = 24;

struct Block {
  unsigned char* p = nullptr;
  size_t size = 0;    // asked for
  size_t usable = 0;  // malloc_usable_size, all of it written
  size_t alignment = 0;
  unsigned char fill = 0;
};

[[noreturn]] void Fail(const char* what, const Block& b) {
  std::fprintf(
      stderr,
      "malloc_fuzzer: %s: block %p of %zu bytes (usable %zu, aligned %zu)\n",
      what, b.p, b.size, b.usable, b.alignment);
  std::abort();
}

// Sizes from two bytes: mostly small, sometimes past the largest class
// (256 KiB), rarely several MiB.
size_t SizeFrom(uint8_t a, uint8_t b) {
  const size_t v = (size_t{a} << 8) | b;
  switch (a >> 6) {
    case 0:
    case 1:
      return v % 512;
    case 2:
      return v % 16384;
    default:
      return (a & 0x3f) < 8 ? (size_t{1} << 18) + (v % 8) * 4096 - 8 + (b & 15)
             : (a & 0x3f) < 10 ? v * 128
                               : v % 200000;
  }
}

// malloc's guarantee: 16 bytes, 8 for blocks of 8 bytes or fewer.
size_t MallocAlignment(size_t size) { return size <= 8 ? 8 : 16; }

// Every byte of blocks up to 512 bytes; of larger ones the first and last
// 256 and every 256th between (kept cheap: it runs after every step).
void Check(const Block& b) {
  for (size_t i = 0; i < b.usable;
       i += (i < 256 || i + 256 >= b.usable) ? 1 : 256) {
    if (b.p[i] != b.fill) Fail("contents changed while live", b);
  }
}

void Adopt(Block& slot, void* p, size_t size, size_t alignment,
           unsigned char fill) {
  slot.p = static_cast<unsigned char*>(p);
  slot.size = size;
  slot.alignment = alignment;
  slot.usable = M::UsableSize(p);
  if (slot.usable < size) Fail("usable size below the request", slot);
  if (reinterpret_cast<uintptr_t>(p) % alignment != 0) Fail("misaligned", slot);
  slot.fill = fill;
  std::memset(slot.p, fill, slot.usable);
}

void FreeSlot(Block& slot, bool sized) {
  if (slot.p == nullptr) return;
  Check(slot);
  if (sized && slot.alignment <= 16) {
    M::FreeSized(slot.p, slot.size);
  } else if (sized) {
    M::FreeAlignedSized(slot.p, slot.alignment, slot.size);
  } else {
    M::Free(slot.p);
  }
  slot = Block{};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t n) {
  Block slots[kSlots];
  for (size_t i = 0; i + 3 < n; i += 4) {
    const uint8_t op = data[i];
    Block& slot = slots[data[i + 1] % kSlots];
    const size_t size = SizeFrom(data[i + 2], data[i + 3]);
    const unsigned char fill = static_cast<unsigned char>(op ^ data[i + 3]);
    switch (op % 8) {
      case 0:
      case 1: {
        FreeSlot(slot, false);
        void* p = M::Allocate(size);
        if (p == nullptr) Fail("malloc failed", slot);
        Adopt(slot, p, size, MallocAlignment(size), fill);
        break;
      }
      case 2: {  // calloc: zero, whatever the memory held before
        FreeSlot(slot, false);
        const size_t count = 1 + (op >> 5);
        void* p = M::Calloc(count, size / count);
        if (p == nullptr) Fail("calloc failed", slot);
        const auto* bytes = static_cast<const unsigned char*>(p);
        for (size_t k = 0; k < count * (size / count); ++k) {
          if (bytes[k] != 0) Fail("calloc not zeroed", slot);
        }
        Adopt(slot, p, count * (size / count),
              MallocAlignment(count * (size / count)), fill);
        break;
      }
      case 3: {  // realloc keeps the prefix
        if (slot.p == nullptr) break;
        Check(slot);
        const size_t keep = std::min(slot.usable, size);
        const unsigned char old = slot.fill;
        void* p = M::Realloc(slot.p, size);
        if (size == 0) {  // frees, as glibc
          if (p != nullptr) Fail("realloc to 0 returned a block", slot);
          slot = Block{};
          break;
        }
        if (p == nullptr) Fail("realloc failed", slot);
        const auto* bytes = static_cast<const unsigned char*>(p);
        for (size_t k = 0; k < keep; ++k) {
          if (bytes[k] != old) Fail("realloc lost contents", slot);
        }
        Adopt(slot, p, size, MallocAlignment(size), fill);
        break;
      }
      case 4: {  // aligned, 32 B to 1 MiB
        FreeSlot(slot, false);
        const size_t alignment = size_t{32} << ((op >> 3) % 16);
        void* p = M::AlignedAllocate(alignment, size);
        if (p == nullptr) Fail("aligned allocation failed", slot);
        Adopt(slot, p, size, alignment, fill);
        break;
      }
      case 5:
        FreeSlot(slot, (op & 8) != 0);
        break;
      case 6:
        if ((op & 0xf8) == 0) M::ReleaseIdleMemory();
        break;
      case 7:
        if (slot.p != nullptr) {
          slot.fill = fill;
          std::memset(slot.p, fill, slot.usable);
        }
        break;
    }
    if (slot.p != nullptr) Check(slot);
    if (i % 32 != 0) continue;  // all blocks every 8 steps
    std::vector<const Block*> live;
    for (const Block& b : slots) {
      if (b.p == nullptr) continue;
      Check(b);
      live.push_back(&b);
    }
    std::sort(live.begin(), live.end(),
              [](const Block* a, const Block* b) { return a->p < b->p; });
    for (size_t k = 1; k < live.size(); ++k) {
      if (live[k - 1]->p + live[k - 1]->usable > live[k]->p)
        Fail("blocks overlap", *live[k]);
    }
  }
  for (Block& b : slots) FreeSlot(b, false);
  if (M::LargeStats().live != 0) Fail("large blocks left live", Block{});
  return 0;
}
