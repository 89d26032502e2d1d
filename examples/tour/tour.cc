// A short tour of slabkit: register classes, allocate and release, and see
// what the allocator did. Run it with
//   bazel run //examples/tour
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "allocator/allocator.h"
#include "c_api/slabkit.h"
#include "guard/sampled.h"
#include "stats/report.h"

namespace {

using slabkit::ClassId;
using slabkit::DefaultAllocator;

void Step(const char* text) { absl::PrintF("\n== %s\n", text); }

ClassId MustRegister(const slabkit::ClassConfig& config) {
  absl::StatusOr<ClassId> cls = DefaultAllocator().Register(config);
  if (!cls.ok()) {
    absl::FPrintF(stderr, "tour: %s\n", cls.status().ToString());
    _exit(1);
  }
  absl::PrintF(
      "registered class \"%s\": id %u, %u-byte objects%s%s\n", config.name,
      cls->value, config.size, config.zero_init ? ", zero-filled" : "",
      config.mapper.empty() ? ""
                            : absl::StrCat(", mapper \"", config.mapper, "\""));
  return *cls;
}

// Runs `misuse` in a child process and says whether slabkit stopped it.
template <typename F>
void ExpectAbort(const char* what, F misuse) {
  absl::PrintF("child %s: ", what);
  fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(STDOUT_FILENO, STDERR_FILENO);
    misuse();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) {
    absl::PrintF("was NOT stopped: a bug\n");
  }
}

void PrintStats(const std::vector<ClassId>& classes) {
  absl::PrintF("%-8s %7s %8s %8s %7s %7s %7s %6s %10s\n", "class", "object",
               "allocs", "releases", "live", "misses", "cached", "spans",
               "committed");
  for (ClassId cls : classes) {
    const slabkit::ClassStats s = *DefaultAllocator().GetStats(cls);
    absl::PrintF("%-8s %7u %8u %8u %7u %7u %7u %6u %9uK\n", s.name,
                 s.object_size, s.allocations, s.releases, s.live,
                 s.cache_misses, s.depot_objects + s.thread_cached_objects,
                 s.spans, s.committed_bytes >> 10);
  }
  absl::PrintF(
      "(exact counts over all threads; misses: allocations that "
      "took the slow path; cached: in the depot and this thread's "
      "magazines)\n");
}

}  // namespace

