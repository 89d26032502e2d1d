// Fuzz target: byte-driven sequences of class-API operations over eight
// classes (some zero-initialised, some with small magazines) in two threads
// that hand objects to each other, so releases cross threads. After every
// step a thread checks that each object it holds still has the bytes it
// wrote (all of them every 8 steps), and that none overlap; at the end the same
// is checked over both threads' objects, and the classes' live counts are
// compared with what is held. Any fault aborts (a misuse report is a fault: the
// target never misuses the API). Built against //c_api:slabkit or
// :slabkit_hardened.
//
// Input: operations of two bytes (what, and which slot; see Worker::Step),
// alternately for each thread. The seeds are in c_api/corpus/class_api/.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "c_api/slabkit.h"

namespace {

struct ClassSpec {
  const char* name;
  size_t size;
  size_t alignment;
  bool zero_init;
  uint32_t magazine_capacity;
};
constexpr ClassSpec kSpecs[] = {
    {"fuzz_8", 8, 0, false, 0},         {"fuzz_24", 24, 8, true, 0},
    {"fuzz_48", 48, 16, false, 4},      {"fuzz_100", 100, 0, true, 0},
    {"fuzz_256", 256, 256, false, 1},   {"fuzz_1000", 1000, 0, false, 0},
    {"fuzz_4096", 4096, 4096, true, 2}, {"fuzz_20000", 20000, 0, false, 0},
};
constexpr int kClasses = sizeof(kSpecs) / sizeof(kSpecs[0]);
constexpr int kSlots = 32;     // objects a thread can hold
constexpr int kMailboxes = 8;  // objects in transit between the threads

slabkit_class classes[kClasses];

void Fail(const char* what, const void* p, int cls) {
  std::fprintf(stderr, "class_api_fuzzer: %s: object %p of class %s\n", what, p,
               cls >= 0 ? kSpecs[cls].name : "?");
  std::abort();
}

struct Object {
  unsigned char* p = nullptr;
  int cls = -1;
  unsigned char fill = 0;
};

void Fill(Object& o, unsigned char fill) {
  o.fill = fill;
  std::memset(o.p, fill, kSpecs[o.cls].size);
}

// Every byte of objects up to 512 bytes; of larger ones the first and last
// 256 and every 64th between (checked after every step, so kept cheap).
void CheckContents(const Object& o) {
  const size_t size = kSpecs[o.cls].size;
  for (size_t i = 0; i < size; i += (i < 256 || i + 256 >= size) ? 1 : 64) {
    if (o.p[i] != o.fill) Fail("contents changed while held", o.p, o.cls);
  }
}

// No two objects share a byte.
void CheckDisjoint(std::vector<Object> objects) {
  std::sort(objects.begin(), objects.end(),
            [](const Object& a, const Object& b) { return a.p < b.p; });
  for (size_t i = 1; i < objects.size(); ++i) {
    const Object& prev = objects[i - 1];
    if (prev.p + kSpecs[prev.cls].size > objects[i].p) {
      Fail("objects overlap", objects[i].p, objects[i].cls);
    }
  }
}

struct Shared {
  std::mutex mu;
  Object mailbox[kMailboxes];
};

class Worker {
 public:
  Worker(Shared* shared) : shared_(shared) {}

  // One operation: op byte, then an argument byte.
  void Step(uint8_t op, uint8_t arg) {
    Object& slot = slots_[arg % kSlots];
    switch (op % 8) {
      case 0:
      case 1: {  // allocate into a slot, releasing what it held
        Release(slot);
        const int cls = (op >> 3) % kClasses;
        auto* p = static_cast<unsigned char*>(slabkit_allocate(classes[cls]));
        if (p == nullptr) Fail("allocation failed", nullptr, cls);
        if (reinterpret_cast<uintptr_t>(p) %
            (kSpecs[cls].alignment ? kSpecs[cls].alignment : 8)) {
          Fail("misaligned", p, cls);
        }
        slot.p = p;
        slot.cls = cls;
        if (kSpecs[cls].zero_init) {
          slot.fill = 0;
          CheckContents(slot);
        }
        Fill(slot, static_cast<unsigned char>(arg ^ op));
        break;
      }
      case 2:
      case 3:
        Release(slot);
        break;
      case 4:  // rewrite
        if (slot.p != nullptr) Fill(slot, static_cast<unsigned char>(op));
        break;
      case 5: {  // swap a slot with a mailbox: hand over and take in
        std::lock_guard<std::mutex> lock(shared_->mu);
        std::swap(slot, shared_->mailbox[(op >> 3) % kMailboxes]);
        break;
      }
      case 6:
        if (op & 0x80) {
          slabkit_flush_thread_cache();
        } else if ((op & 0x78) == 0) {
          slabkit_release_idle_memory();
        }
        break;
      case 7: {  // stats: at least what this thread holds is live
        const int cls = (op >> 3) % kClasses;
        struct slabkit_class_stats s;
        if (slabkit_class_stats(classes[cls], &s) != 0)
          Fail("stats failed", nullptr, cls);
        uint64_t held = 0;
        for (const Object& o : slots_) held += o.cls == cls && o.p != nullptr;
        if (s.live < held || s.allocations < s.releases)
          Fail("stats too low", nullptr, cls);
        break;
      }
    }
    // The slot just used at once; all of them every 8 steps (and at the
    // end), which keeps executions fast under the sanitizers.
    if (slot.p != nullptr) CheckContents(slot);
    if (++steps_ % 8 == 0) {
      std::vector<Object> held;
      for (const Object& o : slots_) {
        if (o.p == nullptr) continue;
        CheckContents(o);
        held.push_back(o);
      }
      CheckDisjoint(held);
    }
  }

  void Release(Object& o) {
    if (o.p == nullptr) return;
    CheckContents(o);
    slabkit_release(classes[o.cls], o.p);
    o = Object{};
  }

  Object slots_[kSlots];

 private:
  Shared* shared_;
  unsigned steps_ = 0;
};

void RegisterClasses() {
  for (int i = 0; i < kClasses; ++i) {
    slabkit_class_config config = {};
    config.name = kSpecs[i].name;
    config.size = kSpecs[i].size;
    config.alignment = kSpecs[i].alignment;
    config.zero_init = kSpecs[i].zero_init;
    config.magazine_capacity = kSpecs[i].magazine_capacity;
    if (slabkit_class_register(&config, &classes[i]) != 0)
      Fail("register", nullptr, i);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = (RegisterClasses(), true);
  (void)registered;
  Shared shared;
  Worker a(&shared), b(&shared);
  // Thread a takes the operations at offsets 0, 4, 8...; b those at 2, 6...
  auto run = [&](Worker* w, size_t first) {
    for (size_t i = first; i + 1 < size; i += 4) w->Step(data[i], data[i + 1]);
  };
  std::thread other(run, &b, 2);
  run(&a, 0);
  other.join();

  std::vector<Object> all;
  for (Worker* w : {&a, &b}) {
    for (const Object& o : w->slots_) {
      if (o.p != nullptr) all.push_back(o);
    }
  }
  for (const Object& o : shared.mailbox) {
    if (o.p != nullptr) all.push_back(o);
  }
  CheckDisjoint(all);
  for (Object& o : all) {
    CheckContents(o);
    slabkit_release(classes[o.cls], o.p);
  }
  // Nothing is left live: every allocation was released exactly once.
  for (int i = 0; i < kClasses; ++i) {
    struct slabkit_class_stats s;
    slabkit_class_stats(classes[i], &s);
    if (s.live != 0 || s.allocations != s.releases)
      Fail("objects unaccounted for", nullptr, i);
  }
  return 0;
}
