// Keep(p): makes an object a test deliberately never frees (an allocator or
// mapper whose classes outlive the test) reachable for good, so that leak
// checkers see it is meant to stay.
#ifndef SLABKIT_TESTING_KEEP_H_
#define SLABKIT_TESTING_KEEP_H_

#include <mutex>
#include <vector>

namespace slabkit {
namespace conformance {

template <typename T>
T* Keep(T* p) {
  static std::mutex mu;
  static auto* const kept = new std::vector<const void*>();
  std::lock_guard<std::mutex> lock(mu);
  kept->push_back(p);
  return p;
}

}  // namespace conformance
}  // namespace slabkit

#endif  // SLABKIT_TESTING_KEEP_H_
