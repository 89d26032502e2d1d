// Process life cycle and limits of the process-wide allocators (the class
// API's): fork while other threads hold allocator locks, threads that exit
// without allocating or with full magazines, allocation from thread-local
// and pthread-key destructors and from atexit handlers, signal handlers
// that read stats, kernel mappings under guard layouts and long runs, and
// address-space exhaustion.
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "allocator/allocator.h"
#include "gtest/gtest.h"
#include "magazine/thread_cache.h"
#include "mapper/fixed_region_mapper.h"
#include "mapper/registry.h"
#include "slab/slab_class.h"

namespace slabkit {
namespace {

template <typename A>
A& Process();
template <>
Allocator& Process<Allocator>() {
  return DefaultAllocator();
}
template <>
HardenedAllocator& Process<HardenedAllocator>() {
  return DefaultHardenedAllocator();
}

template <typename A>
class LifecycleTest : public ::testing::Test {};
using Allocators = ::testing::Types<Allocator, HardenedAllocator>;
TYPED_TEST_SUITE(LifecycleTest, Allocators);

template <typename A>
ClassId Register(const char* name, size_t size, uint32_t magazine = 0,
                 uint32_t depot = 0) {
  ClassConfig config{name, size};
  config.magazine_capacity = magazine;
  config.depot_magazines = depot;
  absl::StatusOr<ClassId> id = Process<A>().Register(config);
  EXPECT_TRUE(id.ok()) << id.status();
  return id.ok() ? *id : ClassId{};
}

template <typename A>
ClassStats Stats(ClassId id) {
  absl::StatusOr<ClassStats> s = Process<A>().GetStats(id);
  EXPECT_TRUE(s.ok());
  return s.ok() ? *s : ClassStats{};
}

// Forks `n` children, one after another; each runs child(f) under an alarm
// (a deadlock shows as SIGALRM) and exits with what it returns.
template <typename F>
void ForkChildren(int n, F&& child) {
  for (int f = 0; f < n; ++f) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      alarm(20);
      _exit(child(f));
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status))
        << "child " << f << " died of signal " << WTERMSIG(status)
        << (WTERMSIG(status) == SIGALRM ? " (deadlock)" : "");
    ASSERT_EQ(WEXITSTATUS(status), 0) << "child " << f;
    usleep(2000);
  }
}

// Forks while three threads keep every lock busy (tiny magazines and depots
// send nearly every call to the slow path; idle-memory releases take the
// slab locks too). Each child allocates and releases in every class and
// registers a class; a deadlock would leave it to its alarm.
TYPED_TEST(LifecycleTest, ForkWhileOtherThreadsHoldLocks) {
  using A = TypeParam;
  const ClassId classes[] = {Register<A>("fork_a", 24, 1, 1),
                             Register<A>("fork_b", 200, 1, 1),
                             Register<A>("fork_c", 5000, 2, 1)};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::pair<ClassId, void*>> held;
      for (long i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        const ClassId c = classes[(i + t) % 3];
        void* p = Process<A>().Allocate(c);
        if (p != nullptr) held.push_back({c, p});
        if (held.size() > 64) {
          for (auto& [cls, q] : held) Process<A>().Release(cls, q);
          held.clear();
        }
        if (i % 5000 == 0) Process<A>().ReleaseIdleMemory();
      }
      for (auto& [cls, q] : held) Process<A>().Release(cls, q);
    });
  }
  ForkChildren(40, [&](int f) {
    for (const ClassId c : classes) {
      void* p = Process<A>().Allocate(c);
      if (p == nullptr) return 2;
      Process<A>().Release(c, p);
    }
    const std::string name = "child_" + std::to_string(f);
    absl::StatusOr<ClassId> c = Process<A>().Register({name, 48});
    if (!c.ok()) return 3;
    void* p = Process<A>().Allocate(*c);
    Process<A>().Release(*c, p);
    return 0;
  });
  stop = true;
  for (auto& t : threads) t.join();
  for (const ClassId c : classes) EXPECT_EQ(Stats<A>(c).live, 0u);
}

