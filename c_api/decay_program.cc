// Decay end to end, with slabkit's malloc as the program's (decay_test.sh
// runs it under several SLABKIT_OPTIONS). Modes:
//   idle MS   4 threads allocate about 400 MiB of small and large blocks and
//             free them all (half from another thread) and exit; then the
//             main thread keeps a trickle of small allocations going for MS
//             ms (one a ms, all freed every 400). Prints the resident memory
//             over what the program holds (excess_mib) at the end and when it
//             first fell below 32 MiB.
//   fork      threads churn while the main thread forks; each child
//             allocates, frees and exits. Exits 0 when every child did.
//   threads   waves of short threads allocate, hand blocks to the main
//             thread and exit while passes run; every block keeps its
//             contents and the counters match what is held.
//   pthread-exit  grows the heap until the decay thread starts (prints
//             decay_thread=1), then the main thread calls pthread_exit and
//             another thread ends a moment later: the process must exit 0,
//             as it does with no thread of slabkit's.
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "c_api/slabkit_malloc.h"

// Weak: the same program runs under another malloc (LD_PRELOAD) to compare
// (docs/benchmarks.md), where these are missing.
#pragma weak slabkit_malloc_counters

namespace {

// Resident memory of the process, from /proc/self/statm (no allocation).
size_t ResidentBytes() {
  char text[128] = {};
  const int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  const ssize_t n = read(fd, text, sizeof(text) - 1);
  close(fd);
  if (n <= 0) return 0;
  unsigned long size = 0, resident = 0;
  if (sscanf(text, "%lu %lu", &size, &resident) != 2) return 0;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

uint64_t Next(uint64_t& x) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

// A block's size: mostly small, some medium, one in a thousand large (a
// fifth of the bytes).
size_t SizeFor(uint64_t r) {
  const uint64_t kind = r % 1000;
  if (kind < 900) return 16 + (r >> 10) % 1000;
  if (kind < 999) return 1024 + (r >> 10) % 30000;
  return (256 << 10) + (r >> 10) % (512 << 10);
}

void Fill(void* p, size_t n, uint64_t tag) {
  memset(p, static_cast<int>(tag & 0xff), n);
}

int Idle(long trickle_ms) {
  constexpr int kThreads = 4;
  constexpr size_t kPerThread = size_t{100} << 20;
  // What the program keeps throughout, allocated first so that its blocks
  // share no span with the churn.
  std::vector<void*> kept;
  size_t kept_bytes = 0;
  for (int i = 0; i < 10 * 1024; ++i) {
    kept.push_back(malloc(1000));
    Fill(kept.back(), 1000, i);
    kept_bytes += 1000;
  }
  std::vector<std::vector<void*>> handed(kThreads);
  std::atomic<int> allocated{0};
  std::atomic<size_t> peak{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      uint64_t x = 0x9E3779B97F4A7C15ull * (t + 1);
      std::vector<void*> mine;
      for (size_t total = 0; total < kPerThread;) {
        const size_t n = SizeFor(Next(x));
        void* p = malloc(n);
        if (p == nullptr) abort();
        Fill(p, n, x);
        total += n;
        mine.push_back(p);
      }
      // Half goes to the next thread to free, half is freed here.
      handed[(t + 1) % kThreads].assign(mine.begin(),
                                        mine.begin() + mine.size() / 2);
      if (allocated.fetch_add(1) == kThreads - 1) peak = ResidentBytes();
      while (allocated.load() < kThreads) std::this_thread::yield();
      for (size_t i = mine.size() / 2; i < mine.size(); ++i) free(mine[i]);
      for (void* p : handed[t]) free(p);
    });
  }
  for (std::thread& t : threads) t.join();
  const auto start = std::chrono::steady_clock::now();
  auto elapsed_ms = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now() - start)
        .count();
  };
  // The trickle: a 256-byte block a ms, all freed every 400 (so that it
  // takes slow paths now and then, as a quiet program does).
  std::vector<void*> ring(400, nullptr);
  size_t next = 0;
  long fell_at = -1;
  constexpr size_t kBound = size_t{32} << 20;
  size_t excess = 0;
  while (elapsed_ms() < trickle_ms) {
    if (next == ring.size()) {
      for (void*& p : ring) free(std::exchange(p, nullptr));
      next = 0;
    }
    ring[next] = malloc(256);
    Fill(ring[next], 256, next);
    ++next;
    const size_t rss = ResidentBytes();
    const size_t held = kept_bytes + next * 256;
    excess = rss > held ? rss - held : 0;
    if (fell_at < 0 && excess < kBound)
      fell_at = static_cast<long>(elapsed_ms());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  slabkit_counters c = {};
  if (slabkit_malloc_counters != nullptr && slabkit_malloc_counters(&c) != 0) {
    return 3;
  }
  printf(
      "peak_mib=%zu excess_mib=%zu fell_below_32mib_at_ms=%ld idle_mib=%zu "
      "returned_mib=%zu\n",
      peak.load() >> 20, excess >> 20, fell_at, c.idle_bytes >> 20,
      c.returned_bytes >> 20);
  for (size_t i = 0; i < kept.size(); ++i) {
    if (static_cast<unsigned char*>(kept[i])[0] != (i & 0xff)) return 4;
    free(kept[i]);
  }
  for (void* p : ring) free(p);
  return 0;
}

