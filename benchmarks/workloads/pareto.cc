// A Pareto size mix: a live set of blocks replaced at random, sizes drawn
// from a Pareto distribution (shape 1.2 from 16 bytes, capped at 1 MiB):
// mostly small blocks, a heavy tail of large ones, as real heaps have.
//
//   pareto [--operations=3000000] [--slots=20000] [--max_size=1048576]
#include <chrono>
#include <cmath>
#include <vector>

#include "benchmarks/workloads/workload.h"

namespace slabkit {
namespace bench {
namespace {

int Main(int argc, char** argv) {
  Options options(argc, argv);
  const long operations = options.Get("operations", 3000000);
  const long slots = std::max<long>(options.Get("slots", 20000), 1);
  const double max_size =
      std::max<long>(options.Get("max_size", 1 << 20), kMinBlock);
  options.CheckAllUsed();
  const auto start = std::chrono::steady_clock::now();

  Rng rng(7);
  auto draw = [&] {
    const double size = kMinBlock / std::pow(rng.Unit(), 1 / 1.2);
    return static_cast<size_t>(std::min(size, max_size));
  };
  std::vector<Slot> live(slots, Slot{nullptr, 0});
  for (long i = 0; i < operations; ++i) {
    Slot& slot = live[rng.Next() % slots];
    if (slot.p != nullptr) CheckAndFree(slot.p, slot.size);
    slot.size = draw();
    slot.p = AllocateOrDie(slot.size);
  }
  for (Slot& slot : live) {
    if (slot.p != nullptr) CheckAndFree(slot.p, slot.size);
  }
  Report("pareto", operations, start);
  return 0;
}

}  // namespace
}  // namespace bench
}  // namespace slabkit

int main(int argc, char** argv) { return slabkit::bench::Main(argc, argv); }
