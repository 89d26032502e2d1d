// Larson-like server workload: each thread replaces random blocks in a slot
// array, and every epoch the arrays move on to a fresh set of threads, so
// blocks are freed by threads other than the ones that allocated them and
// threads come and go (Larson and Krishnan, ISMM '98).
//
//   larson [--threads=4] [--slots=1000] [--epochs=10] [--operations=100000]
//          [--min_size=16] [--max_size=128]
#include <chrono>
#include <thread>
#include <vector>

#include "benchmarks/workloads/workload.h"

namespace slabkit {
namespace bench {
namespace {

int Main(int argc, char** argv) {
  Options options(argc, argv);
  const long threads = options.Get("threads", 4);
  const long slots = options.Get("slots", 1000);
  const long epochs = options.Get("epochs", 10);
  const long operations =
      options.Get("operations", 100000);  // per thread and epoch
  const size_t min_size =
      std::max<long>(options.Get("min_size", 16), kMinBlock);
  const size_t max_size =
      std::max<long>(options.Get("max_size", 128), min_size);
  options.CheckAllUsed();
  const auto start = std::chrono::steady_clock::now();

  std::vector<std::vector<Slot>> arrays(threads);
  Rng init(1);
  for (auto& array : arrays) {
    for (long i = 0; i < slots; ++i) {
      const size_t size = init.Between(min_size, max_size);
      array.push_back({AllocateOrDie(size), size});
    }
  }
  for (long epoch = 0; epoch < epochs; ++epoch) {
    std::vector<std::thread> workers;
    for (long t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        std::vector<Slot>& array = arrays[(t + epoch) % threads];
        Rng rng(epoch * threads + t + 2);
        for (long i = 0; i < operations; ++i) {
          Slot& slot = array[rng.Next() % slots];
          CheckAndFree(slot.p, slot.size);
          slot.size = rng.Between(min_size, max_size);
          slot.p = AllocateOrDie(slot.size);
        }
      });
    }
    for (auto& w : workers) w.join();
  }
  for (auto& array : arrays) {
    for (Slot& slot : array) CheckAndFree(slot.p, slot.size);
  }
  Report("larson", threads * epochs * operations, start);
  return 0;
}

}  // namespace
}  // namespace bench
}  // namespace slabkit

int main(int argc, char** argv) { return slabkit::bench::Main(argc, argv); }
