// FaultInjectingMapper: a decorator that fails chosen calls, for tests of
// every error path above the mapper.
#ifndef SLABKIT_MAPPER_FAULT_INJECTING_MAPPER_H_
#define SLABKIT_MAPPER_FAULT_INJECTING_MAPPER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mapper/mapper.h"

namespace slabkit {

// The operations a test can fail.
enum class MapperOp { kReserve, kCommit, kDecommit, kProtect, kRelease };
inline constexpr int kMapperOpCount = 5;

// Forwards to `Inner` and fails calls as told, with kResourceExhausted (what
// an out-of-memory mapper returns). A failed call does not reach `Inner`.
// Thread-safe; calls are counted whether they fail or not.
template <typename Inner>
class FaultInjectingMapper {
 public:
  // `inner` must outlive this mapper.
  explicit FaultInjectingMapper(Inner* inner) : inner_(inner) {}

  // Fails the n-th call of `op` from now on (n = 1: the next one), once.
  void FailNth(MapperOp op, uint64_t n) {
    Slot(op).fail_at.store(Slot(op).calls.load() + n);
  }
  // While `on`, fails every call of `op`.
  void FailAll(MapperOp op, bool on) { Slot(op).fail_all.store(on); }
  // Stops failing anything.
  void Heal() {
    for (OpState& s : ops_) {
      s.fail_all.store(false);
      s.fail_at.store(0);
    }
  }
  // Calls of `op` so far, failed ones included.
  uint64_t calls(MapperOp op) const {
    return ops_[static_cast<int>(op)].calls.load();
  }
  // Calls of `op` failed so far.
  uint64_t failures(MapperOp op) const {
    return ops_[static_cast<int>(op)].failures.load();
  }

  size_t page_size() const { return inner_->page_size(); }
  const char* name() const { return "fault"; }
  absl::StatusOr<void*> Reserve(size_t size, size_t alignment) {
    if (ShouldFail(MapperOp::kReserve)) return Failure();
    return inner_->Reserve(size, alignment);
  }
  absl::Status Commit(void* addr, size_t size) {
    if (ShouldFail(MapperOp::kCommit)) return Failure();
    return inner_->Commit(addr, size);
  }
  absl::Status Decommit(void* addr, size_t size) {
    if (ShouldFail(MapperOp::kDecommit)) return Failure();
    return inner_->Decommit(addr, size);
  }
  absl::Status Protect(void* addr, size_t size) {
    if (ShouldFail(MapperOp::kProtect)) return Failure();
    return inner_->Protect(addr, size);
  }
  absl::Status Release(void* addr, size_t size) {
    if (ShouldFail(MapperOp::kRelease)) return Failure();
    return inner_->Release(addr, size);
  }

 private:
  struct OpState {
    std::atomic<uint64_t> calls{0};
    std::atomic<uint64_t> failures{0};
    std::atomic<uint64_t> fail_at{0};  // 0: none; else the call number
    std::atomic<bool> fail_all{false};
  };

  static absl::Status Failure() {
    return CodeStatus(absl::StatusCode::kResourceExhausted);
  }
  OpState& Slot(MapperOp op) { return ops_[static_cast<int>(op)]; }
  bool ShouldFail(MapperOp op) {
    OpState& s = Slot(op);
    const uint64_t call = s.calls.fetch_add(1) + 1;
    uint64_t at = call;
    const bool fail =
        s.fail_all.load() || s.fail_at.compare_exchange_strong(at, 0);
    if (fail) s.failures.fetch_add(1);
    return fail;
  }

  Inner* inner_;
  OpState ops_[kMapperOpCount];
};

}  // namespace slabkit

#endif  // SLABKIT_MAPPER_FAULT_INJECTING_MAPPER_H_
