#include "malloc/large.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <tuple>

#include "slab/counter.h"
#include "slab/page_map.h"

namespace slabkit {
namespace malloc {

LargeAllocator::LargeAllocator(MapperRef mapper, Retention retention,
                               size_t reuse_bytes, const char* name)
    : mapper_(mapper),
      page_(mapper.page_size()),
      retention_(retention),
      reuse_bytes_(retention == Retention::kUnmap ? 0 : reuse_bytes),
      table_(mapper),
      samples_(name, mapper) {}

void LargeAllocator::RecordSampleLocked(Entry* e, size_t size, Sample* sample) {
  e->sample =
      samples_.Add(size, sample->weighted_bytes, sample->stack, sample->depth);
  sample->recorded = e->sample != 0;
  CounterSet(stats_.metadata_bytes, table_.bytes() + samples_.bytes());
}

void LargeAllocator::ResetSampleSites() {
  std::lock_guard<std::mutex> lock(mu_);
  samples_.Reset();
}

void LargeAllocator::ForgetLocked(uintptr_t first, size_t window) {
  for (uintptr_t c = first; c < first + (window >> slab::kChunkShift); ++c) {
    slab::UnregisterChunk(ChunkAddress(c));
    table_.Erase(c);
  }
}

void LargeAllocator::UnretainLocked(int i) {
  for (int j = i + 1; j < num_retained_; ++j) retained_[j - 1] = retained_[j];
  --num_retained_;
}

size_t LargeAllocator::RetainLimitLocked() const {
  if (reuse_bytes_ == 0) return 0;
  return std::max(reuse_bytes_, stats_.committed_bytes / 2);
}

int LargeAllocator::FirstQuarantinedLocked() const {
  // The newest windows, up to kRetainedSlots of them and half the byte
  // budget (so that the rest of the budget is left for windows to reuse).
  const size_t half_limit = RetainLimitLocked() / 2;
  size_t bytes = 0;
  int i = num_retained_;
  while (i > 0 && num_retained_ - i < kRetainedSlots) {
    const size_t next = bytes + table_.Find(retained_[i - 1])->committed;
    if (next > half_limit && i != num_retained_) break;
    bytes = next;
    --i;
  }
  return i;
}

char* LargeAllocator::ReuseLocked(size_t window, size_t alignment, size_t data,
                                  bool zero) {
  // Candidates: windows at least this size and at most twice it, holding
  // at most twice `data` committed (more would be given back: a fresh
  // window costs fewer pages), with the same leading guard (the usual
  // case: page alignment); so blocks of varying sizes reuse each other's
  // windows and pages. Quarantined windows (the newest) are not
  // candidates. The best has the fewest pages to commit, then the fewest
  // committed (leaving the fuller windows for bigger blocks), then is the
  // smallest.
  const int reusable = retention_ == Retention::kQuarantine
                           ? FirstQuarantinedLocked()
                           : num_retained_;
  auto rank = [data](const Entry* c) {
    const size_t to_commit = c->committed < data ? data - c->committed : 0;
    return std::make_tuple(to_commit, c->committed, c->window_bytes);
  };
  int best = -1;
  Entry* e = nullptr;
  for (int i = 0; i < reusable; ++i) {
    Entry* c = table_.Find(retained_[i]);
    char* start = ChunkAddress(c->first) + alignment;
    if (c->window_bytes < window || c->window_bytes / 2 > window ||
        c->committed / 2 > data || c->data != start ||
        (reinterpret_cast<uintptr_t>(start) & (alignment - 1)) != 0) {
      continue;
    }
    if (e == nullptr || rank(c) < rank(e)) {
      best = i;
      e = c;
    }
  }
  if (e == nullptr) return nullptr;
  char* start = e->data;
  size_t old = e->committed;
  if (retention_ == Retention::kQuarantine && old != 0) {
    // Out of quarantine, its pages are still a guard: made usable with
    // their bytes where the mapper can, else given back (they commit again
    // as zeros below).
    if (!mapper_.CanUnprotect() || !mapper_.Unprotect(start, old).ok()) {
      if (!mapper_.Decommit(start, old).ok()) return nullptr;
      CounterSub(stats_.retained_bytes, old);
      e->committed = 0;
      old = 0;
    }
  }
  // Pages past `data` (at most `data` of them) stay, as usable size.
  size_t committed = old;
  if (data > old) {
    if (!mapper_.Commit(start + old, data - old).ok()) return nullptr;
    committed = data;
  }
  // Pages kept from the last block hold its data (all of them are usable
  // size, so all are cleared); newly committed ones are 0.
  if (zero) memset(start, 0, old);
  e->freed = false;
  e->family = 0;
  e->requested = 0;
  e->committed = committed;
  UnretainLocked(best);
  CounterSub(stats_.retained_blocks, 1);
  CounterSub(stats_.retained_bytes, old);
  CounterSub(stats_.retained_reserved_bytes, e->window_bytes);
  CounterAdd(stats_.allocations, 1);
  CounterAdd(stats_.reuses, 1);
  CounterAdd(stats_.live, 1);
  CounterAdd(stats_.committed_bytes, committed);
  CounterAdd(stats_.reserved_bytes, e->window_bytes);
  return start;
}

void* LargeAllocator::Allocate(size_t size, size_t alignment, bool zero,
                               Sample* sample) {
  if (sample != nullptr) sample->recorded = false;
  const size_t requested = size;
  if (size == 0) size = 1;
  if (alignment < page_) alignment = page_;
  // The leading guard is the alignment's worth, so the data is aligned; the
  // trailing guard is at least a page. Every sum is checked: sizes come from
  // the program.
  const size_t max = ~size_t{0} / 4;
  if (size > max || alignment > max) {
    errno = ENOMEM;
    return nullptr;
  }
  const size_t data = RoundUp(size, page_);
  const size_t window = RoundUp(alignment + data + page_, slab::kChunkSize);
  const size_t window_alignment =
      alignment > slab::kChunkSize ? alignment : slab::kChunkSize;
  if (retention_ != Retention::kUnmap) {
    std::lock_guard<std::mutex> lock(mu_);
    if (char* start = ReuseLocked(window, alignment, data, zero)) {
      if (sample != nullptr) {
        RecordSampleLocked(table_.BlockOf(start), requested, sample);
      }
      return start;
    }
  }
  absl::StatusOr<void*> reserved = mapper_.Reserve(window, window_alignment);
  if (!reserved.ok() && CounterLoad(stats_.retained_reserved_bytes) != 0) {
    // Out of address space: give up the retained windows before failing.
    ReleaseRetained();
    reserved = mapper_.Reserve(window, window_alignment);
  }
  if (!reserved.ok()) {
    errno = ENOMEM;
    return nullptr;
  }
  char* base = static_cast<char*>(*reserved);
  char* start = base + alignment;
  if ((reinterpret_cast<uintptr_t>(base) >> slab::kAddressBits) != 0 ||
      !mapper_.Commit(start, data).ok()) {
    (void)mapper_.Release(base, window);
    errno = ENOMEM;
    return nullptr;
  }
  const size_t chunks = window >> slab::kChunkShift;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (table_.Reserve(chunks)) {
      CounterSet(stats_.metadata_bytes, table_.bytes() + samples_.bytes());
      const uintptr_t first = ChunkIndex(base);
      for (size_t i = 0; i < chunks; ++i) {
        Entry e{first + i, first, nullptr, 0, 0, false, 0, 0};
        if (i == 0) {
          e.data = start;
          e.committed = data;
          e.window_bytes = window;
        }
        table_.Insert(e);
        (void)slab::RegisterLargeChunk(ChunkAddress(first + i));
      }
      if (sample != nullptr) {
        RecordSampleLocked(table_.Find(first), requested, sample);
      }
      CounterAdd(stats_.allocations, 1);
      CounterAdd(stats_.live, 1);
      CounterAdd(stats_.committed_bytes, data);
      CounterAdd(stats_.reserved_bytes, window);
      return start;
    }
  }
  (void)mapper_.Release(base, window);
  errno = ENOMEM;
  return nullptr;
}

LargeAllocator::FindResult LargeAllocator::Find(const void* p,
                                                size_t* usable) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Entry* block = table_.BlockOf(p);
  if (block == nullptr) return FindResult::kNone;
  if (block->data != p) return FindResult::kInterior;
  if (block->freed) return FindResult::kFreed;
  if (usable != nullptr) *usable = block->committed;
  return FindResult::kBlock;
}