// Blocks of varied sizes, allocated and freed by `threads` threads until
// `stop`.
void Churn(std::atomic<bool>& stop, int seed) {
  uint64_t x = 0x2545F4914F6CDD1Dull * (seed + 1);
  std::vector<void*> held(512, nullptr);
  while (!stop.load(std::memory_order_relaxed)) {
    const size_t i = Next(x) % held.size();
    free(held[i]);
    held[i] = malloc(SizeFor(Next(x)) % 50000 + 1);
  }
  for (void* p : held) free(p);
}

int Fork() {
  std::atomic<bool> stop{false};
  std::thread a(Churn, std::ref(stop), 1), b(Churn, std::ref(stop), 2);
  int failed = 0;
  for (int i = 0; i < 100; ++i) {
    const pid_t pid = fork();
    if (pid < 0) return 5;
    if (pid == 0) {
      // The child's own churn, then a pass of its own.
      std::atomic<bool> child_stop{false};
      std::thread c(Churn, std::ref(child_stop), 3 + i);
      std::this_thread::sleep_for(std::chrono::milliseconds(15));
      child_stop = true;
      c.join();
      malloc_trim(0);
      _exit(0);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
      ++failed;
    }
  }
  stop = true;
  a.join();
  b.join();
  printf("fork: %d of 100 children failed\n", failed);
  return failed == 0 ? 0 : 6;
}

int Threads() {
  if (slabkit_malloc_counters == nullptr) return 2;
  std::mutex mu;
  std::vector<std::pair<uint64_t*, uint64_t>> received;
  received.reserve(150 * 4 * 200);
  slabkit_counters before;
  if (slabkit_malloc_counters(&before) != 0) return 3;
  for (int wave = 0; wave < 150; ++wave) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, wave, t] {
        uint64_t x = 0x9E3779B97F4A7C15ull * (wave * 4 + t + 1);
        std::vector<void*> mine;
        for (int i = 0; i < 2000; ++i) {
          const size_t n = SizeFor(Next(x)) % 40000 + sizeof(uint64_t);
          auto* p = static_cast<uint64_t*>(malloc(n));
          *p = x;
          if (i % 10 == 0) {
            std::lock_guard<std::mutex> lock(mu);
            received.emplace_back(p, x);
          } else {
            mine.push_back(p);
          }
        }
        for (void* p : mine) free(p);
      });
    }
    for (std::thread& t : threads) t.join();
  }
  slabkit_counters after;
  if (slabkit_malloc_counters(&after) != 0) return 3;
  int wrong = 0;
  for (auto& [p, tag] : received) wrong += *p != tag;
  const uint64_t live = after.live - before.live;
  printf("threads: %zu blocks held, %llu live, %d changed\n", received.size(),
         static_cast<unsigned long long>(live), wrong);
  for (auto& [p, tag] : received) free(p);
  // glibc keeps a few blocks per cached thread stack (its TLS vectors).
  const bool counted = live >= received.size() && live <= received.size() + 64;
  return wrong == 0 && counted ? 0 : 7;
}

// True when a thread of the process is named slabkit-decay.
bool DecayThreadRuns() {
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) return false;
  bool found = false;
  while (dirent* e = readdir(tasks)) {
    char path[300], name[32] = {};
    snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    const ssize_t n = read(fd, name, sizeof(name) - 1);
    close(fd);
    if (n > 0 && strncmp(name, "slabkit-decay", 13) == 0) found = true;
  }
  closedir(tasks);
  return found;
}

int PthreadExit() {
  std::vector<void*> blocks;
  for (int i = 0; i < 20000; ++i) blocks.push_back(malloc(1000));
  for (void* p : blocks) free(p);
  printf("decay_thread=%d\n", DecayThreadRuns() ? 1 : 0);
  fflush(stdout);
  std::thread([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }).detach();
  pthread_exit(nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "idle") == 0) return Idle(atol(argv[2]));
  if (argc >= 2 && strcmp(argv[1], "fork") == 0) return Fork();
  if (argc >= 2 && strcmp(argv[1], "threads") == 0) return Threads();
  if (argc >= 2 && strcmp(argv[1], "pthread-exit") == 0) return PthreadExit();
  fprintf(stderr, "usage: %s idle MS | fork | threads | pthread-exit\n",
          argv[0]);
  return 2;
}
