#include "allocator/decay.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "allocator/process.h"
#include "slab/slab_class.h"

namespace slabkit {
namespace decay_internal {
std::atomic<int> slow_path_work{0};
}  // namespace decay_internal

namespace {

using decay_internal::slow_path_work;

// Who runs passes, as configured.
enum class Mode { kNever, kBackground, kSlowPaths };

// The thread's life in this process.
enum ThreadState : int { kNotStarted, kStarting, kRunning, kFailed };

constexpr int64_t kMinPeriodNs = 10 * 1000 * 1000;  // 10 ms
// How often the thread looks whether it is the process's last one.
constexpr int64_t kWatchPeriodNs = 100 * 1000 * 1000;

std::atomic<Mode> mode{Mode::kNever};
int64_t decay_ms = -1;
int64_t period_ns = 0;
std::atomic<int> thread_state{kNotStarted};
// Slow-path passes: the next one's time, and a flag that keeps them one at
// a time (a flag, not a mutex: the fork child resets it).
std::atomic<int64_t> next_pass_ns{0};
std::atomic<bool> pass_running{false};

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

size_t Pass() {
  return process_internal::DecayProcessAllocators(/*aged=*/decay_ms > 0);
}

// True when every thread of the program has exited but this one: the main
// thread is a zombie (it called pthread_exit) and the kernel counts it and
// this thread only. Read from /proc/self/stat without allocating.
bool LastThreadStanding() {
  char text[512];
  const int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = read(fd, text, sizeof(text) - 1);
  close(fd);
  if (n <= 0) return false;
  text[n] = '\0';
  // "pid (comm) S ...": comm may hold spaces and parentheses; it ends at
  // the last ')'. num_threads is the 20th field, the 18th after the state.
  const char* p = strrchr(text, ')');
  if (p == nullptr || p[1] != ' ') return false;
  const char state = p[2];
  p += 3;
  for (int field = 0; field < 16 && p != nullptr; ++field) {
    p = strchr(p + 1, ' ');
  }
  if (p == nullptr || state != 'Z') return false;
  return strtol(p + 1, nullptr, 10) <= 2;
}

void* ThreadMain(void*) {
  const int64_t wake_ns =
      period_ns < kWatchPeriodNs ? period_ns : kWatchPeriodNs;
  const timespec wake = {static_cast<time_t>(wake_ns / 1000000000),
                         static_cast<long>(wake_ns % 1000000000)};
  int64_t next = NowNs() + period_ns;
  for (;;) {
    // A signal (none is delivered here: all are blocked) or a spurious
    // wake-up only shortens one wait.
    nanosleep(&wake, nullptr);
    // glibc ends the process when its last thread exits (exit(0)); this
    // thread must not keep a program alive whose threads have all ended.
    if (LastThreadStanding()) exit(0);
    const int64_t now = NowNs();
    if (now < next) continue;
    next = now + period_ns;
    Pass();
  }
  return nullptr;
}

// Starts the thread with every signal blocked (the program's handlers run
// on its own threads) and a small stack. A failure is final: the slow paths
// run the passes instead.
void StartThread() {
  int expected = kNotStarted;
  if (!thread_state.compare_exchange_strong(expected, kStarting,
                                            std::memory_order_acq_rel)) {
    return;
  }
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 << 10);
  pthread_t thread;
  // pthread_create may call malloc, which may be slabkit's: kStarting keeps
  // that call from coming back here.
  const bool started =
      pthread_create(&thread, &attr, &ThreadMain, nullptr) == 0;
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (started) {
    pthread_setname_np(thread, "slabkit-decay");
    thread_state.store(kRunning, std::memory_order_release);
    slow_path_work.store(0, std::memory_order_relaxed);
  } else {
    thread_state.store(kFailed, std::memory_order_release);
    mode = Mode::kSlowPaths;
  }
}

void MaybePassOnSlowPath() {
  const int64_t now = NowNs();
  if (now < next_pass_ns.load(std::memory_order_relaxed)) return;
  if (pass_running.exchange(true, std::memory_order_acquire)) return;
  next_pass_ns.store(now + period_ns, std::memory_order_relaxed);
  Pass();
  pass_running.store(false, std::memory_order_release);
}

}  // namespace

void decay_internal::OnSlowPath() {
  // Pairs with ConfigureDecay's release: the settings below are visible.
  if (slow_path_work.load(std::memory_order_acquire) == 0) return;
  if (mode == Mode::kBackground) {
    if (thread_state.load(std::memory_order_acquire) == kNotStarted &&
        slab::ProcessSpanBytes() >= kDecayStartBytes) {
      StartThread();
    }
    if (mode == Mode::kBackground) return;
  }
  if (mode == Mode::kSlowPaths) MaybePassOnSlowPath();
}

void decay_internal::AfterForkInChild() {
  // Only the forking thread survives: a thread of the parent's is gone, and
  // a pass it was running (on a slow path) ended with it.
  pass_running.store(false, std::memory_order_relaxed);
  const int state = thread_state.load(std::memory_order_relaxed);
  if (state == kRunning || state == kStarting) {
    thread_state.store(kNotStarted, std::memory_order_relaxed);
    slow_path_work.store(1, std::memory_order_relaxed);
  }
}

void ConfigureDecay(int64_t ms, bool background_thread) {
  decay_ms = ms;
  if (ms < 0) {
    mode = Mode::kNever;
    slow_path_work.store(0, std::memory_order_relaxed);
    return;
  }
  period_ns = ms * 1000000 / 2;
  if (period_ns < kMinPeriodNs) period_ns = kMinPeriodNs;
  mode = background_thread ? Mode::kBackground : Mode::kSlowPaths;
  next_pass_ns.store(NowNs() + period_ns, std::memory_order_relaxed);
  slow_path_work.store(1, std::memory_order_release);
}

}  // namespace slabkit
