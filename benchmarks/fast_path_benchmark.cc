// slabkit's class API (both flavours) against glibc's malloc/free and
// mimalloc's mi_malloc/mi_free, at the same sizes, in one process (ratios
// within one run hold on a noisy VM where absolute times drift). mimalloc is
// loaded with dlopen(RTLD_LOCAL) so it does not replace this process's malloc.
//   bazel run -c opt //benchmarks:fast_path_benchmark
#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "allocator/allocator.h"
#include "benchmark/benchmark.h"

namespace {

// One allocator under test: allocate and release for one object size.
struct Subject {
  void* (*allocate)(const Subject&);
  void (*release)(const Subject&, void*);
  size_t size;
  slabkit::ClassId cls;
};

using MallocFn = void* (*)(size_t);
using FreeFn = void (*)(void*);
MallocFn mi_malloc_fn = nullptr;
FreeFn mi_free_fn = nullptr;

bool LoadMimalloc() {
  static const bool loaded = [] {
    void* lib = dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return false;
    mi_malloc_fn = reinterpret_cast<MallocFn>(dlsym(lib, "mi_malloc"));
    mi_free_fn = reinterpret_cast<FreeFn>(dlsym(lib, "mi_free"));
    return mi_malloc_fn != nullptr && mi_free_fn != nullptr;
  }();
  return loaded;
}

enum Which { kSlabkit, kGlibc, kMimalloc, kSlabkitHardened, kSlabkitUncounted };

// The default composition with counting compiled out of the fast paths.
using Uncounted = slabkit::SlabAllocator<slabkit::Compose<
    slabkit::DefaultMapper, slabkit::Mitigations::kNone,
    slabkit::NoSlabTransferCounts, slabkit::FastPathUncountedMagazineCache>>;
Uncounted& UncountedAllocator() {
  static Uncounted* const allocator =
      new Uncounted(&slabkit::DefaultMapperInstance());
  return *allocator;
}

// A class of `size` bytes in the allocator Get() returns.
template <auto Get>
bool SlabkitSubject(size_t size, Subject* s) {
  absl::StatusOr<slabkit::ClassId> cls = Get().Register({"bench", size});
  if (!cls.ok()) return false;
  s->cls = *cls;
  s->allocate = [](const Subject& x) { return Get().Allocate(x.cls); };
  s->release = [](const Subject& x, void* p) { Get().Release(x.cls, p); };
  return true;
}

// False when the subject is not available here.
bool MakeSubject(Which which, size_t size, Subject* s) {
  s->size = size;
  switch (which) {
    case kSlabkit:
      return SlabkitSubject<&slabkit::DefaultAllocator>(size, s);
    case kSlabkitHardened:
      return SlabkitSubject<&slabkit::DefaultHardenedAllocator>(size, s);
    case kSlabkitUncounted:
      return SlabkitSubject<&UncountedAllocator>(size, s);
    case kGlibc:
      s->allocate = [](const Subject& x) { return malloc(x.size); };
      s->release = [](const Subject&, void* p) { free(p); };
      return true;
    case kMimalloc:
      if (!LoadMimalloc()) return false;
      s->allocate = [](const Subject& x) { return mi_malloc_fn(x.size); };
      s->release = [](const Subject&, void* p) { mi_free_fn(p); };
      return true;
  }
  return false;
}

// The subject the benchmark's arguments name; false (and the benchmark
// skipped) when it is not available on this machine.
bool SubjectFor(benchmark::State& state, Subject* s) {
  if (MakeSubject(static_cast<Which>(state.range(0)), state.range(1), s)) {
    return true;
  }
  state.SkipWithError("allocator not available");
  return false;
}

// Objects each microbenchmark keeps live beside the ones it measures, as a
// program does: an allocator whose page empties on the measured release
// (mimalloc retires it) would otherwise take a slow path on every call.
constexpr int kLiveObjects = 64;

// kLiveObjects allocated before the timed loop and released after it.
class LiveObjects {
 public:
  explicit LiveObjects(const Subject& s) : s_(s) {
    for (void*& p : objects_) p = s_.allocate(s_);
    benchmark::DoNotOptimize(objects_);
  }
  ~LiveObjects() {
    for (void* p : objects_) s_.release(s_, p);
  }

 private:
  const Subject& s_;
  void* objects_[kLiveObjects];
};

// Allocate then release, one object at a time, with kLiveObjects live.
void BM_Pair(benchmark::State& state) {
  Subject s;
  if (!SubjectFor(state, &s)) return;
  LiveObjects live(s);
  for (auto _ : state) {
    void* p = s.allocate(s);
    benchmark::DoNotOptimize(p);
    s.release(s, p);
  }
  state.SetItemsProcessed(state.iterations());
}

// 1000 allocations, then 1000 releases.
void BM_Batch(benchmark::State& state) {
  Subject s;
  if (!SubjectFor(state, &s)) return;
  constexpr int kBatch = 1000;
  std::vector<void*> objects(kBatch);
  LiveObjects live(s);
  for (auto _ : state) {
    for (void*& p : objects) p = s.allocate(s);
    benchmark::DoNotOptimize(objects.data());
    for (void* p : objects) s.release(s, p);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// A single-producer, single-consumer ring of object pointers.
class Ring {
 public:
  bool Push(void* p) {
    const size_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) == kSize) return false;
    slots_[head % kSize] = p;
    head_.store(head + 1, std::memory_order_release);
    return true;
  }
  void* Pop() {
    const size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_.load(std::memory_order_acquire)) return nullptr;
    void* p = slots_[tail % kSize];
    tail_.store(tail + 1, std::memory_order_release);
    return p;
  }

 private:
  static constexpr size_t kSize = 4096;
  alignas(64) std::atomic<size_t> head_{0};
  alignas(64) std::atomic<size_t> tail_{0};
  void* slots_[kSize];
};

// This thread allocates, another releases: every release is cross-thread.
void BM_ProducerConsumer(benchmark::State& state) {
  Subject s;
  if (!SubjectFor(state, &s)) return;
  constexpr int kObjects = 20000;
  for (auto _ : state) {
    Ring ring;
    std::thread consumer([&] {
      for (int released = 0; released < kObjects;) {
        if (void* p = ring.Pop()) {
          s.release(s, p);
          ++released;
        }
      }
    });
    for (int i = 0; i < kObjects; ++i) {
      void* p = s.allocate(s);
      while (!ring.Push(p)) {
      }
    }
    consumer.join();
  }
  state.SetItemsProcessed(state.iterations() * kObjects);
}

void Subjects(benchmark::internal::Benchmark* b) {
  b->ArgNames({"alloc", "size"});
  for (int size : {32, 256}) {
    for (Which which :
         {kSlabkit, kSlabkitUncounted, kSlabkitHardened, kGlibc, kMimalloc}) {
      b->Args({which, size});
    }
  }
}

BENCHMARK(BM_Pair)->Apply(Subjects);
BENCHMARK(BM_Batch)->Apply(Subjects);
BENCHMARK(BM_ProducerConsumer)->Apply(Subjects)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