// A child forked while other threads have caches has only the forking
// thread: glibc reuses or unmaps the others' stacks (and their thread-local
// storage) as the child makes threads of its own. The child's counters
// must not reach them, and stay exact: the other threads' counts as they
// were at the fork, plus the child's own.
TYPED_TEST(LifecycleTest, ForkedChildMakesThreadsOnTheParentsThreadStacks) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP()
      << "ThreadSanitizer makes no threads after a multi-threaded fork";
#endif
  using A = TypeParam;
  const ClassId cls = Register<A>("fork_stacks", 56);
  constexpr int kParked = 12;
  std::mutex mu;
  std::condition_variable cv;
  int ready = 0;
  bool release = false;
  std::vector<std::thread> parked;
  for (int t = 0; t < kParked; ++t) {
    parked.emplace_back([&] {
      void* held[30];
      for (void*& p : held) p = Process<A>().Allocate(cls);
      for (void* p : held) Process<A>().Release(cls, p);  // cached here
      std::unique_lock<std::mutex> lock(mu);
      ++ready;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return ready == kParked; });
  }
  const ClassStats at_fork = Stats<A>(cls);
  ForkChildren(3, [&](int) {
    std::atomic<bool> done{false};
    std::thread reader([&] {
      while (!done.load(std::memory_order_relaxed)) (void)Stats<A>(cls);
    });
    constexpr int kWaves = 6;
    constexpr int kThreads = 16;
    for (int w = 0; w < kWaves; ++w) {
      std::vector<std::thread> wave;
      for (int t = 0; t < kThreads; ++t) {
        wave.emplace_back([cls] {
          void* held[10];
          for (void*& p : held) p = Process<A>().Allocate(cls);
          for (void* p : held) Process<A>().Release(cls, p);
        });
      }
      for (std::thread& t : wave) t.join();
    }
    done = true;
    reader.join();
    const ClassStats s = Stats<A>(cls);
    const uint64_t mine = uint64_t{kWaves} * kThreads * 10;
    if (s.allocations != at_fork.allocations + mine) return 4;
    if (s.releases != at_fork.releases + mine) return 5;
    if (s.live != 0) return 6;
    return 0;
  });
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  for (std::thread& t : parked) t.join();
  EXPECT_EQ(Stats<A>(cls).live, 0u);
}

