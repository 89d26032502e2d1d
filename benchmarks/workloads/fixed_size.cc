// Fixed-size objects, the class API's home ground: rounds that allocate a
// batch of same-size objects and release them all, either through malloc
// (whichever is loaded) or through a slabkit class (the binary links
// //c_api:slabkit or //c_api:slabkit_hardened).
//
//   fixed_size --api=malloc|class [--size=48] [--batch=1000] [--rounds=20000]
#include <chrono>
#include <vector>

#include "benchmarks/workloads/workload.h"
#include "c_api/slabkit.h"

namespace slabkit {
namespace bench {
namespace {

int Main(int argc, char** argv) {
  Options options(argc, argv);
  const std::string api = options.GetString("api", "malloc");
  const size_t size = std::max<long>(options.Get("size", 48), kMinBlock);
  const long batch = std::max<long>(options.Get("batch", 1000), 1);
  const long rounds = options.Get("rounds", 20000);
  options.CheckAllUsed();
  if (api != "malloc" && api != "class")
    Options::Fail("--api is malloc or class");
  const auto start = std::chrono::steady_clock::now();

  std::vector<void*> objects(batch);
  if (api == "malloc") {
    for (long r = 0; r < rounds; ++r) {
      for (void*& p : objects) p = AllocateOrDie(size);
      for (void* p : objects) CheckAndFree(p, size);
    }
  } else {
    slabkit_class_config config = {.name = "fixed", .size = size};
    slabkit_class cls;
    if (int err = slabkit_class_register(&config, &cls)) {
      Options::Fail("slabkit_class_register: %s", std::strerror(err));
    }
    for (long r = 0; r < rounds; ++r) {
      for (void*& p : objects) {
        p = slabkit_allocate(cls);
        if (p == nullptr) Options::Fail("slabkit_allocate failed");
        Stamp(p, size);
      }
      for (void* p : objects) {
        Check(p, size);
        slabkit_release(cls, p);
      }
    }
  }
  Report(api == "malloc" ? "fixed-size" : "fixed-size-class", rounds * batch,
         start);
  return 0;
}

}  // namespace
}  // namespace bench
}  // namespace slabkit

int main(int argc, char** argv) { return slabkit::bench::Main(argc, argv); }
