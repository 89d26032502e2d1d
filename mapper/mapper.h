// The mapper contract: how slabkit asks for memory.
//
// A mapper is any class M with the members below; `static_assert(
// slabkit::IsMapper<M>::value)` checks the signatures at compile time. There
// are no virtual functions: allocators take a mapper type as a template
// parameter, and MapperRef erases the type only where a class picks its mapper
// by name at run time (a slow path: every mapper call is a system call or
// close to one).
//
//   size_t page_size() const;
//       Granularity of every range below. A power of two, constant.
//   const char* name() const;
//       Short static name for reports ("mmap", "file", ...).
//   absl::StatusOr<void*> Reserve(size_t size, size_t alignment);
//       Address space of `size` bytes (a multiple of page_size()) aligned to
//       `alignment` (a power of two, >= page_size()). Inaccessible.
//   absl::Status Commit(void* addr, size_t size);
//       Makes a reserved, uncommitted (or decommitted) range readable and
//       writable. Its bytes read as zero afterwards.
//   absl::Status Decommit(void* addr, size_t size);
//       Gives a committed range's memory back. The range stays reserved and
//       keeps its protection: it reads as zeros (so type-stable memory stays
//       valid to read) and is committed again by Commit.
//   absl::Status Protect(void* addr, size_t size);
//       Makes a range a guard: any access faults (where the mapper can enforce
//       it; FixedRegionMapper documents that it cannot).
//   absl::Status Release(void* addr, size_t size);
//       Returns a whole range obtained from Reserve.
//
// Optional, for a mapper that can undo Protect cheaply:
//
//   absl::Status Unprotect(void* addr, size_t size);
//       Makes a committed range that Protect made a guard readable and
//       writable again, its bytes as they were. Without it, users decommit
//       and commit instead (the bytes then read as zeros and fault in
//       again).
//
// Optional, for a mapper with locks of its own:
//
//   void LockForFork();
//   void UnlockAfterFork();
//       Take and release every lock the mapper holds during a call. Mappers
//       in the registry (registry.h) are locked so around fork() once a
//       process-wide allocator exists (allocator/allocator.h), after the
//       allocators' locks (mapper calls run under them), so that the child
//       finds them free whatever the parent's other threads were doing.
//   void UnlockInForkChild();
//       Replaces UnlockAfterFork in the child, for a mapper whose memory the
//       child must not share as it is (FileMapper). Async-signal-safe.
//
// Every member is thread-safe, never throws, never aborts and never calls
// malloc: slabkit may itself be malloc. Error statuses carry a code and no
// message (a message would allocate): kResourceExhausted means out of memory,
// kInvalidArgument a range or alignment the contract forbids.
#ifndef SLABKIT_MAPPER_MAPPER_H_
#define SLABKIT_MAPPER_MAPPER_H_

