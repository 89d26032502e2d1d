// SharedStack<T>: a mutex-guarded stack of items that threads of a stress
// test hand to each other (so objects are released by a thread other than
// the one that allocated them).
#ifndef SLABKIT_TESTING_SHARED_STACK_H_
#define SLABKIT_TESTING_SHARED_STACK_H_

#include <mutex>
#include <vector>

namespace slabkit {
namespace stress {

template <typename T>
class SharedStack {
 public:
  void Put(const T& item) {
    std::lock_guard<std::mutex> lock(mu_);
    items_.push_back(item);
  }
  // The most recently put item, if any.
  bool Take(T* item) {
    std::lock_guard<std::mutex> lock(mu_);
    if (items_.empty()) return false;
    *item = items_.back();
    items_.pop_back();
    return true;
  }

 private:
  std::mutex mu_;
  std::vector<T> items_;
};

}  // namespace stress
}  // namespace slabkit

#endif  // SLABKIT_TESTING_SHARED_STACK_H_
