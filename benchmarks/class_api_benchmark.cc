// The class API's allocate/release against malloc/free at the same sizes, in
// one process. Run optimized:
//   bazel run -c opt //benchmarks:class_api_benchmark
#include <cstdlib>
#include <vector>

#include "allocator/allocator.h"
#include "benchmark/benchmark.h"

namespace {

slabkit::ClassId ClassFor(size_t size) {
  absl::StatusOr<slabkit::ClassId> cls =
      slabkit::DefaultAllocator().Register({"bench", size});
  if (!cls.ok()) abort();
  return *cls;
}

// One allocate and one release per iteration.
void BM_SlabkitPair(benchmark::State& state) {
  const slabkit::ClassId cls = ClassFor(state.range(0));
  slabkit::Allocator& a = slabkit::DefaultAllocator();
  for (auto _ : state) {
    void* p = a.Allocate(cls);
    benchmark::DoNotOptimize(p);
    a.Release(cls, p);
  }
}

void BM_MallocPair(benchmark::State& state) {
  const size_t size = state.range(0);
  for (auto _ : state) {
    void* p = malloc(size);
    benchmark::DoNotOptimize(p);
    free(p);
  }
}

constexpr int kBatch = 1000;

// kBatch allocations, then kBatch releases, per iteration.
void BM_SlabkitBatch(benchmark::State& state) {
  const slabkit::ClassId cls = ClassFor(state.range(0));
  slabkit::Allocator& a = slabkit::DefaultAllocator();
  std::vector<void*> objects(kBatch);
  for (auto _ : state) {
    for (void*& p : objects) p = a.Allocate(cls);
    benchmark::DoNotOptimize(objects.data());
    for (void* p : objects) a.Release(cls, p);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_MallocBatch(benchmark::State& state) {
  const size_t size = state.range(0);
  std::vector<void*> objects(kBatch);
  for (auto _ : state) {
    for (void*& p : objects) p = malloc(size);
    benchmark::DoNotOptimize(objects.data());
    for (void* p : objects) free(p);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// Interleaved per size, so each ratio comes from neighbouring runs.
#define SIZES Arg(16)->Arg(64)->Arg(256)->Arg(4096)
BENCHMARK(BM_SlabkitPair)->SIZES;
BENCHMARK(BM_MallocPair)->SIZES;
BENCHMARK(BM_SlabkitBatch)->SIZES;
BENCHMARK(BM_MallocBatch)->SIZES;

}  // namespace

BENCHMARK_MAIN();
