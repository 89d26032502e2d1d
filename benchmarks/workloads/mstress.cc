// mstress-like: many sizes, blocks migrating between threads through a
// shared array of slots, and thread churn (after mimalloc-bench's mstress).
// Each operation makes a block, swaps it into a random shared slot and frees
// whatever it took out, usually another thread's block. Threads live for a
// set number of operations and are replaced, generation after generation.
//
//   mstress [--threads=4] [--generations=8] [--operations=50000] [--slots=4096]
//
// Sizes: 7 in 8 from 16..1024 bytes, 1 in 8 up to 16 KiB, 1 in 256 up to
// 256 KiB.
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "benchmarks/workloads/workload.h"

namespace slabkit {
namespace bench {
namespace {

// A block records its own size in its first word, after which it is stamped.
void* MakeBlock(Rng& rng) {
  const uint64_t r = rng.Next();
  size_t size;
  if (r % 256 == 0) {
    size = rng.Between(16 << 10, 256 << 10);
  } else if (r % 8 == 0) {
    size = rng.Between(1024, 16 << 10);
  } else {
    size = rng.Between(16, 1024);
  }
  size += 8;
  auto* p = static_cast<char*>(std::malloc(size));
  if (p == nullptr) Options::Fail("malloc(%zu) failed", size);
  std::memcpy(p, &size, 8);
  Stamp(p + 8, size - 8);
  return p;
}

void FreeBlock(void* block) {
  size_t size;
  std::memcpy(&size, block, 8);
  Check(static_cast<char*>(block) + 8, size - 8);
  std::free(block);
}

int Main(int argc, char** argv) {
  Options options(argc, argv);
  const long threads = std::max<long>(options.Get("threads", 4), 1);
  const long generations = options.Get("generations", 8);
  const long operations = options.Get("operations", 50000);  // per thread
  const long slots = std::max<long>(options.Get("slots", 4096), 1);
  options.CheckAllUsed();
  const auto start = std::chrono::steady_clock::now();

  std::unique_ptr<std::atomic<void*>[]> shared(new std::atomic<void*>[slots]);
  for (long i = 0; i < slots; ++i) shared[i].store(nullptr);
  for (long g = 0; g < generations; ++g) {
    std::vector<std::thread> workers;
    for (long t = 0; t < threads; ++t) {
      workers.emplace_back([&, seed = g * threads + t + 1] {
        Rng rng(seed);
        for (long i = 0; i < operations; ++i) {
          void* old = shared[rng.Next() % slots].exchange(MakeBlock(rng));
          if (old != nullptr) FreeBlock(old);
        }
      });
    }
    for (auto& w : workers) w.join();
  }
  for (long i = 0; i < slots; ++i) {
    if (void* p = shared[i].load()) FreeBlock(p);
  }
  Report("mstress", threads * generations * operations, start);
  return 0;
}

}  // namespace
}  // namespace bench
}  // namespace slabkit

int main(int argc, char** argv) { return slabkit::bench::Main(argc, argv); }
