#include "guard/sampled.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include "absl/debugging/stacktrace.h"
#include "absl/debugging/symbolize.h"
#include "absl/strings/str_format.h"
#include "base/write_all.h"
#include "guard/report.h"
#include "slab/page_map.h"
#include "slab/slab_class.h"

namespace slabkit {
namespace guard {

__thread int64_t tls_sample_countdown
    __attribute__((tls_model("initial-exec")));

namespace {

// kUnset until the program, an option or an allocator's flavour sets it.
constexpr uint64_t kUnset = ~uint64_t{0};
std::atomic<uint64_t> sample_interval{kUnset};
__thread uint64_t tls_rng __attribute__((tls_model("initial-exec")));
__thread bool tls_counting __attribute__((tls_model("initial-exec")));

// Bytes to the next sample: exponentially distributed with the interval as
// mean, so that every byte is equally likely to be sampled (what a heap
// profile's unsampling assumes). With sampling off, the interval is looked
// at again after a long while.
double NextGapBytes(uint64_t interval) {
  if (tls_rng == 0) {
    tls_rng = reinterpret_cast<uintptr_t>(&tls_rng) * 0x9E3779B97F4A7C15u | 1;
  }
  tls_rng ^= tls_rng << 13;
  tls_rng ^= tls_rng >> 7;
  tls_rng ^= tls_rng << 17;
  // u in (0, 1]
  const double u = static_cast<double>((tls_rng >> 11) + 1) * 0x1.0p-53;
  return -std::log(u) * static_cast<double>(interval);
}

int64_t NextGap() {
  const uint64_t interval = SampleInterval();
  if (interval == 0) return int64_t{1} << 30;
  if (interval == 1) return 1;
  const double gap = NextGapBytes(interval);
  return gap >= 1 ? static_cast<int64_t>(std::min(gap, 0x1.0p62)) : 1;
}

// The first page of a pool's chunk: what the fault handler finds by masking.
struct PoolChunkHeader {
  static constexpr uint64_t kMagic = 0x534c4142475244;  // "SLABGRD"
  uint64_t magic;
  GuardedPool* pool;
};

struct sigaction previous_segv;
struct sigaction previous_bus;

// A SIGSEGV or SIGBUS that is not a guarded slot's goes where it would have
// gone without slabkit: to the handler installed before (called directly,
// so that this one stays for the next fault), or to the default action,
// which a signal sent by kill() or raise() must get too (it does not come
// again by itself, as a faulting access does when the handler returns).
void ForwardSignal(int sig, siginfo_t* info, void* ucontext) {
  const struct sigaction& before =
      sig == SIGSEGV ? previous_segv : previous_bus;
  const bool fault = info->si_code > 0;  // from the kernel, not a process
  if ((before.sa_flags & SA_SIGINFO) != 0) {
    if (before.sa_sigaction != nullptr) {
      before.sa_sigaction(sig, info, ucontext);
      return;
    }
  } else if (before.sa_handler == SIG_IGN) {
    // An ignored signal stays ignored; an ignored fault would come back for
    // ever, and the kernel gives it the default action.
    if (!fault) return;
  } else if (before.sa_handler != SIG_DFL) {
    before.sa_handler(sig);
    return;
  }
  signal(sig, SIG_DFL);
  // Blocked until this handler returns, then delivered with the default
  // action; a faulting access faults again instead.
  if (!fault) raise(sig);
}

void OnFault(int sig, siginfo_t* info, void* ucontext) {
  if (info->si_code > 0) {
    const void* addr = info->si_addr;
    const uint32_t entry = slab::LookupClass(addr, std::memory_order_relaxed);
    if (entry == slab::kZeroSizeChunk) {
      ReportMisuse(Misuse::kZeroSizeAccess, addr, "malloc_zero_size", 0);
    }
    if (entry != 0 && entry < slab::kMaxClasses) {
      // In a class's chunk, only a guard or address space never committed
      // faults: an access off an object's end (or before its start).
      ReportMisuse(Misuse::kOverflow, addr, slab::ChunkOf(addr)->class_name,
                   entry, "an access into a guard page");
    }
    if (entry & slab::kGuardedChunk) {
      if (GuardedPool* pool = GuardedPool::Of(addr)) {
        pool->ReportFault(addr);
        abort();
      }
    }
  }
  ForwardSignal(sig, info, ucontext);
}

void InstallFaultHandler() {
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_sigaction = &OnFault;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  sigaction(SIGSEGV, &action, &previous_segv);
  sigaction(SIGBUS, &action, &previous_bus);
}

void WriteStack(const char* what, void* const* frames, int depth) {
  char line[512];
  int n = absl::SNPrintF(line, sizeof(line), "slabkit:   %s at:\n", what);
  WriteAll(STDERR_FILENO, line, static_cast<size_t>(n));
  for (int i = 0; i < depth; ++i) {
    char symbol[256];
    if (!absl::Symbolize(frames[i], symbol, sizeof(symbol))) {
      strcpy(symbol, "?");
    }
    n = absl::SNPrintF(line, sizeof(line), "slabkit:     #%d %p %s\n", i,
                       frames[i], symbol);
    if (n > 0)
      WriteAll(STDERR_FILENO, line, std::min<size_t>(n, sizeof(line) - 1));
  }
}

}  // namespace

void EnsureFaultHandler() {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, InstallFaultHandler);
}

namespace {

constexpr int kMaxCountdownRestarts = 16;
std::atomic<void (*)()> countdown_restarts[kMaxCountdownRestarts];

}  // namespace

void AddCountdownRestart(void (*restart)()) {
  for (std::atomic<void (*)()>& slot : countdown_restarts) {
    void (*expected)() = nullptr;
    if (slot.compare_exchange_strong(expected, restart,
                                     std::memory_order_acq_rel) ||
        expected == restart) {
      return;
    }
  }
}

void SetSampleInterval(uint64_t bytes) {
  sample_interval.store(bytes, std::memory_order_relaxed);
  // The calling thread's next allocation starts the new rate.
  tls_counting = false;
  tls_sample_countdown = 0;
  for (const std::atomic<void (*)()>& slot : countdown_restarts) {
    if (void (*restart)() = slot.load(std::memory_order_acquire)) restart();
  }
}

void SetDefaultSampleInterval(uint64_t bytes) {
  uint64_t unset = kUnset;
  sample_interval.compare_exchange_strong(unset, bytes,
                                          std::memory_order_relaxed);
}

uint64_t SampleInterval() {
  const uint64_t interval = sample_interval.load(std::memory_order_relaxed);
  return interval == kUnset ? kDefaultSampleInterval : interval;
}

int32_t NextSampleCountdown(size_t object_size) {
  constexpr int32_t kOffRecheck = 1 << 16;
  constexpr double kMaxCountdown = 1 << 30;
  const uint64_t interval = SampleInterval();
  if (interval == 0) return kOffRecheck;
  if (interval == 1 || object_size == 0) return 0;
  // The allocation that crosses the gap is the sample: the ceil(gap/size)-th
  // from now, which the countdown reaches going below zero.
  const double objects =
      std::ceil(NextGapBytes(interval) / static_cast<double>(object_size));
  return objects <= 1
             ? 0
             : static_cast<int32_t>(std::min(objects, kMaxCountdown)) - 1;
}

bool ConsumeEntrySample(int32_t* countdown, size_t object_size, bool counting) {
  if (*countdown >= 0) return false;
  const uint64_t interval = SampleInterval();
  const bool due = interval == 1 || (interval != 0 && counting &&
                                     *countdown > kRestartCountdown / 2);
  *countdown = NextSampleCountdown(object_size);
  return due;
}

bool ConsumeSample() {
  if (tls_sample_countdown > 0) return false;
  // A zero countdown on a thread's first allocation only starts counting.
  const uint64_t interval = SampleInterval();
  const bool due = interval == 1 || (tls_counting && interval != 0);
  tls_counting = true;
  tls_sample_countdown = NextGap();
  return due;
}

GuardedPool::GuardedPool(const SampledClass& cls, char* chunk, Slot* slots,
                         uint16_t* free_list, uint16_t* quarantine,
                         Sites* sites, size_t num_slots, size_t data_bytes)
    : cls_(cls),
      first_slot_(chunk + 2 * cls.mapper.page_size()),
      data_bytes_(data_bytes),
      stride_(data_bytes + cls.mapper.page_size()),
      object_offset_(data_bytes - RoundUp(cls.size, cls.alignment)),
      num_slots_(num_slots),
      slots_(slots),
      sites_(sites),
      free_(free_list),
      free_count_(num_slots),
      quarantine_(quarantine),
      quarantine_capacity_(
          std::max<size_t>(1, std::min<size_t>(64, num_slots / 2))),
      keep_resident_(cls.protect_released &&
                     data_bytes == cls.mapper.page_size() &&
                     cls.mapper.CanUnprotect()) {
  // Lowest slots first.
  for (size_t i = 0; i < num_slots; ++i) {
    free_[i] = static_cast<uint16_t>(num_slots - 1 - i);
  }
}

GuardedPool* GuardedPool::Create(const SampledClass& cls,
                                 slab::MetadataArena* arena) {
  const size_t page = cls.mapper.page_size();
  const size_t data_bytes = RoundUp(RoundUp(cls.size, cls.alignment), page);
  const size_t stride = data_bytes + page;
  // The header page, a guard, then the slots.
  const size_t num_slots =
      std::min<size_t>((slab::kChunkSize - 2 * page) / stride, 65535);
  if (num_slots == 0) return nullptr;
  auto* slots = static_cast<Slot*>(
      arena->Allocate(num_slots * sizeof(Slot), alignof(Slot)));
  auto* free_list = static_cast<uint16_t*>(
      arena->Allocate(num_slots * sizeof(uint16_t), alignof(uint16_t)));
  auto* quarantine = static_cast<uint16_t*>(
      arena->Allocate(num_slots * sizeof(uint16_t), alignof(uint16_t)));
  auto* sites =
      static_cast<Sites*>(arena->Allocate(sizeof(Sites), alignof(Sites)));
  void* memory = arena->Allocate(sizeof(GuardedPool), alignof(GuardedPool));
  if (slots == nullptr || free_list == nullptr || quarantine == nullptr ||
      sites == nullptr || memory == nullptr) {
    return nullptr;  // the arena's memory is not given back, like any record
  }
  absl::StatusOr<void*> chunk =
      cls.mapper.Reserve(slab::kChunkSize, slab::kChunkSize);
  if (!chunk.ok()) return nullptr;
  char* base = static_cast<char*>(*chunk);
  if (!cls.mapper.Commit(base, page).ok()) {
    (void)cls.mapper.Release(base, slab::kChunkSize);
    return nullptr;
  }
  auto* pool = new (memory) GuardedPool(cls, base, slots, free_list, quarantine,
                                        sites, num_slots, data_bytes);
  *reinterpret_cast<PoolChunkHeader*>(base) =
      PoolChunkHeader{PoolChunkHeader::kMagic, pool};
  EnsureFaultHandler();
  if (!slab::RegisterChunk(base, cls.id, /*guarded=*/true).ok()) {
    (void)cls.mapper.Release(base, slab::kChunkSize);
    return nullptr;
  }
  return pool;
}

namespace {

std::atomic<size_t> extra_pool_slots{0};
std::atomic<size_t> extra_pool_slot_budget{0};  // 0: the default

}  // namespace

size_t ExtraPoolSlotBudget() {
  const size_t forced = extra_pool_slot_budget.load(std::memory_order_relaxed);
  return forced != 0 ? forced : slab::MaxMapCount() / 8;
}

size_t ExtraPoolSlots() {
  return extra_pool_slots.load(std::memory_order_relaxed);
}

void SetExtraPoolSlotBudgetForTesting(size_t slots) {
  extra_pool_slot_budget.store(slots, std::memory_order_relaxed);
}

bool GuardedPoolList::MayAdd(size_t slab_reserved_bytes) const {
  return size() == 0 || (overhead_bytes_.load(std::memory_order_relaxed) <
                             kMaxOverheadPerSlab * slab_reserved_bytes &&
                         ExtraPoolSlots() < ExtraPoolSlotBudget());
}

void* GuardedPoolList::Allocate(uint64_t weighted_bytes) {
  // A free slot in any pool before a quarantine is cut short.
  for (const bool cut_quarantine : {false, true}) {
    for (GuardedPool* p = newest_.load(std::memory_order_acquire); p != nullptr;
         p = p->older_) {
      if (void* object = p->Allocate(weighted_bytes, cut_quarantine)) {
        return object;
      }
    }
  }
  return nullptr;
}

void GuardedPoolList::Add(GuardedPool* pool) {
  if (size() > 0) {
    extra_pool_slots.fetch_add(pool->slots(), std::memory_order_relaxed);
  }
  pool->older_ = newest_.load(std::memory_order_relaxed);
  newest_.store(pool, std::memory_order_release);
  size_.fetch_add(1, std::memory_order_release);
  overhead_bytes_.fetch_add(pool->overhead_bytes(), std::memory_order_relaxed);
}

GuardedPool* GuardedPool::Of(const void* p) {
  const auto* header = reinterpret_cast<const PoolChunkHeader*>(
      reinterpret_cast<uintptr_t>(p) & ~(slab::kChunkSize - 1));
  return header->magic == PoolChunkHeader::kMagic ? header->pool : nullptr;
}

size_t GuardedPool::SlotIndex(const void* addr) const {
  const char* a = static_cast<const char*>(addr);
  if (a < first_slot_) return num_slots_;
  return static_cast<size_t>(a - first_slot_) / stride_;
}

void* GuardedPool::Allocate(uint64_t weighted_bytes, bool cut_quarantine) {
  size_t index;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_count_ == 0) {
      if (quarantine_count_ == 0 || !cut_quarantine) return nullptr;
      // Every slot is live or quarantined: cut the quarantine short.
      free_[free_count_++] = quarantine_[quarantine_head_];
      quarantine_head_ = (quarantine_head_ + 1) % quarantine_capacity_;
      quarantine_count_--;
    }
    index = free_[--free_count_];
  }
  Slot& slot = slots_[index];
  if (slot.committed) {
    // Released unprotected: still readable, and holding its last bytes.
    if (cls_.zero_init) memset(ObjectOf(index), 0, cls_.size);
  } else if (slot.resident) {
    // Released protected with its page kept: made accessible again, with
    // no page to fault in.
    const bool ok = cls_.mapper.Unprotect(SlotBase(index), data_bytes_).ok();
    std::lock_guard<std::mutex> lock(mu_);
    if (!ok) {
      free_[free_count_++] = static_cast<uint16_t>(index);
      return nullptr;
    }
    slot.resident = false;
    resident_count_--;
    memset(ObjectOf(index), 0, cls_.size);  // the last owner's bytes
  } else if (!cls_.mapper.Commit(SlotBase(index), data_bytes_).ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    free_[free_count_++] = static_cast<uint16_t>(index);
    return nullptr;
  } else {
    slot.committed = !cls_.protect_released;
  }
  const int depth = absl::GetStackTrace(slot.alloc_stack, kStackDepth, 1);
  slot.alloc_depth.store(static_cast<uint8_t>(depth),
                         std::memory_order_relaxed);
  slot.release_depth = 0;
  slot.note = {};
  slot.weighted_bytes = weighted_bytes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    slot.site.store(sites_->Count(slot.alloc_stack, depth, cls_.size),
                    std::memory_order_relaxed);
  }
  slot.state.store(kHeld, std::memory_order_release);
  return ObjectOf(index);
}

