// Shared parts of the comparison workloads (benchmarks/compare.py runs each
// under every allocator). A workload is a plain program on malloc/free, so
// LD_PRELOAD decides whose malloc it measures; it takes --name=value options,
// checks every block it frees (a stamp at both ends, so a block handed out
// twice or overlapped shows), and aborts with a message on any fault.
#ifndef SLABKIT_BENCHMARKS_WORKLOADS_WORKLOAD_H_
#define SLABKIT_BENCHMARKS_WORKLOADS_WORKLOAD_H_

#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace slabkit {
namespace bench {

// --name=value options. Get() records each name it is asked for; Finish()
// fails on options nobody asked for, so a misspelt option is an error.
class Options {
 public:
  Options(int argc, char** argv) : argc_(argc), argv_(argv) {
    for (int i = 1; i < argc; ++i) {
      if (std::strncmp(argv[i], "--", 2) != 0 || !std::strchr(argv[i], '=')) {
        Fail("arguments are --name=value, not \"%s\"", argv[i]);
      }
    }
  }
  long Get(const char* name, long fallback) {
    const std::string value = Find(name);
    if (value.empty()) return fallback;
    char* end = nullptr;
    const long v = std::strtol(value.c_str(), &end, 10);
    if (*end != '\0' || v < 0)
      Fail("--%s wants a count, not \"%s\"", name, value.c_str());
    return v;
  }
  std::string GetString(const char* name, const char* fallback) {
    const std::string value = Find(name);
    return value.empty() ? fallback : value;
  }
  // Call after every Get(): rejects options no Get() asked for.
  void CheckAllUsed() const {
    for (int i = 1; i < argc_; ++i) {
      if (used_.find(
              std::string(argv_[i], std::strchr(argv_[i], '=') - argv_[i]) +
              "=") == std::string::npos) {
        Fail("unknown option %s", argv_[i]);
      }
    }
  }

  [[noreturn]] static void Fail(const char* format, ...)
      __attribute__((format(printf, 1, 2)));

 private:
  std::string Find(const char* name) {
    const std::string key = std::string("--") + name + "=";
    used_ += key;
    for (int i = 1; i < argc_; ++i) {
      if (std::strncmp(argv_[i], key.c_str(), key.size()) == 0)
        return argv_[i] + key.size();
    }
    return "";
  }

  int argc_;
  char** argv_;
  std::string used_;
};

// xorshift64*: fast, and the same sequence under every allocator.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
  }
  // Uniform in [lo, hi].
  size_t Between(size_t lo, size_t hi) { return lo + Next() % (hi - lo + 1); }
  // Uniform in (0, 1].
  double Unit() { return ((Next() >> 11) + 1) * (1.0 / 9007199254740992.0); }

 private:
  uint64_t state_;
};

// Smallest block a workload asks for: room for both stamps.
constexpr size_t kMinBlock = 16;

inline uint64_t StampOf(const void* p, size_t size) {
  return (reinterpret_cast<uintptr_t>(p) * 0x9E3779B97F4A7C15ull) ^ size;
}
// Marks both ends of a fresh block of `size` (>= kMinBlock) bytes.
inline void Stamp(void* p, size_t size) {
  const uint64_t s = StampOf(p, size);
  std::memcpy(p, &s, 8);
  std::memcpy(static_cast<char*>(p) + size - 8, &s, 8);
}
// Aborts unless both ends of `p` still hold Stamp()'s marks.
inline void Check(const void* p, size_t size) {
  const uint64_t s = StampOf(p, size);
  uint64_t head, tail;
  std::memcpy(&head, p, 8);
  std::memcpy(&tail, static_cast<const char*>(p) + size - 8, 8);
  if (head != s || tail != s) {
    Options::Fail("block %p of %zu bytes was overwritten while live", p, size);
  }
}
inline void* AllocateOrDie(size_t size) {
  void* p = std::malloc(size);
  if (p == nullptr) Options::Fail("malloc(%zu) failed", size);
  Stamp(p, size);
  return p;
}
inline void CheckAndFree(void* p, size_t size) {
  Check(p, size);
  std::free(p);
}

// A live block a workload keeps in a slot array, with the size it asked for.
struct Slot {
  void* p;
  size_t size;
};

// Prints "workload: <message>" and aborts: a usage error, a failed malloc or
// a corrupted block all end the run, and compare.py records it as failed.
[[noreturn]] inline void Options::Fail(const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  std::fputs("workload: ", stderr);
  std::vfprintf(stderr, format, args);
  std::fputc('\n', stderr);
  va_end(args);
  std::abort();
}

// Reports what ran, for the log; compare.py times the whole process itself.
// Optimized builds define NDEBUG; compare.py warns about any other build.
inline void Report(const char* name, long operations,
                   std::chrono::steady_clock::time_point start) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
#ifdef NDEBUG
  const char* build = "opt";
#else
  const char* build = "debug";
#endif
  std::printf("workload=%s operations=%ld seconds=%.3f build=%s\n", name,
              operations, seconds, build);
}

}  // namespace bench
}  // namespace slabkit

#endif  // SLABKIT_BENCHMARKS_WORKLOADS_WORKLOAD_H_
