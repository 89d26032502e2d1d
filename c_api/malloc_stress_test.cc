// Multi-threaded stress through malloc and free: blocks of many sizes pass
// between threads (most are freed by a thread other than their allocator),
// short-lived threads come and go, and every block's contents are checked
// when it is freed, so a block handed out twice, or written by the
// allocator, is caught.
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "c_api/slabkit_malloc.h"
#include "gtest/gtest.h"
#include "testing/shared_stack.h"

namespace {

struct Block {
  uint64_t* p;
  size_t words;
  uint64_t tag;
};

uint64_t Next(uint64_t& x) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

Block Make(uint64_t& rng, uint64_t tag) {
  const uint64_t r = Next(rng);
  // Mostly small, some medium, a few large.
  size_t bytes = r % 100 < 80   ? r % 512 + 8
                 : r % 100 < 98 ? r % 60000 + 8
                                : r % 600000 + 300000;
  const size_t words = bytes / 8;
  auto* p = static_cast<uint64_t*>(malloc(words * 8));
  if (p == nullptr) abort();
  for (size_t i = 0; i < words; ++i) p[i] = tag ^ i;
  return {p, words, tag};
}

void Check(const Block& b, std::atomic<uint64_t>* errors) {
  for (size_t i = 0; i < b.words; ++i) {
    if (b.p[i] != (b.tag ^ i)) {
      errors->fetch_add(1);
      break;
    }
  }
  if (b.words * 8 > malloc_usable_size(b.p)) errors->fetch_add(1);
  free(b.p);
}

TEST(MallocStressTest, CrossThreadFreesAndThreadChurn) {
  slabkit::stress::SharedStack<Block> exchange;
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> freed{0};
  std::atomic<uint64_t> made{0};
  constexpr int kWorkers = 4;
  constexpr int kRounds = 20000;
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      uint64_t rng = 0x9E3779B97F4A7C15ull * (w + 1);
      std::vector<Block> own;
      for (int i = 0; i < kRounds; ++i) {
        const uint64_t tag = (uint64_t{static_cast<uint32_t>(w)} << 32) | i;
        Block b = Make(rng, tag);
        made.fetch_add(1, std::memory_order_relaxed);
        // Two in three go to another thread; the rest are freed here, some
        // after a while.
        if (Next(rng) % 3 != 0) {
          exchange.Put(b);
        } else {
          own.push_back(b);
        }
        if (own.size() > 100) {
          for (const Block& o : own) Check(o, &errors);
          freed.fetch_add(own.size(), std::memory_order_relaxed);
          own.clear();
        }
        Block theirs;
        if (exchange.Take(&theirs)) {
          Check(theirs, &errors);
          freed.fetch_add(1, std::memory_order_relaxed);
        }
      }
      for (const Block& o : own) Check(o, &errors);
      freed.fetch_add(own.size(), std::memory_order_relaxed);
    });
  }
  // Churn: short-lived threads that allocate, hand blocks over and exit
  // holding what is in their caches.
  std::thread churner([&] {
    for (int t = 0; t < 300; ++t) {
      std::thread([&, t] {
        uint64_t rng = 12345 + t;
        for (int i = 0; i < 50; ++i) {
          exchange.Put(Make(rng, (uint64_t{0xffff} << 32) | (t * 50 + i)));
          made.fetch_add(1, std::memory_order_relaxed);
        }
        Block b;
        for (int i = 0; i < 20 && exchange.Take(&b); ++i) {
          Check(b, &errors);
          freed.fetch_add(1, std::memory_order_relaxed);
        }
      }).join();
    }
  });
  for (auto& t : workers) t.join();
  churner.join();
  Block b;
  while (exchange.Take(&b)) {
    Check(b, &errors);
    freed.fetch_add(1);
  }
  EXPECT_EQ(errors.load(), 0u);
  EXPECT_EQ(made.load(), freed.load());  // every block came back
}

// Waves of detached threads that never call malloc themselves exit
// together: the last ones to exit free the thread-local storage of stacks
// glibc's stack cache gives up (free() of their TLS vectors), after their
// own thread-specific data is gone and their exit hooks can no longer run.
// Meanwhile a thread reads malloc's counters, walking every thread's counts,
// and another mallocs and frees. A thread left registered after its
// storage is gone shows as a crash, or as counts that are not exact.
TEST(MallocStressTest, ThreadsThatNeverAllocateExitInWaves) {
  slabkit_counters before;
  ASSERT_EQ(slabkit_malloc_counters(&before), 0);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> reads{0};
  std::thread reader([&] {
    while (!done.load(std::memory_order_relaxed)) {
      slabkit_counters c;
      if (slabkit_malloc_counters(&c) == 0) reads.fetch_add(1);
    }
  });
  std::thread churner([&] {
    uint64_t rng = 99;
    while (!done.load(std::memory_order_relaxed)) {
      Block b = Make(rng, Next(rng));
      std::atomic<uint64_t> errors{0};
      Check(b, &errors);
      if (errors.load() != 0) abort();
    }
  });
  constexpr int kWaves = 10;
  constexpr int kThreads = 24;
  struct Wave {
    pthread_barrier_t start;
    std::atomic<int> finished{0};
  };
  std::vector<Wave> waves(kWaves);
  for (Wave& wave : waves) {
    pthread_barrier_init(&wave.start, nullptr, kThreads + 1);
    for (int t = 0; t < kThreads; ++t) {
      pthread_attr_t attr;
      pthread_attr_init(&attr);
      pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
      pthread_t thread;
      ASSERT_EQ(pthread_create(
                    &thread, &attr,
                    [](void* arg) -> void* {
                      auto* w = static_cast<Wave*>(arg);
                      pthread_barrier_wait(&w->start);
                      w->finished.fetch_add(1);
                      return nullptr;
                    },
                    &wave),
                0);
      pthread_attr_destroy(&attr);
    }
    pthread_barrier_wait(&wave.start);
    while (wave.finished.load() < kThreads) sched_yield();
  }
  usleep(100000);  // the last threads leave start_thread
  done = true;
  reader.join();
  churner.join();
  for (Wave& wave : waves) pthread_barrier_destroy(&wave.start);
  EXPECT_GT(reads.load(), 0u);
  // The churner's blocks all came back; what stays live is at most the TLS
  // vectors of the stacks glibc still caches, one per thread.
  slabkit_counters after;
  ASSERT_EQ(slabkit_malloc_counters(&after), 0);
  EXPECT_GE(after.live, before.live);
  EXPECT_LE(after.live, before.live + kWaves * kThreads);
  EXPECT_GT(after.releases, before.releases);
}

}  // namespace
