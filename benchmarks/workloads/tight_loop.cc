// A tight single-thread loop: allocate, touch and free at once, over a small
// cycle of sizes, then short bursts that allocate a handful and free them in
// reverse: the fast path and little else.
//
//   tight_loop [--operations=20000000]
#include <chrono>

#include "benchmarks/workloads/workload.h"

namespace slabkit {
namespace bench {
namespace {

constexpr size_t kSizes[8] = {16, 24, 32, 48, 64, 96, 128, 256};

int Main(int argc, char** argv) {
  Options options(argc, argv);
  const long operations = options.Get("operations", 20000000);
  options.CheckAllUsed();
  const auto start = std::chrono::steady_clock::now();

  long i = 0;
  while (i < operations) {
    for (int k = 0; k < 56 && i < operations; ++k, ++i) {
      const size_t size = kSizes[i & 7];
      CheckAndFree(AllocateOrDie(size), size);
    }
    void* burst[8];
    for (int k = 0; k < 8; ++k) burst[k] = AllocateOrDie(kSizes[k]);
    for (int k = 7; k >= 0; --k) CheckAndFree(burst[k], kSizes[k]);
    i += 8;
  }
  Report("tight-loop", operations, start);
  return 0;
}

}  // namespace
}  // namespace bench
}  // namespace slabkit

int main(int argc, char** argv) { return slabkit::bench::Main(argc, argv); }
