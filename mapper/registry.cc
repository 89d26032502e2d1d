#include "mapper/registry.h"

#include <cstring>
#include <mutex>
#include <new>

#include "absl/base/attributes.h"
#include "absl/strings/str_cat.h"

namespace slabkit {
namespace {

struct Entry {
  char name[kMaxMapperName + 1];
  MapperRef mapper;
};

ABSL_CONST_INIT std::mutex registry_mu;
ABSL_CONST_INIT int entry_count ABSL_GUARDED_BY(registry_mu) = 0;
Entry entries[kMaxMappers] ABSL_GUARDED_BY(registry_mu);

ABSL_CONST_INIT bool builtins_added ABSL_GUARDED_BY(registry_mu) = false;

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxMapperName) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

Entry* FindLocked(absl::string_view name)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry_mu) {
  for (int i = 0; i < entry_count; ++i) {
    if (name == entries[i].name) return &entries[i];
  }
  return nullptr;
}

absl::Status AddLocked(absl::string_view name, MapperRef mapper)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry_mu) {
  if (!ValidName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("mapper name \"", name, "\" must have 1 to ",
                     kMaxMapperName, " characters from [A-Za-z0-9_.-]"));
  }
  if (!mapper.valid()) {
    return absl::InvalidArgumentError("mapper reference is empty");
  }
  if (FindLocked(name) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat("a mapper named \"", name, "\" is already registered"));
  }
  if (entry_count == kMaxMappers) {
    return absl::ResourceExhaustedError(
        absl::StrCat("no room for mapper \"", name, "\": ", kMaxMappers,
                     " mappers are registered"));
  }
  Entry& e = entries[entry_count++];
  memcpy(e.name, name.data(), name.size());
  e.name[name.size()] = '\0';
  e.mapper = mapper;
  return absl::OkStatus();
}

void EnsureBuiltinsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry_mu) {
  if (builtins_added) return;
  builtins_added = true;
  if (&mapper_internal::AddBuiltinMappers != nullptr) {
    mapper_internal::AddBuiltinMappers(
        [](absl::string_view name, MapperRef mapper)
            ABSL_NO_THREAD_SAFETY_ANALYSIS { return AddLocked(name, mapper); });
  }
}

}  // namespace

absl::Status RegisterMapper(absl::string_view name, MapperRef mapper) {
  std::lock_guard<std::mutex> lock(registry_mu);
  EnsureBuiltinsLocked();
  return AddLocked(name, mapper);
}

// True when an entry before `i` refers to the same mapper (locked once).
bool SeenBeforeLocked(int i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry_mu) {
  for (int j = 0; j < i; ++j) {
    if (entries[j].mapper.target() == entries[i].mapper.target()) return true;
  }
  return false;
}

void LockMappersForFork() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  registry_mu.lock();
  for (int i = 0; i < entry_count; ++i) {
    if (!SeenBeforeLocked(i)) entries[i].mapper.LockForFork();
  }
}

void UnlockMappersAfterFork() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  for (int i = entry_count - 1; i >= 0; --i) {
    if (!SeenBeforeLocked(i)) entries[i].mapper.UnlockAfterFork();
  }
  registry_mu.unlock();
}

void UnlockMappersInForkChild() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  for (int i = entry_count - 1; i >= 0; --i) {
    if (!SeenBeforeLocked(i)) entries[i].mapper.UnlockInForkChild();
  }
  registry_mu.unlock();
}

absl::StatusOr<MapperRef> FindMapper(absl::string_view name) {
  std::lock_guard<std::mutex> lock(registry_mu);
  EnsureBuiltinsLocked();
  if (const Entry* e = FindLocked(name)) return e->mapper;
  return absl::NotFoundError(
      absl::StrCat("no mapper is registered as \"", name, "\""));
}

}  // namespace slabkit
