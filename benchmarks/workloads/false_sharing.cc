// False sharing, after Hoard's cache-scratch (passive) and cache-thrash
// (active) tests. Each thread repeatedly allocates a small block, writes it
// many times and frees it.
//   active:  the allocator itself may hand threads blocks in one cache line.
//   passive: the main thread first allocates one block per thread, all
//            adjacent, and each thread starts by freeing the one it is given;
//            an allocator that reuses it in that thread shares its line.
// An allocator that avoids both runs at the speed of private memory.
//
//   false_sharing --mode=active|passive [--threads=2] [--iterations=2000]
//                 [--writes=5000] [--size=8]
#include <chrono>
#include <thread>
#include <vector>

#include "benchmarks/workloads/workload.h"

namespace slabkit {
namespace bench {
namespace {

int Main(int argc, char** argv) {
  Options options(argc, argv);
  const std::string mode = options.GetString("mode", "active");
  const long threads = std::max<long>(options.Get("threads", 2), 1);
  const long iterations = options.Get("iterations", 2000);
  const long writes = options.Get("writes", 5000);
  const size_t size = std::max<long>(options.Get("size", 8), 1);
  options.CheckAllUsed();
  if (mode != "active" && mode != "passive")
    Options::Fail("--mode is active or passive");
  const auto start = std::chrono::steady_clock::now();

  std::vector<char*> given(threads, nullptr);
  if (mode == "passive") {
    for (auto& p : given) {
      p = static_cast<char*>(std::malloc(size));
      if (p == nullptr) Options::Fail("malloc(%zu) failed", size);
    }
  }
  std::vector<std::thread> workers;
  for (long t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::free(given[t]);
      for (long i = 0; i < iterations; ++i) {
        auto* p = static_cast<volatile char*>(std::malloc(size));
        if (p == nullptr) Options::Fail("malloc(%zu) failed", size);
        for (long w = 0; w < writes; ++w) {
          for (size_t b = 0; b < size; ++b) p[b] = p[b] + 1;
        }
        std::free(const_cast<char*>(p));
      }
    });
  }
  for (auto& w : workers) w.join();
  Report(mode == "active" ? "cache-thrash" : "cache-scratch",
         threads * iterations, start);
  return 0;
}

}  // namespace
}  // namespace bench
}  // namespace slabkit

int main(int argc, char** argv) { return slabkit::bench::Main(argc, argv); }
