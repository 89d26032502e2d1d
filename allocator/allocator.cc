#include "allocator/allocator.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "guard/sampled.h"
#include "stats/options.h"
#include "stats/report.h"

namespace slabkit {

namespace {

Options options;  // trivially destructible: safe to read at exit
std::atomic<bool> hardened_made{false};

void ReportAtExit() {
  int fd = STDERR_FILENO;
  if (options.stats_file[0] != '\0') {
    fd = open(options.stats_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
              0644);
    if (fd < 0) fd = STDERR_FILENO;
  }
  WriteReport(DefaultAllocator(), "default", fd, options.stats_format);
  if (hardened_made.load()) {
    WriteReport(DefaultHardenedAllocator(), "hardened", fd,
                options.stats_format);
  }
  if (fd != STDERR_FILENO) close(fd);
}

// The heap profile goes to profile_file, else slabkit.<pid>.heap.
void WriteProfile() {
  char path[300];
  if (options.profile_file[0] != '\0') {
    snprintf(path, sizeof(path), "%s", options.profile_file);
  } else {
    snprintf(path, sizeof(path), "slabkit.%d.heap", static_cast<int>(getpid()));
  }
  const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (hardened_made.load())
    DefaultHardenedAllocator().WriteHeapProfile(fd);
  else
    DefaultAllocator().WriteHeapProfile(fd);
  close(fd);
}

void OnProfileSignal(int) { WriteProfile(); }

// SLABKIT_OPTIONS, read once, before the first process-wide allocator.
void ApplyOptions() {
  static const bool applied = [] {
    ParseOptions(getenv("SLABKIT_OPTIONS"), &options, STDERR_FILENO);
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

// Placement into static storage: no destructor runs at exit, so objects may
// be released by code that runs after main returns.
template <typename A>
A& ProcessWide() {
  alignas(A) static unsigned char storage[sizeof(A)];
  static A* const allocator = [] {
    ApplyOptions();
    return new (storage) A(&DefaultMapperInstance());
  }();
  return *allocator;
}

}  // namespace

Allocator& DefaultAllocator() { return ProcessWide<Allocator>(); }

HardenedAllocator& DefaultHardenedAllocator() {
  hardened_made.store(true, std::memory_order_relaxed);
  return ProcessWide<HardenedAllocator>();
}

}  // namespace slabkit
