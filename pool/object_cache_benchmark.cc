// What Bonwick's object caching saves: New/Delete of an object whose
// constructor does real work, constructed on every use against once per
// slot, beside plain new/delete.
//   bazel run -c opt //pool:object_cache_benchmark
#include <cstdint>

#include "benchmark/benchmark.h"
#include "pool/typed_class.h"

namespace {

// Builds a 2 KiB lookup table in its constructor (say, a per-connection
// parser's state), as costly set-up as objects often have.
struct Expensive {
  Expensive() noexcept {
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (uint64_t& entry : table) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      entry = x;
    }
  }
  uint64_t table[256];
};

void BM_NewDelete(benchmark::State& state) {
  for (auto _ : state) {
    Expensive* e = new Expensive();
    benchmark::DoNotOptimize(e);
    delete e;
  }
}

template <slabkit::Construction kMode>
void BM_TypedClass(benchmark::State& state) {
  auto pool = slabkit::TypedClass<Expensive, kMode>::Create("expensive");
  if (!pool.ok()) {
    state.SkipWithError("no class");
    return;
  }
  for (auto _ : state) {
    Expensive* e = pool->New();
    benchmark::DoNotOptimize(e);
    pool->Delete(e);
  }
}

BENCHMARK(BM_NewDelete);
BENCHMARK_TEMPLATE(BM_TypedClass, slabkit::Construction::kEachUse);
BENCHMARK_TEMPLATE(BM_TypedClass, slabkit::Construction::kCached);

}  // namespace

BENCHMARK_MAIN();
