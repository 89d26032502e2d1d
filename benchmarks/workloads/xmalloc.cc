// xmalloc-like asymmetric producer/consumer: producer threads only allocate,
// consumer threads only free, batches passing through a shared stack (after
// Lever and Boreham's xmalloc test). Every block is freed by a thread that
// never allocates, which defeats caches that assume frees come home.
//
//   xmalloc [--producers=2] [--consumers=2] [--batches=4000] [--batch=256]
//           [--min_size=16] [--max_size=256]
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "benchmarks/workloads/workload.h"
#include "testing/shared_stack.h"

namespace slabkit {
namespace bench {
namespace {

struct Batch {
  long count;
  void* blocks[1];  // `count` of them, then their sizes
};

int Main(int argc, char** argv) {
  Options options(argc, argv);
  const long producers = std::max<long>(options.Get("producers", 2), 1);
  const long consumers = std::max<long>(options.Get("consumers", 2), 1);
  const long batches = options.Get("batches", 4000);  // per producer
  const long batch = std::max<long>(options.Get("batch", 256), 1);
  const size_t min_size =
      std::max<long>(options.Get("min_size", 16), kMinBlock);
  const size_t max_size =
      std::max<long>(options.Get("max_size", 256), min_size);
  options.CheckAllUsed();
  const auto start = std::chrono::steady_clock::now();

  stress::SharedStack<Batch*> handoff;
  std::atomic<long> producing{producers};
  std::atomic<long> freed{0};
  // A batch is itself a malloc'd block: pointers, then sizes.
  const size_t batch_bytes = sizeof(Batch) + (2 * batch - 1) * sizeof(void*);
  std::vector<std::thread> threads;
  for (long t = 0; t < producers; ++t) {
    threads.emplace_back([&, t] {
      Rng rng(t + 1);
      for (long b = 0; b < batches; ++b) {
        auto* out = static_cast<Batch*>(std::malloc(batch_bytes));
        if (out == nullptr) Options::Fail("malloc(%zu) failed", batch_bytes);
        out->count = batch;
        auto* sizes = reinterpret_cast<size_t*>(out->blocks + batch);
        for (long i = 0; i < batch; ++i) {
          sizes[i] = rng.Between(min_size, max_size);
          out->blocks[i] = AllocateOrDie(sizes[i]);
        }
        handoff.Put(out);
      }
      producing.fetch_sub(1);
    });
  }
  for (long t = 0; t < consumers; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        Batch* in = nullptr;
        if (!handoff.Take(&in)) {
          // Empty: done once every producer is, else wait for more.
          if (producing.load() != 0) {
            std::this_thread::yield();
            continue;
          }
          if (!handoff.Take(&in)) return;
        }
        auto* sizes = reinterpret_cast<size_t*>(in->blocks + in->count);
        for (long i = 0; i < in->count; ++i)
          CheckAndFree(in->blocks[i], sizes[i]);
        freed.fetch_add(in->count);
        std::free(in);
      }
    });
  }
  for (auto& t : threads) t.join();
  if (freed.load() != producers * batches * batch) {
    Options::Fail("freed %ld blocks of %ld", freed.load(),
                  producers * batches * batch);
  }
  Report("xmalloc", producers * batches * batch, start);
  return 0;
}

}  // namespace
}  // namespace bench
}  // namespace slabkit

int main(int argc, char** argv) { return slabkit::bench::Main(argc, argv); }
