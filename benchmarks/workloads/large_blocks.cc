// Large blocks: a few live blocks of 1..8 MiB replaced at random, each
// written on every page when made (as a buffer would be). Measures how an
// allocator gets large blocks from the OS and whether it reuses them.
//
//   large_blocks [--operations=1500] [--slots=8] [--min_size=1048576]
//                [--max_size=8388608]
#include <chrono>
#include <vector>

#include "benchmarks/workloads/workload.h"

namespace slabkit {
namespace bench {
namespace {

int Main(int argc, char** argv) {
  Options options(argc, argv);
  const long operations = options.Get("operations", 1500);
  const long slots = std::max<long>(options.Get("slots", 8), 1);
  const size_t min_size =
      std::max<long>(options.Get("min_size", 1 << 20), kMinBlock);
  const size_t max_size =
      std::max<long>(options.Get("max_size", 8 << 20), min_size);
  options.CheckAllUsed();
  const auto start = std::chrono::steady_clock::now();

  Rng rng(11);
  std::vector<Slot> live(slots, Slot{nullptr, 0});
  for (long i = 0; i < operations; ++i) {
    Slot& slot = live[rng.Next() % slots];
    if (slot.p != nullptr) CheckAndFree(slot.p, slot.size);
    slot.size = rng.Between(min_size, max_size);
    slot.p = AllocateOrDie(slot.size);
    auto* bytes = static_cast<char*>(slot.p);
    for (size_t at = 4096; at + 8 < slot.size; at += 4096) bytes[at] = 1;
  }
  for (Slot& slot : live) {
    if (slot.p != nullptr) CheckAndFree(slot.p, slot.size);
  }
  Report("large-blocks", operations, start);
  return 0;
}

}  // namespace
}  // namespace bench
}  // namespace slabkit

int main(int argc, char** argv) { return slabkit::bench::Main(argc, argv); }
