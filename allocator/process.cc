#include "allocator/process.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include "absl/base/thread_annotations.h"
#include "absl/debugging/symbolize.h"
#include "allocator/decay.h"
#include "base/write_all.h"
#include "guard/sampled.h"
#include "magazine/thread_registry.h"
#include "mapper/registry.h"
#include "stats/heap_profile.h"
#include "stats/options.h"
#include "stats/report.h"

namespace slabkit {

namespace {

Options options;  // trivially destructible: safe to read at exit

// Added once each, never removed; read at exit and from a signal handler,
// so a slot is filled before the count that publishes it.
constexpr int kMaxProcessAllocators = 8;
ProcessAllocator process_allocators[kMaxProcessAllocators];
std::atomic<int> num_process_allocators{0};
std::mutex add_mu;

void ReportAtExit() {
  int fd = STDERR_FILENO;
  if (options.stats_file[0] != '\0') {
    fd = open(options.stats_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
              0644);
    if (fd < 0) fd = STDERR_FILENO;
  }
  const int n = num_process_allocators.load(std::memory_order_acquire);
  if (options.stats_format == ReportFormat::kPrometheus) {
    // Each metric family one group, over every allocator.
    for (int f = 0; f < PrometheusFamilyCount(); ++f) {
      WritePrometheusHeader(fd, f);
      for (int i = 0; i < n; ++i) {
        process_allocators[i].report(fd, ReportFormat::kPrometheus, f);
      }
    }
    if (fd != STDERR_FILENO) close(fd);
    return;
  }
  // JSON: one document whatever is in use, {"allocators":[{...},...]}, each
  // element an allocator's report in the format WriteReport writes alone.
  const bool json = options.stats_format == ReportFormat::kJson;
  auto put = [fd](const char* text) { WriteAll(fd, text, strlen(text)); };
  if (json) put("{\"allocators\":[\n");
  for (int i = 0; i < n; ++i) {
    if (json && i > 0) put(",");
    process_allocators[i].report(fd, options.stats_format, kAllFamilies);
  }
  if (json) put("]}\n");
  if (fd != STDERR_FILENO) close(fd);
}

// One allocator's heap profile (pprof reads one per file; see
// ProcessAllocator::samples), to profile_file, else slabkit.<pid>.heap.
void WriteProfile() {
  const int n = num_process_allocators.load(std::memory_order_acquire);
  if (n == 0) return;
  void (*write)(int, ProfileFormat, ProfileKind) =
      process_allocators[0].heap_profile;
  for (int i = 0; i < n; ++i) {
    if (process_allocators[i].samples) {
      write = process_allocators[i].heap_profile;
    }
  }
  char path[300];
  const char* file = options.profile_file;
  if (file[0] == '\0') {
    DefaultProfilePath(path, sizeof(path));
    file = path;
  }
  const int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  write(fd, options.profile_format, options.profile_kind);
  close(fd);
}

// Async-signal-safe: the profile is written with no lock, allocation or
// stdio call (stats/heap_profile.h), and the interrupted code's errno is
// kept.
void OnProfileSignal(int) {
  const int saved_errno = errno;
  WriteProfile();
  errno = saved_errno;
}

// SLABKIT_OPTIONS, read once, before the first process-wide allocator.
void ApplyOptions() {
  static const bool applied = [] {
    ParseOptions(getenv("SLABKIT_OPTIONS"), &options, STDERR_FILENO);
    ConfigureDecay(options.decay_ms, options.background_thread);
    if (options.sample_interval >= 0) {
      guard::SetSampleInterval(static_cast<uint64_t>(options.sample_interval));
    }
    if (options.stats_at_exit) atexit(&ReportAtExit);
    if (options.profile_at_exit) atexit(&WriteProfile);
    if (options.profile_signal != 0)
      signal(options.profile_signal, &OnProfileSignal);
    return true;
  }();
  (void)applied;
}

// Around fork(): add_mu first, so no allocator is added in between, then
// every allocator, then the thread registry they share, then the mapper
// registry and its mappers (called under allocator locks, so last);
// released in reverse.
void ForkPrepare() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  add_mu.lock();
  const int n = num_process_allocators.load(std::memory_order_relaxed);
  for (int i = 0; i < n; ++i) process_allocators[i].lock_for_fork();
  magazine::LockRegistryForFork();
  LockMappersForFork();
}

void UnlockAllocatorsAfterFork() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  const int n = num_process_allocators.load(std::memory_order_relaxed);
  for (int i = n - 1; i >= 0; --i) process_allocators[i].unlock_after_fork();
  add_mu.unlock();
}

void ForkParent() {
  UnlockMappersAfterFork();
  magazine::UnlockRegistryAfterFork();
  UnlockAllocatorsAfterFork();
}

void ForkChild() {
  decay_internal::AfterForkInChild();
  UnlockMappersInForkChild();
  magazine::UnlockRegistryInForkChild();
  UnlockAllocatorsAfterFork();
}

}  // namespace

void AddProcessAllocator(const ProcessAllocator& a) {
  ApplyOptions();
  if (a.samples) {
    // Profiles and sampled-object reports symbolize stacks with
    // absl::Symbolize, which needs this first; it may allocate (Debian's
    // abseil copies the path), so it runs here, with no allocator lock held.
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, [] { absl::InitializeSymbolizer("/proc/self/exe"); });
  }
  std::lock_guard<std::mutex> lock(add_mu);
  const int n = num_process_allocators.load(std::memory_order_relaxed);
  if (n == 0) pthread_atfork(&ForkPrepare, &ForkParent, &ForkChild);
  if (n == kMaxProcessAllocators) return;
  process_allocators[n] = a;
  num_process_allocators.store(n + 1, std::memory_order_release);
}

void FlushThreadCache() { magazine::FlushThread(); }

size_t process_internal::DecayProcessAllocators(bool aged) {
  size_t bytes = 0;
  const int n = num_process_allocators.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i) {
    if (process_allocators[i].decay != nullptr) {
      bytes += process_allocators[i].decay(aged);
    }
  }
  return bytes;
}

}  // namespace slabkit
