// Threads on one class: each allocates a batch of objects larger than its
// thread cache holds, then releases it, so every batch exchanges magazines
// with the class's depot. Items per second as threads are added show how the
// depot (lock-free) and the slab behind it scale; glibc's malloc at the same
// size, in the same process, for reference. More threads than cores
// oversubscribe them: say how many cores the figures were taken on.
//   bazel run -c opt //benchmarks:depot_scaling_benchmark
#include <cstdlib>
#include <vector>

#include "allocator/allocator.h"
#include "benchmark/benchmark.h"

namespace {

constexpr size_t kObjectSize = 64;
// Objects per batch: eight magazines of this class (128 objects each,
// ResolveDepotOptions), so every batch reaches the depot, and with many
// threads the slab behind it (a depot keeps at most 16 full magazines).
constexpr int kBatch = 1024;

slabkit::ClassId SharedClass() {
  static const slabkit::ClassId cls = [] {
    absl::StatusOr<slabkit::ClassId> c =
        slabkit::DefaultAllocator().Register({"depot-scaling", kObjectSize});
    if (!c.ok()) abort();
    return *c;
  }();
  return cls;
}

void BM_SlabkitOneClass(benchmark::State& state) {
  slabkit::Allocator& allocator = slabkit::DefaultAllocator();
  const slabkit::ClassId cls = SharedClass();
  std::vector<void*> batch(kBatch);
  for (auto _ : state) {
    for (void*& p : batch) p = allocator.Allocate(cls);
    for (void* p : batch) allocator.Release(cls, p);
    benchmark::DoNotOptimize(batch.data());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_GlibcOneSize(benchmark::State& state) {
  std::vector<void*> batch(kBatch);
  for (auto _ : state) {
    for (void*& p : batch) p = malloc(kObjectSize);
    for (void* p : batch) free(p);
    benchmark::DoNotOptimize(batch.data());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

BENCHMARK(BM_SlabkitOneClass)->ThreadRange(1, 16)->UseRealTime();
BENCHMARK(BM_GlibcOneSize)->ThreadRange(1, 16)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