LargeAllocator::FindResult LargeAllocator::Free(void* p,
                                                uint64_t* sampled_bytes) {
  // Windows to unmap once the lock is dropped: this block's, or the
  // retained ones it evicts.
  struct Victim {
    char* base;
    size_t window;
  } victims[kCapacity + 1];
  int n = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry* block = table_.BlockOf(p);
    if (block == nullptr) return FindResult::kNone;
    if (block->data != p) return FindResult::kInterior;
    if (block->freed) return FindResult::kFreed;
    const uint64_t weighted =
        block->sample != 0 ? samples_.Remove(block->sample) : 0;
    block->sample = 0;
    if (sampled_bytes != nullptr) *sampled_bytes = weighted;
    const uintptr_t first = block->first;
    const size_t window = block->window_bytes;
    const size_t committed = block->committed;
    CounterAdd(stats_.releases, 1);
    CounterSub(stats_.live, 1);
    CounterSub(stats_.committed_bytes, committed);
    CounterSub(stats_.reserved_bytes, window);
    size_t kept = committed;  // what the retained window keeps committed
    if (retention_ == Retention::kQuarantine &&
        !mapper_.Protect(block->data, committed).ok()) {
      // Still accessible: at least its bytes go.
      if (mapper_.Decommit(block->data, committed).ok()) {
        kept = 0;
        CounterAdd(stats_.returned_bytes, committed);
      }
      block->committed = kept;
    }
    const bool retain =
        retention_ == Retention::kQuarantine ||
        (retention_ == Retention::kReuse && committed <= RetainLimitLocked());
    if (!retain) {
      CounterAdd(stats_.returned_bytes, kept);
      ForgetLocked(first, window);
      victims[n++] = {ChunkAddress(first), window};
    } else {
      if (num_retained_ ==
          (retention_ == Retention::kQuarantine ? kCapacity : kRetainedSlots)) {
        EvictLocked(0, &victims[n].base, &victims[n].window);
        ++n;
        block = table_.Find(first);  // erasing moved entries
      }
      block->freed = true;
      block->idle_since_pass = false;
      retained_[num_retained_++] = first;
      CounterAdd(stats_.retained_blocks, 1);
      CounterAdd(stats_.retained_bytes, kept);
      CounterAdd(stats_.retained_reserved_bytes, window);
      if (retention_ == Retention::kReuse) {
        while (stats_.retained_bytes > RetainLimitLocked()) {
          EvictLocked(0, &victims[n].base, &victims[n].window);
          ++n;
        }
      } else {
        // Over the budget, the oldest windows' pages go back; the windows
        // (and their quarantine) stay.
        for (int i = 0;
             i < num_retained_ && stats_.retained_bytes > RetainLimitLocked();
             ++i) {
          (void)DecommitRetainedLocked(table_.Find(retained_[i]));
        }
      }
    }
  }
  for (int i = 0; i < n; ++i)
    (void)mapper_.Release(victims[i].base, victims[i].window);
  return FindResult::kBlock;
}

