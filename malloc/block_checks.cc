#include "malloc/block_checks.h"

#include <sys/auxv.h>

#include <cstring>

#include "absl/base/optimization.h"
#include "absl/numeric/bits.h"

#include "guard/object_checks.h"
#include "guard/report.h"
#include "malloc/class_table.h"

namespace slabkit {
namespace malloc {

namespace {

// The process's canary secret: from the kernel's random bytes for this
// program (AT_RANDOM), read without a system call. Set on first use (a
// load and a branch after that; a race sets the same value twice).
uint64_t secret;

uint64_t Secret() {
  uint64_t s = __atomic_load_n(&secret, __ATOMIC_RELAXED);
  if (ABSL_PREDICT_TRUE(s != 0)) return s;
  s = 0x9E3779B97F4A7C15u;
  if (const void* random = reinterpret_cast<const void*>(getauxval(AT_RANDOM))) {
    memcpy(&s, static_cast<const char*>(random) + 8, sizeof(s));
  }
  s |= 0x0101010101010101u;  // no zero byte
  __atomic_store_n(&secret, s, __ATOMIC_RELAXED);
  return s;
}

// A slot's canary: the byte at address a is byte (a % 8) of this word, so
// that every byte's value follows from its address alone and word accesses
// may start anywhere (and overlap).
uint64_t Pattern(const char* slot) {
  uint64_t x = Secret() ^ (reinterpret_cast<uintptr_t>(slot) >> 3);
  x *= 0xBF58476D1CE4E5B9u;
  return (x ^ (x >> 29)) | 0x0101010101010101u;
}

// The canary as a word loaded from address a (little-endian).
uint64_t PatternAt(uint64_t pattern, const char* a) {
  return absl::rotr(pattern, 8 * static_cast<int>(
                                      reinterpret_cast<uintptr_t>(a) & 7));
}

uint64_t Load(const char* a) {
  uint64_t w;
  memcpy(&w, a, sizeof(w));
  return w;
}
void Store(char* a, uint64_t w) { memcpy(a, &w, sizeof(w)); }

// The mask of a word's top `n` bytes (0 < n < 8).
uint64_t TopBytes(size_t n) { return ~uint64_t{0} << (64 - 8 * n); }

// Writes the canary over [from, to); `low` <= from is the lowest address
// this may rewrite (with its own value), so that a canary shorter than a
// word is one masked word write.
void WriteCanary(uint64_t pattern, char* from, char* to, char* low) {
  const size_t n = static_cast<size_t>(to - from);
  if (n >= 8) {
    const uint64_t w = PatternAt(pattern, from);
    for (char* a = from; a + 8 < to; a += 8) Store(a, w);
    Store(to - 8, PatternAt(pattern, to - 8));
  } else if (n > 0 && to - 8 >= low) {
    const uint64_t mask = TopBytes(n);
    Store(to - 8, (Load(to - 8) & ~mask) | (PatternAt(pattern, to - 8) & mask));
  } else {
    for (char* a = from; a < to; ++a) {
      *a = static_cast<char>(PatternAt(pattern, a));
    }
  }
}

// Whether [from, to) holds the canary (`low` as for WriteCanary).
bool CanaryIntact(uint64_t pattern, const char* from, const char* to,
                  const char* low) {
  const size_t n = static_cast<size_t>(to - from);
  if (n >= 8) {
    const uint64_t w = PatternAt(pattern, from);
    uint64_t diff = 0;
    for (const char* a = from; a + 8 < to; a += 8) diff |= Load(a) ^ w;
    return (diff | (Load(to - 8) ^ PatternAt(pattern, to - 8))) == 0;
  }
  if (n > 0 && to - 8 >= low) {
    return ((Load(to - 8) ^ PatternAt(pattern, to - 8)) & TopBytes(n)) == 0;
  }
  for (const char* a = from; a < to; ++a) {
    if (static_cast<uint8_t>(*a) != static_cast<uint8_t>(PatternAt(pattern, a))) {
      return false;
    }
  }
  return true;
}

// Whether the slot [from, to) (8-byte aligned, a multiple of 8 bytes) is
// all zeros.
bool AllZero(const char* from, const char* to) {
  uint64_t any = 0;
  for (const char* a = from; a < to; a += 8) any |= Load(a);
  return any == 0;
}

// The first nonzero byte in [from, to), or null (for reports).
const char* FindNonzero(const char* from, const char* to) {
  for (const char* a = from; a < to; ++a) {
    if (*a != 0) return a;
  }
  return nullptr;
}

// The canaries of a block of `requested` bytes in a slot of `size`.
void Canaries(char* slot, size_t size, size_t requested, char** head_from,
              char** head_to, char** tail_from) {
  *head_from = slot + requested;
  *head_to = slot + (requested + kCanaryBytes < size ? requested + kCanaryBytes
                                                     : size);
  const size_t tail = size >= kTailCanaryBytes ? size - kTailCanaryBytes : 0;
  *tail_from = slot + (tail > requested ? tail : requested);
}

uint8_t* StateOf(const slab::Location& loc) { return guard::ObjectState(loc); }
uint32_t* SizeOf(const slab::Location& loc) {
  return &loc.chunk->sizes(loc.span)[loc.index];
}

[[noreturn]] void Report(Misuse kind, const void* p, int index, uint32_t id,
                         const char* detail = nullptr) {
  char name[16];
  ClassName(index, name);
  ReportMisuse(kind, p, name, id, detail, 0);
}

}  // namespace

const char* AllocatedBy(Family f) {
  switch (f) {
    case Family::kNew:
      return "new";
    case Family::kNewArray:
      return "new[]";
    case Family::kMalloc:
      break;
  }
  return "malloc";
}

const char* ReleasedBy(Family f) {
  switch (f) {
    case Family::kNew:
      return "delete";
    case Family::kNewArray:
      return "delete[]";
    case Family::kMalloc:
      break;
  }
  return "free";
}

void SlabBlockChecks::OnAllocate(void* p, const slab::Location& loc,
                                 size_t requested, Family family, int index,
                                 uint32_t id) {
  char* slot = static_cast<char*>(p);
  const size_t size = loc.chunk->geometry->object_size;
  // Released blocks are zeros (so are fresh ones): anything else was
  // written after a free.
  if (ABSL_PREDICT_FALSE(!AllZero(slot, slot + size))) {
    // Written at its end, it was most likely an underflow of the block
    // after it.
    const size_t tail =
        size - (kTailCanaryBytes < size / 2 ? kTailCanaryBytes : size / 2);
    if (FindNonzero(slot + tail, slot + size) != nullptr) {
      Report(Misuse::kOverflow, slot, index, id,
             "the end of this free slot was written (an underflow of the "
             "block after it, or a write after free)");
    }
    Report(Misuse::kWriteAfterFree, FindNonzero(slot, slot + tail), index, id);
  }
  *SizeOf(loc) = static_cast<uint32_t>(requested);
  if (family != Family::kMalloc) {
    __atomic_store_n(StateOf(loc),
                     static_cast<uint8_t>(slab::kObjectHeld |
                                          (uint8_t(family) << kFamilyShift)),
                     __ATOMIC_RELAXED);
  }
  char *head_from, *head_to, *tail_from;
  Canaries(slot, size, requested, &head_from, &head_to, &tail_from);
  const uint64_t pattern = Pattern(slot);
  WriteCanary(pattern, head_from, head_to, slot);
  WriteCanary(pattern, tail_from, slot + size, slot);
}

bool SlabBlockChecks::OnRelease(void* p, const slab::Location& loc,
                                Family family, size_t sized, int index,
                                uint32_t id) {
  const uint8_t state = __atomic_load_n(StateOf(loc), __ATOMIC_RELAXED);
  if ((state & kStateMask) != slab::kObjectHeld) return false;
  const auto allocated_by = static_cast<Family>(state >> kFamilyShift);
  if (ABSL_PREDICT_FALSE(allocated_by != family)) {
    char name[16];
    ClassName(index, name);
    ReportMismatchedRelease(p, name, id, allocated_by, family);
  }
  char* slot = static_cast<char*>(p);
  const size_t size = loc.chunk->geometry->object_size;
  const size_t requested = *SizeOf(loc);
  if (ABSL_PREDICT_FALSE(sized != 0 && sized != requested)) {
    Report(Misuse::kSizeMismatch, p, index, id);
  }
  char *head_from, *head_to, *tail_from;
  Canaries(slot, size, requested, &head_from, &head_to, &tail_from);
  const uint64_t pattern = Pattern(slot);
  if (ABSL_PREDICT_FALSE(!CanaryIntact(pattern, head_from, head_to, slot))) {
    Report(Misuse::kOverflow, p, index, id, "the bytes after it were written");
  }
  if (ABSL_PREDICT_FALSE(
          !CanaryIntact(pattern, tail_from, slot + size, slot))) {
    Report(Misuse::kOverflow, p, index, id,
           "its slot's end was written (an overflow of it, or an underflow of "
           "the block after it)");
  }
  memset(slot, 0, size);
  if (state != slab::kObjectHeld) {
    __atomic_store_n(StateOf(loc), slab::kObjectHeld, __ATOMIC_RELAXED);
  }
  return true;
}

size_t SlabBlockChecks::Requested(const slab::Location& loc) {
  return *SizeOf(loc);
}

void SlabBlockChecks::OnResize(void* p, const slab::Location& loc,
                               size_t requested) {
  char* slot = static_cast<char*>(p);
  const size_t size = loc.chunk->geometry->object_size;
  const size_t old = *SizeOf(loc);
  char *head_from, *head_to, *tail_from;
  // Clear the old canaries (the new bytes read as zeros), then write new.
  Canaries(slot, size, old, &head_from, &head_to, &tail_from);
  memset(head_from, 0, static_cast<size_t>(head_to - head_from));
  memset(tail_from, 0, static_cast<size_t>(slot + size - tail_from));
  if (requested < old) memset(slot + requested, 0, old - requested);
  *SizeOf(loc) = static_cast<uint32_t>(requested);
  Canaries(slot, size, requested, &head_from, &head_to, &tail_from);
  const uint64_t pattern = Pattern(slot);
  WriteCanary(pattern, head_from, head_to, slot);
  WriteCanary(pattern, tail_from, slot + size, slot);
}

void ReportMismatchedRelease(const void* p, const char* class_name,
                             uint32_t id, Family allocated_by,
                             Family released_by) {
  char detail[64];
  strcpy(detail, "allocated by ");
  strcat(detail, AllocatedBy(allocated_by));
  strcat(detail, ", released by ");
  strcat(detail, ReleasedBy(released_by));
  ReportMisuse(Misuse::kMismatchedRelease, p, class_name, id, detail);
}

namespace {
size_t CanaryEnd(size_t requested, size_t room) {
  return requested + kCanaryBytes < room ? requested + kCanaryBytes : room;
}
}  // namespace

void WriteCanaryAfter(char* block, size_t requested, size_t room) {
  WriteCanary(Pattern(block), block + requested,
              block + CanaryEnd(requested, room), block);
}

bool CanaryIntactAfter(const char* block, size_t requested, size_t room) {
  return CanaryIntact(Pattern(block), block + requested,
                      block + CanaryEnd(requested, room), block);
}

void ClearCanaryAfter(char* block, size_t requested, size_t room) {
  const size_t end = CanaryEnd(requested, room);
  if (end > requested) memset(block + requested, 0, end - requested);
}

}  // namespace malloc
}  // namespace slabkit
