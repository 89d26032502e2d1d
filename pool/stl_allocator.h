// StlAllocator<T>: lets std::list, std::map, std::set, std::unordered_map
// and other node-based containers take their nodes from slabkit classes:
//
//   std::list<int, slabkit::StlAllocator<int>> numbers;
//   std::map<K, V, std::less<K>, slabkit::StlAllocator<std::pair<const K, V>>>
//   m;
//
// Every single-object allocation of a type U comes from one class for U
// (registered on first use, named "stl:<size>"), in the default allocator.
// Requests for arrays (n > 1: std::vector, hash-table bucket arrays) go to
// std::allocator. Stateless: all StlAllocators compare equal.
#ifndef SLABKIT_POOL_STL_ALLOCATOR_H_
#define SLABKIT_POOL_STL_ALLOCATOR_H_

#include <cstddef>
#include <memory>
#include <new>

#include "absl/strings/str_cat.h"
#include "allocator/allocator.h"

namespace slabkit {

template <typename T>
class StlAllocator {
 public:
  using value_type = T;

  StlAllocator() noexcept = default;
  template <typename U>
  StlAllocator(const StlAllocator<U>&) noexcept {}  // NOLINT: rebinding

  T* allocate(size_t n) {
    if (n != 1) return std::allocator<T>().allocate(n);
    if (void* p = DefaultAllocator().Allocate(Class())) {
      return static_cast<T*>(p);
    }
    throw std::bad_alloc();
  }

  void deallocate(T* p, size_t n) noexcept {
    if (n != 1) {
      std::allocator<T>().deallocate(p, n);
      return;
    }
    DefaultAllocator().Release(Class(), p);
  }

  template <typename U>
  bool operator==(const StlAllocator<U>&) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const StlAllocator<U>&) const noexcept {
    return false;
  }

 private:
  // T's class, registered once (thread-safe); an invalid id when
  // registration failed, which makes allocate() throw bad_alloc.
  static ClassId Class() {
    static const ClassId id = [] {
      ClassConfig config;
      const std::string name = absl::StrCat("stl:", sizeof(T));
      config.name = name;
      config.size = sizeof(T);
      config.alignment = alignof(T);
      return DefaultAllocator().Register(config).value_or(ClassId{});
    }();
    return id;
  }
};

}  // namespace slabkit

#endif  // SLABKIT_POOL_STL_ALLOCATOR_H_
