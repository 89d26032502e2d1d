// Typed pools, object caching, and node containers on slabkit classes.
//   bazel run //examples/pools
#include <list>
#include <map>
#include <string>

#include "absl/strings/str_format.h"
#include "pool/stl_allocator.h"
#include "pool/typed_class.h"

namespace {

struct Session {
  Session(std::string user, int id) : user(std::move(user)), id(id) {}
  std::string user;
  int id;
};

// Costly to set up: worth constructing once per slot, not once per use.
struct Parser {
  static int built;
  Parser() noexcept {
    for (int i = 0; i < 256; ++i) table[i] = static_cast<char>(i * 7);
    ++built;
  }
  char table[256];
  int requests = 0;
};
int Parser::built = 0;

}  // namespace

int main() {
  // A typed pool: New and Delete, like new and delete, on a class of its own.
  auto sessions = slabkit::TypedClass<Session>::Create("session");
  if (!sessions.ok()) return 1;
  Session* s = sessions->New("ada", 1);
  absl::PrintF("session %d for %s at %p\n", s->id, s->user, s);
  sessions->Delete(s);

  // Object caching: Parser() runs once per slot; Delete keeps the object.
  auto parsers =
      slabkit::TypedClass<Parser, slabkit::Construction::kCached>::Create(
          "parser");
  if (!parsers.ok()) return 1;
  for (int request = 0; request < 10000; ++request) {
    Parser* p = parsers->New();
    p->requests++;
    parsers->Delete(p);
  }
  absl::PrintF("10000 requests, %d parsers built\n", Parser::built);

  // Node containers with their nodes in slabkit classes.
  std::list<int, slabkit::StlAllocator<int>> numbers = {3, 1, 2};
  numbers.sort();
  std::map<std::string, int, std::less<std::string>,
           slabkit::StlAllocator<std::pair<const std::string, int>>>
      ages = {{"ada", 36}, {"alan", 41}};
  absl::PrintF("sorted list starts with %d; alan is %d\n", numbers.front(),
               ages["alan"]);
  return 0;
}
