#include "stats/options.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/write_all.h"

namespace slabkit {
namespace {

void Warn(int fd, const char* what, const char* key, size_t key_len,
          const char* value, size_t value_len) {
  char line[512];
  const int n = snprintf(
      line, sizeof(line),
      "slabkit: SLABKIT_OPTIONS: %s \"%.*s=%.*s\", ignored\n", what,
      static_cast<int>(key_len), key, static_cast<int>(value_len), value);
  if (n > 0) {
    WriteAll(fd, line,
             static_cast<size_t>(n) < sizeof(line) ? static_cast<size_t>(n)
                                                   : sizeof(line) - 1);
  }
}

bool Is(const char* s, size_t n, const char* word) {
  return strlen(word) == n && memcmp(s, word, n) == 0;
}

// A whole decimal number, or false.
bool ParseNumber(const char* s, size_t n, int64_t* out) {
  if (n == 0 || n > 18) return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// One of `names`, as the enum value of its index (the enums' values are
// their names' positions), or false.
template <typename Enum, size_t N>
bool ParseChoice(const char* s, size_t n, const char* const (&names)[N],
                 Enum* out) {
  for (size_t i = 0; i < N; ++i) {
    if (Is(s, n, names[i])) {
      *out = static_cast<Enum>(i);
      return true;
    }
  }
  return false;
}

// Copies a non-empty path that fits, or returns false.
template <size_t N>
bool CopyPath(const char* value, size_t n, char (&out)[N]) {
  if (n == 0 || n >= N) return false;
  memcpy(out, value, n);
  out[n] = '\0';
  return true;
}

}  // namespace

int ParseOptions(const char* text, Options* options, int warn_fd) {
  int warnings = 0;
  if (text == nullptr) return 0;
  for (const char* p = text; *p != '\0';) {
    const char* end = strchr(p, ',');
    if (end == nullptr) end = p + strlen(p);
    const char* eq = static_cast<const char*>(memchr(p, '=', end - p));
    const char* key = p;
    const size_t key_len = (eq != nullptr ? eq : end) - p;
    const char* value = eq != nullptr ? eq + 1 : end;
    const size_t value_len = end - value;
    int64_t number = 0;
    bool ok = true;
    if (key_len == 0 && value_len == 0) {
      // an empty item (",,"): nothing to say
    } else if (Is(key, key_len, "stats")) {
      ok = ParseNumber(value, value_len, &number) && number <= 1;
      if (ok) options->stats_at_exit = number == 1;
    } else if (Is(key, key_len, "stats_file")) {
      ok = CopyPath(value, value_len, options->stats_file);
    } else if (Is(key, key_len, "stats_format")) {
      static constexpr const char* kFormats[] = {"text", "json", "prometheus"};
      ok = ParseChoice(value, value_len, kFormats, &options->stats_format);
    } else if (Is(key, key_len, "profile")) {
      ok = ParseNumber(value, value_len, &number) && number <= 1;
      if (ok) options->profile_at_exit = number == 1;
    } else if (Is(key, key_len, "profile_file")) {
      ok = CopyPath(value, value_len, options->profile_file);
    } else if (Is(key, key_len, "profile_format")) {
      static constexpr const char* kFormats[] = {"text", "proto"};
      ok = ParseChoice(value, value_len, kFormats, &options->profile_format);
    } else if (Is(key, key_len, "profile_kind")) {
      static constexpr const char* kKinds[] = {"heap", "peak"};
      ok = ParseChoice(value, value_len, kKinds, &options->profile_kind);
    } else if (Is(key, key_len, "profile_signal")) {
      ok =
          ParseNumber(value, value_len, &number) && number >= 1 && number <= 64;
      if (ok) options->profile_signal = static_cast<int>(number);
    } else if (Is(key, key_len, "decay_ms")) {
      if (Is(value, value_len, "-1")) {
        options->decay_ms = -1;
      } else {
        ok = ParseNumber(value, value_len, &number);
        if (ok) options->decay_ms = number;
      }
    } else if (Is(key, key_len, "background_thread")) {
      ok = ParseNumber(value, value_len, &number) && number <= 1;
      if (ok) options->background_thread = number == 1;
    } else if (Is(key, key_len, "sample_interval")) {
      ok = ParseNumber(value, value_len, &number);
      if (ok) options->sample_interval = number;
    } else {
      Warn(warn_fd, "unknown option", key, key_len, value, value_len);
      ++warnings;
      ok = true;
    }
    if (!ok) {
      Warn(warn_fd, "bad value in", key, key_len, value, value_len);
      ++warnings;
    }
    p = *end == ',' ? end + 1 : end;
  }
  return warnings;
}

}  // namespace slabkit