int main() {
  absl::PrintF("slabkit tour: default mapper \"%s\"\n",
               slabkit::DefaultMapperInstance().name());

  Step("Register classes: each holds objects of one size, forever");
  const ClassId node = MustRegister({"node", 48});
  const ClassId zeroed = MustRegister({"zeroed", 100, 0, /*zero_init=*/true});
  const ClassId cold = MustRegister({"cold", 4096, 4096, false, "file"});

  Step("Bad configs are refused with a reason, not a crash");
  for (const slabkit::ClassConfig& bad :
       {slabkit::ClassConfig{"tiny", 0}, slabkit::ClassConfig{"odd", 64, 24},
        slabkit::ClassConfig{"lost", 64, 0, false, "no-such-mapper"}}) {
    absl::PrintF("  %s\n",
                 DefaultAllocator().Register(bad).status().ToString());
  }

  Step("Allocate 100000 nodes, release every other one");
  std::vector<void*> nodes;
  for (int i = 0; i < 100000; ++i) {
    void* p = DefaultAllocator().Allocate(node);
    memset(p, 0xAB, 48);
    nodes.push_back(p);
  }
  absl::PrintF("first node at %p, last at %p\n", nodes.front(), nodes.back());
  for (size_t i = 0; i < nodes.size(); i += 2) {
    DefaultAllocator().Release(node, nodes[i]);
  }

  Step("Released memory keeps its bytes and comes back to the same class");
  const auto* old = static_cast<const unsigned char*>(nodes[0]);
  absl::PrintF("released node %p still reads 0x%02x (no in-band metadata)\n",
               old, old[0]);
  void* again = DefaultAllocator().Allocate(node);
  bool recycled = false;
  for (size_t i = 0; i < nodes.size(); i += 2) recycled |= nodes[i] == again;
  absl::PrintF("next node allocation returns %p: %s\n", again,
               recycled ? "one of the released slots, reused"
                        : "a fresh slot (a bug: released slots come first)");
  DefaultAllocator().Release(node, again);

  Step("zero_init classes always hand out zeros, even when recycled");
  auto* z = static_cast<unsigned char*>(DefaultAllocator().Allocate(zeroed));
  memset(z, 0xFF, 100);
  DefaultAllocator().Release(zeroed, z);
  z = static_cast<unsigned char*>(DefaultAllocator().Allocate(zeroed));
  absl::PrintF("recycled object %p reads 0x%02x\n", z, z[0]);

  Step("A class on the file mapper: data lives in an unlinked file");
  void* page = DefaultAllocator().Allocate(cold);
  memset(page, 7, 4096);
  absl::PrintF("4 KiB object at %p, page-aligned: %s\n", page,
               reinterpret_cast<uintptr_t>(page) % 4096 == 0 ? "yes" : "no");

  Step("The C API does the same from C");
  slabkit_class c_class;
  slabkit_class_config config = {};
  config.name = "c-object";
  config.size = 24;
  absl::PrintF("slabkit_class_register -> %d\n",
               slabkit_class_register(&config, &c_class));
  void* c_object = slabkit_allocate(c_class);
  absl::PrintF("slabkit_allocate -> %p\n", c_object);
  slabkit_release(c_class, c_object);

  Step("Misuse is caught: each child process below misuses a node");
  void* victim = DefaultAllocator().Allocate(node);
  ExpectAbort("releases it to the wrong class",
              [&] { DefaultAllocator().Release(zeroed, victim); });
  ExpectAbort("releases it twice in a row", [&] {
    DefaultAllocator().Release(node, victim);
    DefaultAllocator().Release(node, victim);
  });
  ExpectAbort("releases a pointer into its middle", [&] {
    DefaultAllocator().Release(node, static_cast<char*>(victim) + 8);
  });

  Step("The hardened flavour samples objects into guarded pages");
  ExpectAbort("uses a sampled object after releasing it", [] {
    slabkit::guard::SetSampleInterval(1);  // sample every allocation
    slabkit::HardenedAllocator& hardened = slabkit::DefaultHardenedAllocator();
    const ClassId session = *hardened.Register({"session", 40});
    volatile char* p = static_cast<char*>(hardened.Allocate(session));
    hardened.Release(session, const_cast<char*>(p));
    return p[0];  // faults: the page is in quarantine
  });

  Step("Per-thread magazines: another thread allocates, this one releases");
  std::vector<void*> from_thread;
  std::thread([&] {
    for (int i = 0; i < 1000; ++i) {
      from_thread.push_back(DefaultAllocator().Allocate(node));
    }
  }).join();
  for (void* p : from_thread) DefaultAllocator().Release(node, p);
  absl::PrintF(
      "1000 nodes crossed threads; the exited thread's magazines "
      "went to the depot\n");

  Step("What the allocator did");
  PrintStats({node, zeroed, cold});

  Step("Return idle memory: release everything, then give spans back");
  for (size_t i = 1; i < nodes.size(); i += 2) {
    DefaultAllocator().Release(node, nodes[i]);
  }
  DefaultAllocator().Release(node, victim);
  DefaultAllocator().Release(zeroed, z);
  const size_t returned = DefaultAllocator().ReleaseIdleMemory();
  absl::PrintF("ReleaseIdleMemory() decommitted %u KiB\n", returned >> 10);

  Step(
      "The same, as slabkit's report (SLABKIT_OPTIONS=stats=1 prints it at "
      "exit)");
  fflush(stdout);
  slabkit::WriteReport(DefaultAllocator(), "default", STDOUT_FILENO,
                       slabkit::ReportFormat::kText);
  return 0;
}
