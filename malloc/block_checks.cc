#include "malloc/block_checks.h"

#include <cstring>

#include "guard/report.h"

namespace slabkit {
namespace malloc {

namespace block_checks_internal {

namespace {

[[noreturn]] void Report(Misuse kind, const void* p, uint32_t id,
                         const char* detail = nullptr) {
  ReportMisuse(kind, p, slab::ChunkOf(p)->class_name, id, detail, 0);
}

}  // namespace

void ReportWrittenWhileFree(char* slot, size_t size, uint32_t id) {
  // Written at its end, it was most likely an underflow of the block after
  // it.
  const size_t tail =
      size - (kTailCanaryBytes < size / 2 ? kTailCanaryBytes : size / 2);
  if (guard::FindNonzero(slot + tail, slot + size) != nullptr) {
    Report(Misuse::kOverflow, slot, id,
           "the end of this free slot was written (an underflow of the "
           "block after it, or a write after free)");
  }
  const char* written = guard::FindNonzero(slot, slot + tail);
  Report(Misuse::kWriteAfterFree, written != nullptr ? written : slot, id);
}

void ReportOverwrittenCanary(char* slot, size_t size, size_t requested,
                             uint32_t id) {
  const Regions r = CanaryRegions(size, requested);
  const uint64_t pattern = guard::CanaryPattern(slot);
  if (guard::CanaryDiff(pattern, slot + requested, slot + r.head_end) != 0) {
    Report(Misuse::kOverflow, slot, id, "the bytes after it were written");
  }
  Report(Misuse::kOverflow, slot, id,
         "its slot's end was written (an overflow of it, or an underflow of "
         "the block after it)");
}

void ReportSlabRelease(void* p, uint32_t id, uint8_t state, Family family) {
  ReportMismatchedRelease(p, slab::ChunkOf(p)->class_name, id,
                          static_cast<Family>(state >> kFamilyShift), family);
}

void ReportWrongSize(void* p, uint32_t id) {
  Report(Misuse::kSizeMismatch, p, id);  // not the size allocated
}

}  // namespace block_checks_internal

using namespace block_checks_internal;

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

void SlabBlockChecks::OnResize(void* p, const slab::Location& loc,
                               size_t requested) {
  char* slot = static_cast<char*>(p);
  const size_t size = loc.chunk->geometry->object_size;
  const size_t old = Requested(loc);
  // Clear the old canaries (the new bytes read as zeros), then write new.
  const Regions r = CanaryRegions(size, old);
  memset(slot + old, 0, r.head_end - old);
  memset(slot + r.tail_begin, 0, size - r.tail_begin);
  if (requested < old) memset(slot + requested, 0, old - requested);
  *RecordOf(loc).requested = static_cast<uint32_t>(requested);
  WriteCanaries(slot, size, requested);
}

void ReportMismatchedRelease(const void* p, const char* class_name, uint32_t id,
                             Family allocated_by, Family released_by) {
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

// `room` is at least 8 (a page, or a class's object size), so the canary's
// last word always lies in the block.
void WriteCanaryAfter(char* block, size_t requested, size_t room) {
  guard::WriteCanary(guard::CanaryPattern(block), block + requested,
                     block + CanaryEnd(requested, room));
}

bool CanaryIntactAfter(const char* block, size_t requested, size_t room) {
  return guard::CanaryDiff(guard::CanaryPattern(block), block + requested,
                           block + CanaryEnd(requested, room)) == 0;
}

void ClearCanaryAfter(char* block, size_t requested, size_t room) {
  const size_t end = CanaryEnd(requested, room);
  if (end > requested) memset(block + requested, 0, end - requested);
}

}  // namespace malloc
}  // namespace slabkit