// Forks while a thread is inside the file and fixed-region mappers, holding
// their own locks with no allocator lock (the program's direct use, as an
// arena's). Each child registers a class on each and allocates from it,
// which reserves through the mapper.
TEST(ForkTest, ForkWhileAThreadIsInsideAMapper) {
  constexpr size_t kRegion = size_t{64} << 20;
  void* region = mmap(nullptr, kRegion, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(region, MAP_FAILED);
  static FixedRegionMapper* const fixed =
      new FixedRegionMapper(region, kRegion);
  ASSERT_TRUE(RegisterMapper("fork_fixed", MapperRef(fixed)).ok());
  absl::StatusOr<MapperRef> file = FindMapper("file");
  ASSERT_TRUE(file.ok());
  const MapperRef mappers[] = {*file, MapperRef(fixed)};
  (void)DefaultAllocator();  // its fork handler is registered
  // One thread per mapper, reserving and releasing (the calls that lock).
  std::atomic<bool> stop{false};
  std::vector<std::thread> busy;
  for (const MapperRef& m : mappers) {
    busy.emplace_back([&stop, m] {
      while (!stop.load(std::memory_order_relaxed)) {
        absl::StatusOr<void*> r = m.Reserve(size_t{1} << 16, m.page_size());
        if (r.ok()) (void)m.Release(*r, size_t{1} << 16);
      }
    });
  }
  ForkChildren(40, [](int f) {
    for (const char* mapper : {"file", "fork_fixed"}) {
      const std::string name = std::string("child_") + mapper;
      ClassConfig config{name, 64};
      config.mapper = mapper;
      absl::StatusOr<ClassId> c = DefaultAllocator().Register(config);
      if (!c.ok()) return 2;
      void* p = DefaultAllocator().Allocate(*c);
      if (p == nullptr) return 3;
      DefaultAllocator().Release(*c, p);
    }
    return 0;
  });
  stop = true;
  for (std::thread& t : busy) t.join();
}

// Threads that never allocate, and threads that exit with full magazines:
// nothing is lost, the counts stay exact, and the objects are reusable.
TYPED_TEST(LifecycleTest, ThreadsExitingIdleOrWithFullMagazines) {
  using A = TypeParam;
  const ClassId c = Register<A>("exit_full", 64, 32, 4);
  for (int i = 0; i < 50; ++i) {
    std::thread([] {}).join();
    std::thread([] { FlushThreadCache(); }).join();
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([c] {
      void* objects[100];
      for (void*& p : objects) p = Process<A>().Allocate(c);
      for (void* p : objects) Process<A>().Release(c, p);  // magazines full
    });
  }
  for (auto& t : threads) t.join();
  const ClassStats s = Stats<A>(c);
  EXPECT_EQ(s.allocations, 800u);
  EXPECT_EQ(s.releases, 800u);
  EXPECT_EQ(s.live, 0u);
  EXPECT_EQ(s.thread_cached_objects, 0u);
}

template <typename A>
struct AllocatesWhenDestroyed {
  ClassId cls;
  std::atomic<int>* done;
  ~AllocatesWhenDestroyed() {
    void* p = Process<A>().Allocate(cls);
    if (p != nullptr) {
      Process<A>().Release(cls, p);
      done->fetch_add(1);
    }
  }
};

template <typename A>
std::atomic<int> key_destructor_runs{0};

// C++ thread_local destructors run before pthread key destructors, and a
// key made before or after slabkit's may run on either side of slabkit's own
// exit hook: allocation works in all of them and nothing is left cached.
TYPED_TEST(LifecycleTest, AllocationFromThreadExitDestructors) {
  using A = TypeParam;
  static ClassId c = Register<A>("tls_dtor", 40);
  static std::atomic<int> tls_done{0};
  pthread_key_t key;
  ASSERT_EQ(pthread_key_create(&key,
                               [](void*) {
                                 void* p = Process<A>().Allocate(c);
                                 if (p != nullptr) {
                                   Process<A>().Release(c, p);
                                   key_destructor_runs<A>.fetch_add(1);
                                 }
                               }),
            0);
  for (int i = 0; i < 20; ++i) {
    std::thread([&, i] {
      thread_local AllocatesWhenDestroyed<A> t{c, &tls_done};
      (void)t;
      pthread_setspecific(key, &key);
      if (i % 2 == 0) Process<A>().Release(c, Process<A>().Allocate(c));
    }).join();
  }
  pthread_key_delete(key);
  EXPECT_EQ(tls_done.load(), 20);
  EXPECT_EQ(key_destructor_runs<A>.load(), 20);
  const ClassStats s = Stats<A>(c);
  EXPECT_EQ(s.live, 0u);
  EXPECT_EQ(s.allocations, s.releases);
  EXPECT_EQ(s.allocations, 50u);
}

// A pthread key destructor that allocates and sets its key again, so glibc
// runs every destructor round (PTHREAD_DESTRUCTOR_ITERATIONS) and it
// allocates in each, the last included: after slabkit's own exit hook, on
// either side of it.
template <typename A>
struct ReArmingDestructor {
  static inline ClassId cls;
  static inline pthread_key_t key;
  static inline std::atomic<uint64_t> runs{0};

  static void Run(void* value) {
    void* p = Process<A>().Allocate(cls);
    if (p == nullptr) return;
    Process<A>().Release(cls, p);
    runs.fetch_add(1, std::memory_order_relaxed);
    pthread_setspecific(key, value);
  }
};

// Waves of threads, detached and joinable, created together and exiting
// together: their stacks (and thread-local storage) go back to glibc's stack
// cache, are reused by the next wave or unmapped (more than its 40 MiB are
// in flight), while their destructors allocate in every round and another
// thread reads the counters all along, walking every live thread's counts.
// A thread's counts reachable after its storage is gone shows as a crash, a
// reader that never ends (the test's timeout), or counts that are not exact.
TYPED_TEST(LifecycleTest, ThreadsExitInWavesWhileDestructorsAllocate) {
#if defined(__SANITIZE_THREAD__)
  // TSan's own per-thread state is gone by the last destructor rounds, and
  // it crashes in the destructor's first lock.
  GTEST_SKIP() << "ThreadSanitizer cannot follow the last destructor rounds";
#endif
  using A = TypeParam;
  using D = ReArmingDestructor<A>;
  D::cls = Register<A>("exit_waves", 72);
  // slabkit's own key exists before this one (and in another test binary
  // it may not): both orders are covered by the destructor's rounds.
  Process<A>().Release(D::cls, Process<A>().Allocate(D::cls));
  ASSERT_EQ(pthread_key_create(&D::key, &D::Run), 0);

  std::atomic<bool> done{false};
  std::atomic<uint64_t> reads{0};
  std::thread reader([&] {
    while (!done.load(std::memory_order_relaxed)) {
      ClassCounters c;
      if (Process<A>().ReadCounters(D::cls, &c) == A::CounterRead::kOk)
        reads.fetch_add(1, std::memory_order_relaxed);
      (void)Stats<A>(D::cls);
    }
  });

  constexpr int kWaves = 12;
  constexpr int kThreads = 24;
  constexpr int kObjects = 20;
  struct Wave {
    pthread_barrier_t start;
    std::atomic<int> finished{0};
  };
  auto body = [](void* arg) -> void* {
    auto* wave = static_cast<Wave*>(arg);
    pthread_barrier_wait(&wave->start);
    void* held[kObjects];
    for (void*& p : held) p = Process<A>().Allocate(D::cls);
    for (void* p : held) Process<A>().Release(D::cls, p);
    pthread_setspecific(D::key, &D::key);
    wave->finished.fetch_add(1, std::memory_order_release);
    return nullptr;
  };
  std::vector<Wave> waves(kWaves);
  for (Wave& wave : waves) {
    pthread_barrier_init(&wave.start, nullptr, kThreads);
    std::vector<pthread_t> joinable;
    for (int t = 0; t < kThreads; ++t) {
      pthread_attr_t attr;
      pthread_attr_init(&attr);
      if (t % 2 == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
      }
      pthread_t thread;
      ASSERT_EQ(pthread_create(&thread, &attr, +body, &wave), 0);
      pthread_attr_destroy(&attr);
      if (t % 2 != 0) joinable.push_back(thread);
    }
    for (pthread_t thread : joinable) pthread_join(thread, nullptr);
  }
  // Detached threads may still be in their destructors: the counts are
  // exact once every destructor round of every thread has run.
  constexpr uint64_t kRuns = uint64_t{kWaves} * kThreads * 4;
  for (int i = 0; i < 10000 && D::runs.load() < kRuns; ++i) usleep(1000);
  usleep(20000);  // the last detached threads leave start_thread
  done = true;
  reader.join();
  for (Wave& wave : waves) {
    EXPECT_EQ(wave.finished.load(), kThreads);
    pthread_barrier_destroy(&wave.start);
  }
  pthread_key_delete(D::key);
  EXPECT_EQ(D::runs.load(), kRuns);
  EXPECT_GT(reads.load(), 0u);
  const ClassStats s = Stats<A>(D::cls);
  EXPECT_EQ(s.allocations, 1 + uint64_t{kWaves} * kThreads * kObjects + kRuns);
  EXPECT_EQ(s.releases, s.allocations);
  EXPECT_EQ(s.live, 0u);
}

template <typename A>
void AllocateAtExit() {
  absl::StatusOr<ClassId> c = Process<A>().Register({"at_exit", 100});
  void* p = c.ok() ? Process<A>().Allocate(*c) : nullptr;
  if (p == nullptr) _exit(5);
  Process<A>().Release(*c, p);
  fprintf(stderr, "allocated at exit\n");
}

TYPED_TEST(LifecycleTest, AllocationFromAtexitHandlers) {
  using A = TypeParam;
  EXPECT_EXIT(
      {
        Process<A>();
        atexit(&AllocateAtExit<A>);
        exit(0);
      },
      ::testing::ExitedWithCode(0), "allocated at exit");
}

int KernelMappings() {
  std::ifstream maps("/proc/self/maps");
  int n = 0;
  for (std::string line; std::getline(maps, line);) ++n;
  return n;
}

// The hardened layout puts a guard after every span: thousands of spans
// would be thousands of mappings. The guarded-span budget bounds them, and
// repeating the same work does not add more.
// ReadCounters takes no lock: it returns even on a thread that holds every
// lock of the allocator and the thread registry (as a signal handler finds
// them when it interrupts a slow path), and its counts are exact.
TYPED_TEST(LifecycleTest, CounterReadsTakeNoLock) {
  using A = TypeParam;
  const ClassId cls = Register<A>("sig_nolock", 48);
  void* held[40];
  for (void*& p : held) p = Process<A>().Allocate(cls);
  for (int i = 0; i < 10; ++i) Process<A>().Release(cls, held[i]);
  Process<A>().LockForFork();
  magazine::LockRegistryForFork();
  ClassCounters c;
  const auto read = Process<A>().ReadCounters(cls, &c);
  ClassCounters none;
  const auto unknown = Process<A>().ReadCounters(ClassId{4000}, &none);
  magazine::UnlockRegistryAfterFork();
  Process<A>().UnlockAfterFork();
  ASSERT_EQ(read, A::CounterRead::kOk);
  EXPECT_EQ(unknown, A::CounterRead::kNoClass);
  EXPECT_EQ(c.allocations, 40u);
  EXPECT_EQ(c.releases, 10u);
  EXPECT_EQ(c.live, 30u);
  const ClassStats s = Stats<A>(cls);
  EXPECT_EQ(c.in_use_bytes, 30 * s.object_size);
  EXPECT_EQ(c.reserved_bytes, s.reserved_bytes);
  EXPECT_EQ(c.committed_bytes, s.committed_bytes);
  for (int i = 10; i < 40; ++i) Process<A>().Release(cls, held[i]);
}

// What a SIGUSR1 handler reads while worker threads allocate, release,
// flush their caches and exit (each exit unlinks the thread's counters).
template <typename A>
struct SignalReader {
  static inline ClassId classes[2];
  static inline size_t object_size[2];
  static inline std::atomic<uint64_t> reads{0};
  static inline std::atomic<uint64_t> busy{0};
  static inline std::atomic<uint64_t> errors{0};
  // Counts only grow: each thread's handler must never see one go back.
  static inline thread_local uint64_t last[2][2];

  static void OnSignal(int) {
    const int saved = errno;
    errno = 4321;
    for (int k = 0; k < 2; ++k) {
      ClassCounters c;
      switch (Process<A>().ReadCounters(classes[k], &c)) {
        case A::CounterRead::kOk:
          reads.fetch_add(1, std::memory_order_relaxed);
          if (c.allocations < last[k][0] || c.releases < last[k][1] ||
              c.in_use_bytes != c.live * object_size[k]) {
            errors.fetch_add(1, std::memory_order_relaxed);
          }
          last[k][0] = c.allocations;
          last[k][1] = c.releases;
          break;
        case A::CounterRead::kBusy:
          busy.fetch_add(1, std::memory_order_relaxed);
          break;
        case A::CounterRead::kNoClass:
          errors.fetch_add(1, std::memory_order_relaxed);
          break;
      }
    }
    if (errno != 4321) errors.fetch_add(1, std::memory_order_relaxed);
    errno = saved;
  }
};

// A deadlock (a handler waiting for a lock its own thread holds, or an
// exiting thread waiting for a reader) shows as the test's timeout; a read
// that is not exact at some moment shows as a count going back.
TYPED_TEST(LifecycleTest, SignalHandlersReadCountersWhileThreadsChurn) {
  using A = TypeParam;
  using R = SignalReader<A>;
  R::classes[0] = Register<A>("sig_small", 32, 8, 2);
  R::classes[1] = Register<A>("sig_large", 3000, 4, 1);
  for (int k = 0; k < 2; ++k)
    R::object_size[k] = Stats<A>(R::classes[k]).object_size;
  struct sigaction action = {};
  action.sa_handler = &R::OnSignal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  struct sigaction previous;
  ASSERT_EQ(sigaction(SIGUSR1, &action, &previous), 0);

  std::mutex workers_mu;
  std::vector<pthread_t> workers;  // live or exiting, not yet joined
  std::atomic<bool> done{false};
  std::thread signaller([&] {
    for (size_t i = 0; !done.load(std::memory_order_relaxed); ++i) {
      {
        std::lock_guard<std::mutex> lock(workers_mu);
        if (!workers.empty())
          pthread_kill(workers[i % workers.size()], SIGUSR1);
      }
      sched_yield();
    }
  });

  constexpr int kGenerations = 6;
  constexpr int kThreads = 3;
  constexpr int kOps = 20000;
  std::atomic<uint64_t> allocations[2] = {};
  for (int g = 0; g < kGenerations; ++g) {
    std::vector<std::thread> generation;
    for (int t = 0; t < kThreads; ++t) {
      generation.emplace_back([&, t] {
        uint64_t mine[2] = {};
        std::vector<std::pair<int, void*>> held;
        for (int i = 0; i < kOps; ++i) {
          const int k = (i + t) % 2;
          if (void* p = Process<A>().Allocate(R::classes[k])) {
            held.push_back({k, p});
            ++mine[k];
          }
          if (held.size() == 100) {
            for (auto& [cls, p] : held)
              Process<A>().Release(R::classes[cls], p);
            held.clear();
          }
          if (i % 2500 == 0) FlushThreadCache();  // a registry write
        }
        for (auto& [cls, p] : held) Process<A>().Release(R::classes[cls], p);
        for (int k = 0; k < 2; ++k) allocations[k] += mine[k];
      });
      std::lock_guard<std::mutex> lock(workers_mu);
      workers.push_back(generation.back().native_handle());
    }
    for (std::thread& w : generation) {
      {
        std::lock_guard<std::mutex> lock(workers_mu);
        workers.erase(
            std::find(workers.begin(), workers.end(), w.native_handle()));
      }
      w.join();
    }
  }
  done = true;
  signaller.join();
  ASSERT_EQ(sigaction(SIGUSR1, &previous, nullptr), 0);

  EXPECT_GT(R::reads.load(), 0u);
  EXPECT_EQ(R::errors.load(), 0u);
  for (int k = 0; k < 2; ++k) {
    ClassCounters c;
    ASSERT_EQ(Process<A>().ReadCounters(R::classes[k], &c),
              A::CounterRead::kOk);
    EXPECT_EQ(c.allocations, allocations[k].load());
    EXPECT_EQ(c.releases, allocations[k].load());
    EXPECT_EQ(c.live, 0u);
  }
  std::printf("%llu reads from signal handlers, %llu busy\n",
              static_cast<unsigned long long>(R::reads.load()),
              static_cast<unsigned long long>(R::busy.load()));
}

TEST(LimitsTest, KernelMappingsStayBounded) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "ThreadSanitizer maps shadow memory beside the allocator's "
                  "mappings: the process's count is not the allocator's";
#endif
  slab::SetGuardedSpanBudgetForTesting(200);
  std::vector<std::pair<ClassId, std::vector<void*>>> classes;
  for (int i = 0; i < 16; ++i) {
    classes.push_back(
        {Register<HardenedAllocator>(("maps_" + std::to_string(i)).c_str(),
                                     1024 + 512 * i),
         {}});
  }
  const int before = KernelMappings();
  int after_first = 0;
  for (int round = 0; round < 5; ++round) {
    for (auto& [c, held] : classes) {
      for (int k = 0; k < 3000; ++k)
        held.push_back(Process<HardenedAllocator>().Allocate(c));
    }
    for (auto& [c, held] : classes) {
      for (void* p : held) Process<HardenedAllocator>().Release(c, p);
      held.clear();
    }
    Process<HardenedAllocator>().ReleaseIdleMemory();
    const int now = KernelMappings();
    if (round == 0) after_first = now;
    // Each guarded span is at most two mappings, a chunk a few more; the
    // slack is the test's own memory (more under a sanitizer's malloc).
    // Without the budget, each of the thousands of spans would be two.
    size_t chunks = 0;
    for (auto& entry : classes)
      chunks += Stats<HardenedAllocator>(entry.first).chunks;
    EXPECT_LE(static_cast<size_t>(now - before), 2 * 200 + 4 * chunks + 300)
        << "round " << round << ", " << chunks << " chunks";
    // Later rounds reuse the same spans, in an order random reuse varies,
    // which moves a few boundaries between guarded and merged spans (120
    // rounds settle within 16 of the first).
    EXPECT_LE(now, after_first + 16) << "round " << round;
  }
  const GlobalStats g = Process<HardenedAllocator>().GetGlobalStats();
  EXPECT_EQ(g.kernel_mappings, KernelMappings());
}