void LargeAllocator::EvictLocked(int i, char** base, size_t* window) {
  Entry* e = table_.Find(retained_[i]);
  const uintptr_t first = e->first;
  *base = ChunkAddress(first);
  *window = e->window_bytes;
  CounterSub(stats_.retained_blocks, 1);
  CounterSub(stats_.retained_bytes, e->committed);
  CounterAdd(stats_.returned_bytes, e->committed);
  CounterSub(stats_.retained_reserved_bytes, e->window_bytes);
  UnretainLocked(i);
  ForgetLocked(first, *window);
}

bool LargeAllocator::DecommitRetainedLocked(Entry* e) {
  if (e->committed == 0) return true;
  if (!mapper_.Decommit(e->data, e->committed).ok()) return false;
  CounterSub(stats_.retained_bytes, e->committed);
  CounterAdd(stats_.returned_bytes, e->committed);
  e->committed = 0;
  return true;
}

size_t LargeAllocator::Decay(bool aged) {
  struct Victim {
    char* base;
    size_t window;
  } victims[kCapacity];
  int n = 0;
  size_t bytes = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int i = 0; i < num_retained_;) {
      Entry* e = table_.Find(retained_[i]);
      if (aged && !e->idle_since_pass) {
        e->idle_since_pass = true;  // given back at the next pass
        ++i;
        continue;
      }
      const size_t committed = e->committed;
      if (retention_ == Retention::kQuarantine) {
        // The window stays in quarantine; only its pages go.
        if (DecommitRetainedLocked(e)) bytes += committed;
        ++i;
        continue;
      }
      bytes += committed;
      EvictLocked(i, &victims[n].base, &victims[n].window);
      ++n;
    }
  }
  for (int i = 0; i < n; ++i)
    (void)mapper_.Release(victims[i].base, victims[i].window);
  return bytes;
}

