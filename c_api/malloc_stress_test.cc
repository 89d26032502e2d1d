// Multi-threaded stress through malloc and free: blocks of many sizes pass
// between threads (most are freed by a thread other than their allocator),
// short-lived threads come and go, and every block's contents are checked
// when it is freed, so a block handed out twice, or written by the
// allocator, is caught.
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <thread>
#include <vector>

#include "c_api/slabkit_malloc.h"
#include "gtest/gtest.h"
#include "testing/shared_queue.h"

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
  slabkit::stress::SharedQueue<Block> exchange;
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

}  // namespace
