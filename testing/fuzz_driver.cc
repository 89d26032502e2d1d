// main() for a fuzz target built without libFuzzer (gcc, the default
// configuration), so every target runs in `bazel test //...` too. It takes
// the libFuzzer flags the tests use and libFuzzer's way of naming inputs:
//
//   target [-max_total_time=S] [-runs=N] [-seed=N] [-max_len=N] DIR|FILE...
//
// It replays every file named (directories: every file in them), then runs
// inputs mutated from them (byte flips, inserts, erases, copies, splices)
// until the time or the run count is spent. Without coverage feedback this is
// a random search around the seed corpus, not a fuzzer: the real one is the
// same target built with --config=fuzz (docs/testing.md). An input that
// crashes is written to crash-<pid> in the working directory (or
// $TEST_UNDECLARED_OUTPUTS_DIR) before the process dies.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// The input being run, for the crash handler.
const uint8_t* current_data = nullptr;
size_t current_size = 0;
char crash_path[4096];

void OnCrash(int sig) {
  const int fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    if (write(fd, current_data, current_size) < 0) {
    }
    close(fd);
    const char note[] = "fuzz driver: the crashing input is in ";
    if (write(2, note, sizeof(note) - 1) < 0 ||
        write(2, crash_path, strlen(crash_path)) < 0 || write(2, "\n", 1) < 0) {
    }
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

bool ReadFile(const std::string& path, std::vector<uint8_t>* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  uint8_t buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0)
    out->insert(out->end(), buf, buf + n);
  std::fclose(f);
  return true;
}

void AddInputs(const std::string& path,
               std::vector<std::vector<uint8_t>>* corpus) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    std::fprintf(stderr, "fuzz driver: %s: %s\n", path.c_str(),
                 std::strerror(errno));
    std::exit(2);
  }
  if (!S_ISDIR(st.st_mode)) {
    std::vector<uint8_t> data;
    if (ReadFile(path, &data)) corpus->push_back(std::move(data));
    return;
  }
  DIR* dir = opendir(path.c_str());
  while (dirent* e = dir != nullptr ? readdir(dir) : nullptr) {
    if (e->d_name[0] == '.') continue;
    AddInputs(path + "/" + e->d_name, corpus);
  }
  if (dir != nullptr) closedir(dir);
}

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : state_(seed | 1) {}
  uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
  }
  size_t Below(size_t n) { return n == 0 ? 0 : Next() % n; }

  void Mutate(std::vector<uint8_t>* data,
              const std::vector<std::vector<uint8_t>>& corpus, size_t max_len) {
    const int edits = 1 + static_cast<int>(Below(4));
    for (int i = 0; i < edits; ++i) {
      const size_t size = data->size();
      switch (Below(5)) {
        case 0:  // flip bits in a byte
          if (size > 0)
            (*data)[Below(size)] ^= static_cast<uint8_t>(1 + Below(255));
          break;
        case 1: {  // insert random bytes
          const size_t n = 1 + Below(8);
          std::vector<uint8_t> bytes(n);
          for (auto& b : bytes) b = static_cast<uint8_t>(Next());
          data->insert(data->begin() + Below(size + 1), bytes.begin(),
                       bytes.end());
          break;
        }
        case 2:  // erase a range
          if (size > 1) {
            const size_t at = Below(size);
            data->erase(data->begin() + at,
                        data->begin() + at + 1 + Below(size - at));
          }
          break;
        case 3:  // copy a range of itself elsewhere
          if (size > 1) {
            const size_t from = Below(size);
            const size_t n = 1 + Below(size - from);
            std::vector<uint8_t> part(data->begin() + from,
                                      data->begin() + from + n);
            data->insert(data->begin() + Below(size + 1), part.begin(),
                         part.end());
          }
          break;
        default: {  // splice in part of another input
          const std::vector<uint8_t>& other = corpus[Below(corpus.size())];
          if (other.empty()) break;
          const size_t from = Below(other.size());
          const size_t n = 1 + Below(other.size() - from);
          data->insert(data->begin() + Below(size + 1), other.begin() + from,
                       other.begin() + from + n);
        }
      }
    }
    if (data->size() > max_len) data->resize(max_len);
  }

 private:
  uint64_t state_;
};

}  // namespace

int main(int argc, char** argv) {
  long seconds = 0, runs = -1, max_len = 4096;
  uint64_t seed = static_cast<uint64_t>(
      std::chrono::steady_clock::now().time_since_epoch().count());
  std::vector<std::vector<uint8_t>> corpus;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (std::sscanf(a, "-max_total_time=%ld", &seconds) == 1) continue;
    if (std::sscanf(a, "-runs=%ld", &runs) == 1) continue;
    if (std::sscanf(a, "-max_len=%ld", &max_len) == 1) continue;
    if (std::sscanf(a, "-seed=%lu", &seed) == 1) continue;
    if (a[0] == '-') {
      std::fprintf(stderr, "fuzz driver: ignoring %s (a libFuzzer flag)\n", a);
      continue;
    }
    AddInputs(a, &corpus);
  }
  const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  std::snprintf(crash_path, sizeof(crash_path), "%s%scrash-%d", dir ? dir : "",
                dir ? "/" : "", static_cast<int>(getpid()));
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE})
    signal(sig, OnCrash);

  long done = 0;
  const auto start = std::chrono::steady_clock::now();
  auto run = [&](const std::vector<uint8_t>& input) {
    current_data = input.data();
    current_size = input.size();
    LLVMFuzzerTestOneInput(input.data(), input.size());
    ++done;
  };
  for (const auto& input : corpus) run(input);
  const long replayed = done;
  if (corpus.empty()) corpus.emplace_back();
  Mutator mutator(seed);
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  while ((runs < 0 ? seconds > 0 : done < runs) &&
         (seconds == 0 || elapsed() < seconds)) {
    std::vector<uint8_t> input = corpus[mutator.Below(corpus.size())];
    mutator.Mutate(&input, corpus, static_cast<size_t>(max_len));
    run(input);
  }
  std::printf(
      "fuzz driver (no libFuzzer): %ld inputs ran clean, %ld from the corpus, "
      "%ld mutated (seed %lu)\nDone %ld runs in %.0f second(s)\n",
      done, replayed, done - replayed, seed, done, elapsed());
  return 0;
}
