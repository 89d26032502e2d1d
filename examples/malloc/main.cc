// An ordinary program on slabkit's malloc (see BUILD.bazel: one attribute).
// Nothing here names slabkit but the stats report at the end.
#include <unistd.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "c_api/slabkit_malloc.h"

int main() {
  std::map<std::string, std::vector<int>> index;
  for (int i = 0; i < 100000; ++i) {
    index["word" + std::to_string(i % 997)].push_back(i);
  }
  auto big = std::make_unique<char[]>(8 << 20);  // a large block
  big[0] = 1;
  std::printf("%zu words; malloc is slabkit's (%s flavour)\n", index.size(),
              slabkit_malloc_flavour());
  std::fflush(stdout);
  // One row per size class in use, and one for large blocks.
  slabkit_malloc_stats_report(STDOUT_FILENO, 0);
  return 0;
}
