// An arena per request: allocate freely, free everything at once.
//   bazel run //examples/arena
#include <cstring>

#include "absl/strings/str_format.h"
#include "arena/arena.h"

namespace {

struct Token {
  Token(const char* text, Token* next) : text(text), next(next) {}
  const char* text;
  Token* next;
};

// Splits `line` into a list of tokens, all in `arena`.
Token* Tokenize(slabkit::Arena& arena, const char* line) {
  Token* head = nullptr;
  for (const char* p = line; *p != '\0';) {
    while (*p == ' ') ++p;
    const char* start = p;
    while (*p != '\0' && *p != ' ') ++p;
    if (p == start) break;
    char* text = static_cast<char*>(arena.Allocate(p - start + 1, 1));
    memcpy(text, start, p - start);
    text[p - start] = '\0';
    head = arena.New<Token>(text, head);
  }
  return head;
}

}  // namespace

int main() {
  slabkit::Arena arena;  // on the build's default mapper
  const char* requests[] = {"GET /index.html HTTP/1.1",
                            "POST /api/items HTTP/1.1"};
  for (const char* request : requests) {
    int count = 0;
    for (Token* t = Tokenize(arena, request); t != nullptr; t = t->next)
      ++count;
    const slabkit::ArenaStats s = arena.stats();
    absl::PrintF("%-28s %d tokens, %u allocations, %u bytes, %u chunk(s)\n",
                 request, count, s.allocations, s.bytes_requested, s.chunks);
    arena.Reset();  // the whole request's memory, at once
  }
  return 0;
}
