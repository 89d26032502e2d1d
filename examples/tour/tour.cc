// A short tour of slabkit: register classes, allocate and release, and see
// what the allocator did. Run it with
//   bazel run //examples/tour
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "absl/strings/str_format.h"
#include "allocator/allocator.h"
#include "c_api/slabkit.h"

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

void PrintStats(const std::vector<ClassId>& classes) {
  absl::PrintF("%-10s %7s %8s %9s %9s %6s %6s %11s %11s\n", "class", "object",
               "allocs", "releases", "live", "chunks", "spans", "reserved",
               "committed");
  for (ClassId cls : classes) {
    const slabkit::ClassStats s = *DefaultAllocator().GetStats(cls);
    absl::PrintF("%-10s %7u %8u %9u %9u %6u %6u %10uK %10uK\n", s.name,
                 s.object_size, s.allocations, s.releases, s.live, s.chunks,
                 s.spans, s.reserved_bytes >> 10, s.committed_bytes >> 10);
  }
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

  Step("Misuse is caught: a child process releases a node twice");
  fflush(stdout);
  if (fork() == 0) {
    dup2(STDOUT_FILENO, STDERR_FILENO);
    DefaultAllocator().Release(node, nodes[0]);  // already released above
    _exit(0);
  }
  int status = 0;
  wait(&status);
  absl::PrintF("child %s\n", WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT
                                 ? "was stopped with SIGABRT"
                                 : "was NOT stopped: a bug");

  Step("What the allocator did");
  PrintStats({node, zeroed, cold});
  return 0;
}