void GuardedPool::SetNote(const void* p, Note note) {
  slots_[SlotIndex(p)].note = note;
}

GuardedPool::Note GuardedPool::GetNote(const void* p) const {
  return slots_[SlotIndex(p)].note;
}

bool GuardedPool::Holds(const void* p) const {
  const size_t index = SlotIndex(p);
  return index < num_slots_ && p == ObjectOf(index) &&
         slots_[index].state.load(std::memory_order_acquire) == kHeld;
}

GuardedPool::ReleaseResult GuardedPool::Release(void* p,
                                                uint64_t* weighted_bytes) {
  const size_t index = SlotIndex(p);
  if (index >= num_slots_ || p != ObjectOf(index)) {
    return ReleaseResult::kInterior;
  }
  Slot& slot = slots_[index];
  uint8_t held = kHeld;
  if (!slot.state.compare_exchange_strong(held, kQuarantined,
                                          std::memory_order_acq_rel)) {
    return ReleaseResult::kDoubleFree;
  }
  if (weighted_bytes != nullptr) *weighted_bytes = slot.weighted_bytes;
  if (cls_.protect_released) {
    // For the report of a use after release, which only a protected slot
    // can fault on.
    slot.release_depth = static_cast<uint8_t>(
        absl::GetStackTrace(slot.release_stack, kStackDepth, 1));
    // Make the pages inaccessible, so that a use after release faults, and
    // give them back, unless the slot is one page and fewer than a
    // quarantine's worth are kept: then only protected, so that reusing it
    // makes one system call and faults no page. (Failures leave the slot
    // readable; it is still quarantined.)
    bool keep = false;
    if (keep_resident_) {
      std::lock_guard<std::mutex> lock(mu_);
      keep = resident_count_ < quarantine_capacity_;
      if (keep) resident_count_++;
    }
    if (keep && cls_.mapper.Protect(SlotBase(index), data_bytes_).ok()) {
      slot.resident = true;
    } else {
      if (keep) {
        std::lock_guard<std::mutex> lock(mu_);
        resident_count_--;
      }
      (void)cls_.mapper.Decommit(SlotBase(index), data_bytes_);
      (void)cls_.mapper.Protect(SlotBase(index), data_bytes_);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!cls_.protect_released) {
    // Readable and committed: reused first, so that a class whose samples
    // come and go keeps one slot's pages, not a quarantine's.
    free_[free_count_++] = static_cast<uint16_t>(index);
    return ReleaseResult::kOk;
  }
  if (quarantine_count_ == quarantine_capacity_) {
    // The oldest leaves quarantine; its pages stay inaccessible until reuse.
    free_[free_count_++] = quarantine_[quarantine_head_];
    quarantine_head_ = (quarantine_head_ + 1) % quarantine_capacity_;
    quarantine_count_--;
  }
  quarantine_[(quarantine_head_ + quarantine_count_) % quarantine_capacity_] =
      static_cast<uint16_t>(index);
  quarantine_count_++;
  return ReleaseResult::kOk;
}

size_t GuardedPool::live() const {
  size_t n = 0;
  for (size_t i = 0; i < num_slots_; ++i) {
    n += slots_[i].state.load(std::memory_order_relaxed) == kHeld;
  }
  return n;
}

void GuardedPool::ReportFault(const void* addr) const {
  const size_t index = SlotIndex(addr);
  const char* kind = "invalid access to a guarded page";
  const Slot* slot = nullptr;
  const char* object = nullptr;
  if (index < num_slots_) {
    slot = &slots_[index];
    object = ObjectOf(index);
    const char* a = static_cast<const char*>(addr);
    if (a >= SlotBase(index) + data_bytes_) {
      kind = "heap buffer overflow";  // into the guard after the object
    } else if (slot->state.load(std::memory_order_relaxed) == kQuarantined) {
      kind = "use after free";
    }
  }
  char line[512];
  const int n = absl::SNPrintF(
      line, sizeof(line),
      "slabkit: %s: address %p, class \"%s\" (id %u); sampled object %p of "
      "%u bytes\n",
      kind, addr, cls_.name, cls_.id, static_cast<const void*>(object),
      cls_.size);
  WriteAll(STDERR_FILENO, line,
           std::min<size_t>(static_cast<size_t>(n), sizeof(line) - 1));
  if (slot != nullptr) {
    WriteStack("allocated", slot->alloc_stack,
               slot->alloc_depth.load(std::memory_order_relaxed));
    if (slot->release_depth > 0) {
      WriteStack("released", slot->release_stack, slot->release_depth);
    }
  }
}

}  // namespace guard
}  // namespace slabkit
