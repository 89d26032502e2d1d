// TypedClass<T>: a type-safe pool of T on a slab class.
//
//   absl::StatusOr<slabkit::TypedClass<Session>> sessions =
//       slabkit::TypedClass<Session>::Create("session");
//   Session* s = sessions->New(user, 42);   // like new Session(user, 42)
//   sessions->Delete(s);                    // like delete s
//
// With Construction::kCached (Bonwick's object caching), T() runs once per
// slot, when the slot is first carved, and ~T() only when the memory is
// reclaimed (ReleaseIdleMemory): New() hands out an object as the last
// Delete() left it, and expensive set-up (buffers, locks, tables) is paid
// once per slot instead of once per use.
#ifndef SLABKIT_POOL_TYPED_CLASS_H_
#define SLABKIT_POOL_TYPED_CLASS_H_

#include <cerrno>
#include <new>
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "allocator/allocator.h"

namespace slabkit {

enum class Construction {
  kEachUse,  // New(args...) constructs, Delete() destroys
  kCached,   // constructed once per slot, destroyed when memory is reclaimed
};

template <typename T, Construction kMode = Construction::kEachUse,
          typename A = Allocator>
class TypedClass {
 public:
  static_assert(alignof(T) <= 4096, "T's alignment exceeds a page");
  static_assert(kMode != Construction::kCached ||
                    std::is_nothrow_default_constructible_v<T>,
                "cached construction runs T() inside the allocator: it must "
                "be noexcept");

  // Registers a class for T, named `name`, in `allocator` (which must
  // outlive the TypedClass). Errors are those of SlabAllocator::Register.
  static absl::StatusOr<TypedClass> Create(absl::string_view name,
                                           A& allocator) {
    ClassConfig config;
    config.name = name;
    config.size = sizeof(T);
    config.alignment = alignof(T);
    if constexpr (kMode == Construction::kCached) {
      config.object_hooks = {&Construct, &Destruct, nullptr};
    }
    absl::StatusOr<ClassId> id = allocator.Register(config);
    if (!id.ok()) return id.status();
    return TypedClass(&allocator, *id);
  }
  template <typename U = A,
            typename = std::enable_if_t<std::is_same_v<U, Allocator>>>
  static absl::StatusOr<TypedClass> Create(absl::string_view name) {
    return Create(name, DefaultAllocator());
  }

  // kEachUse: a new T(args...). kCached: an object in the state its last
  // Delete() left it (or T() for a fresh slot). nullptr with errno ENOMEM
  // when memory cannot be had. If T's constructor throws, the memory goes
  // back and the exception propagates.
  template <typename... Args>
  T* New(Args&&... args) {
    void* p = allocator_->Allocate(id_);
    if (p == nullptr) return nullptr;
    if constexpr (kMode == Construction::kCached) {
      static_assert(sizeof...(Args) == 0,
                    "a cached class hands out constructed objects: New() "
                    "takes no arguments");
      return std::launder(static_cast<T*>(p));
    } else {
      try {
        return new (p) T(std::forward<Args>(args)...);
      } catch (...) {
        allocator_->Release(id_, p);
        throw;
      }
    }
  }

  // Gives back an object from New(). kEachUse destroys it first; kCached
  // keeps it constructed for the next New(). nullptr is a no-op.
  void Delete(T* p) {
    if (p == nullptr) return;
    if constexpr (kMode == Construction::kEachUse) p->~T();
    allocator_->Release(id_, p);
  }

  ClassId id() const { return id_; }

 private:
  TypedClass(A* allocator, ClassId id) : allocator_(allocator), id_(id) {}

  static void Construct(void* p, void*) { new (p) T(); }
  static void Destruct(void* p, void*) {
    std::launder(static_cast<T*>(p))->~T();
  }

  A* allocator_;
  ClassId id_;
};

}  // namespace slabkit

#endif  // SLABKIT_POOL_TYPED_CLASS_H_