// clang-format off
#include "base/language.h"  // first: C++17, or an #error naming the flag
// clang-format on

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace slabkit {

// A status with `code` and no message: constructing it never allocates.
inline absl::Status CodeStatus(absl::StatusCode code) {
  return absl::Status(code, absl::string_view());
}

// Maps an errno value from a failed system call to a message-free status.
absl::Status ErrnoStatus(int err);

// True when `x` is a power of two (0 is not).
constexpr bool IsPowerOfTwo(size_t x) { return x != 0 && (x & (x - 1)) == 0; }

// `x` rounded up to a multiple of `multiple` (not 0).
constexpr size_t RoundUp(size_t x, size_t multiple) {
  return (x + multiple - 1) / multiple * multiple;
}

// The contract's argument checks, shared by every mapper: `addr` and `size`
// page-aligned and `size` non-zero.
inline bool IsPageRange(const void* addr, size_t size, size_t page_size) {
  return size != 0 && size % page_size == 0 &&
         reinterpret_cast<uintptr_t>(addr) % page_size == 0;
}

template <typename M, typename = void>
struct IsMapper : std::false_type {};

template <typename M>
struct IsMapper<
    M, std::void_t<std::enable_if_t<std::is_same_v<
                       decltype(std::declval<const M&>().page_size()), size_t>>,
                   std::enable_if_t<std::is_same_v<
                       decltype(std::declval<const M&>().name()), const char*>>,
                   std::enable_if_t<std::is_same_v<
                       decltype(std::declval<M&>().Reserve(size_t{}, size_t{})),
                       absl::StatusOr<void*>>>,
                   std::enable_if_t<std::is_same_v<
                       decltype(std::declval<M&>().Commit(nullptr, size_t{})),
                       absl::Status>>,
                   std::enable_if_t<std::is_same_v<
                       decltype(std::declval<M&>().Decommit(nullptr, size_t{})),
                       absl::Status>>,
                   std::enable_if_t<std::is_same_v<
                       decltype(std::declval<M&>().Protect(nullptr, size_t{})),
                       absl::Status>>,
                   std::enable_if_t<std::is_same_v<
                       decltype(std::declval<M&>().Release(nullptr, size_t{})),
                       absl::Status>>>> : std::true_type {};

// A non-owning, type-erased reference to a mapper: a pointer and a table of
// functions built at compile time for the mapper's type. The mapper must
// outlive every use. Copyable and trivially destructible.
class MapperRef {
 public:
  MapperRef() = default;

  template <typename M>
  explicit MapperRef(M* mapper) : self_(mapper), ops_(&kOpsFor<M>) {
    static_assert(IsMapper<M>::value, "M does not satisfy the mapper contract");
  }

  bool valid() const { return self_ != nullptr; }
  // The mapper object itself; identifies it (two refs to one mapper compare
  // equal).
  const void* target() const { return self_; }

  size_t page_size() const { return ops_->page_size(self_); }
  const char* name() const { return ops_->name(self_); }
  absl::StatusOr<void*> Reserve(size_t size, size_t alignment) const {
    return ops_->reserve(self_, size, alignment);
  }
  absl::Status Commit(void* addr, size_t size) const {
    return ops_->commit(self_, addr, size);
  }
  absl::Status Decommit(void* addr, size_t size) const {
    return ops_->decommit(self_, addr, size);
  }
  absl::Status Protect(void* addr, size_t size) const {
    return ops_->protect(self_, addr, size);
  }
  absl::Status Release(void* addr, size_t size) const {
    return ops_->release(self_, addr, size);
  }
  // The optional Unprotect: whether the mapper has it, and the call
  // (only where it has).
  bool CanUnprotect() const { return ops_->unprotect != nullptr; }
  absl::Status Unprotect(void* addr, size_t size) const {
    return ops_->unprotect(self_, addr, size);
  }
  // The optional fork hooks; no-ops for a mapper without them.
  void LockForFork() const { ops_->lock_for_fork(self_); }
  void UnlockAfterFork() const { ops_->unlock_after_fork(self_); }
  void UnlockInForkChild() const { ops_->unlock_in_fork_child(self_); }

 private:
  struct Ops {
    size_t (*page_size)(const void*);
    const char* (*name)(const void*);
    absl::StatusOr<void*> (*reserve)(void*, size_t, size_t);
    absl::Status (*commit)(void*, void*, size_t);
    absl::Status (*decommit)(void*, void*, size_t);
    absl::Status (*protect)(void*, void*, size_t);
    absl::Status (*release)(void*, void*, size_t);
    absl::Status (*unprotect)(void*, void*, size_t);  // null: none
    void (*lock_for_fork)(void*);
    void (*unlock_after_fork)(void*);
    void (*unlock_in_fork_child)(void*);
  };

  template <typename M, typename = void>
  struct HasForkHooks : std::false_type {};
  template <typename M>
  struct HasForkHooks<
      M, std::void_t<decltype(std::declval<M&>().LockForFork()),
                     decltype(std::declval<M&>().UnlockAfterFork())>>
      : std::true_type {};
  template <typename M, typename = void>
  struct HasUnprotect : std::false_type {};
  template <typename M>
  struct HasUnprotect<
      M, std::void_t<decltype(std::declval<M&>().Unprotect(nullptr, size_t{}))>>
      : std::true_type {};
  template <typename M>
  static constexpr absl::Status (*UnprotectOf())(void*, void*, size_t) {
    if constexpr (HasUnprotect<M>::value) {
      return [](void* m, void* addr, size_t size) {
        return static_cast<M*>(m)->Unprotect(addr, size);
      };
    } else {
      return nullptr;
    }
  }
  template <typename M, typename = void>
  struct HasChildHook : std::false_type {};
  template <typename M>
  struct HasChildHook<
      M, std::void_t<decltype(std::declval<M&>().UnlockInForkChild())>>
      : std::true_type {};

  template <typename M>
  static constexpr Ops kOpsFor = {
      [](const void* m) { return static_cast<const M*>(m)->page_size(); },
      [](const void* m) { return static_cast<const M*>(m)->name(); },
      [](void* m, size_t size, size_t alignment) {
        return static_cast<M*>(m)->Reserve(size, alignment);
      },
      [](void* m, void* addr, size_t size) {
        return static_cast<M*>(m)->Commit(addr, size);
      },
      [](void* m, void* addr, size_t size) {
        return static_cast<M*>(m)->Decommit(addr, size);
      },
      [](void* m, void* addr, size_t size) {
        return static_cast<M*>(m)->Protect(addr, size);
      },
      [](void* m, void* addr, size_t size) {
        return static_cast<M*>(m)->Release(addr, size);
      },
      UnprotectOf<M>(),
      [](void* m) {
        if constexpr (HasForkHooks<M>::value) static_cast<M*>(m)->LockForFork();
      },
      [](void* m) {
        if constexpr (HasForkHooks<M>::value) {
          static_cast<M*>(m)->UnlockAfterFork();
        }
      },
      [](void* m) {
        if constexpr (HasChildHook<M>::value) {
          static_cast<M*>(m)->UnlockInForkChild();
        } else if constexpr (HasForkHooks<M>::value) {
          static_cast<M*>(m)->UnlockAfterFork();
        }
      },
  };

  void* self_ = nullptr;
  const Ops* ops_ = nullptr;
};

}  // namespace slabkit

#endif  // SLABKIT_MAPPER_MAPPER_H_