size_t LargeAllocator::ReleaseRetained() {
  size_t released = 0;
  for (;;) {
    char* base;
    size_t window;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (num_retained_ == 0) return released;
      released += table_.Find(retained_[0])->committed;
      EvictLocked(0, &base, &window);
    }
    (void)mapper_.Release(base, window);
  }
}

void LargeAllocator::SetNote(const void* p, Note note) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry* block = table_.BlockOf(p);
  if (block == nullptr || block->data != p || block->freed) return;
  block->family = note.family;
  block->requested = note.requested;
}

LargeAllocator::Note LargeAllocator::GetNote(const void* p) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Entry* block = table_.BlockOf(p);
  if (block == nullptr || block->data != p || block->freed) return {};
  return {block->requested, block->family};
}

bool LargeAllocator::Resize(void* p, size_t size) {
  if (size == 0) size = 1;
  if (size > ~size_t{0} / 4) return false;
  const size_t data = RoundUp(size, page_);
  std::lock_guard<std::mutex> lock(mu_);
  Entry* block = table_.BlockOf(p);
  if (block == nullptr || block->data != p || block->freed) return false;
  const size_t committed = block->committed;
  if (data < committed) {
    // The pages past the new end become guard: given back, inaccessible.
    if (!mapper_.Decommit(block->data + data, committed - data).ok()) {
      return false;
    }
    (void)mapper_.Protect(block->data + data, committed - data);
  } else if (data > committed) {
    char* window_end = ChunkAddress(block->first) + block->window_bytes;
    if (data > static_cast<size_t>(window_end - block->data) - page_ ||
        !mapper_.Commit(block->data + committed, data - committed).ok()) {
      return false;
    }
  }
  block->committed = data;
  CounterSub(stats_.committed_bytes, committed);
  CounterAdd(stats_.committed_bytes, data);
  return true;
}

LargeAllocator::Stats LargeAllocator::GetStats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

LargeAllocator::Stats LargeAllocator::ReadStats() const
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  return CounterSnapshot(stats_);
}

}  // namespace malloc
}  // namespace slabkit