// Out of address space (RLIMIT_AS): allocation fails with ENOMEM, nothing
// already handed out is disturbed, and after releasing, allocation works.
// Run in a child (it lowers the process's limit); exits 0 when all held.
template <typename A>
void ExhaustAddressSpace() {
  const ClassId c = Register<A>("rlimit", 4000);
  std::ifstream status("/proc/self/status");
  long vm_kib = 0;
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmSize:", 0) == 0) vm_kib = std::stol(line.substr(7));
  }
  const rlim_t bytes = static_cast<rlim_t>(vm_kib + (256 << 10)) << 10;
  const rlimit limit{bytes, bytes};
  if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(10);
  std::vector<char*> held;
  held.reserve(1 << 20);
  for (;;) {
    errno = 0;
    char* p = static_cast<char*>(Process<A>().Allocate(c));
    if (p == nullptr) break;
    p[0] = static_cast<char>(held.size());
    held.push_back(p);
    if (held.size() == held.capacity()) _exit(11);  // the limit did not bite
  }
  if (errno != ENOMEM) _exit(12);
  if (held.size() < 1000) _exit(13);
  for (size_t i = 0; i < held.size(); ++i) {
    if (held[i][0] != static_cast<char>(i)) _exit(14);
  }
  for (size_t i = 0; i < held.size(); i += 2) Process<A>().Release(c, held[i]);
  for (size_t i = 0; i < held.size() / 4; ++i) {
    if (Process<A>().Allocate(c) == nullptr) _exit(15);
  }
  fprintf(stderr, "ENOMEM after %zu objects, then recovered\n", held.size());
  _exit(0);
}

TYPED_TEST(LifecycleTest, AddressSpaceExhaustionIsEnomem) {
  EXPECT_EXIT(ExhaustAddressSpace<TypeParam>(), ::testing::ExitedWithCode(0),
              "ENOMEM after [0-9]+ objects, then recovered");
}

}  // namespace
}  // namespace slabkit
