// A C++ program for the malloc drop-in's tests: compiled by g++ running on
// the drop-in, then run on it. Containers, strings, shared pointers and
// virtual destructors; prints a digest that must not depend on the
// allocator.
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

struct Shape {
  virtual ~Shape() = default;
  virtual uint64_t Area() const = 0;
};
struct Rect : Shape {
  Rect(uint64_t w, uint64_t h) : w(w), h(h) {}
  uint64_t Area() const override { return w * h; }
  uint64_t w, h;
};
struct Label : Shape {
  explicit Label(std::string s) : text(std::move(s)) {}
  uint64_t Area() const override { return text.size(); }
  std::string text;
};

int main() {
  uint64_t digest = 1469598103934665603ull;
  auto mix = [&digest](uint64_t v) {
    digest = (digest ^ v) * 1099511628211ull;
  };
  std::map<std::string, std::vector<int>> m;
  std::unordered_map<int, std::string> u;
  std::vector<std::unique_ptr<Shape>> shapes;
  std::vector<std::shared_ptr<std::string>> shared;
  for (int i = 0; i < 200000; ++i) {
    m["key" + std::to_string(i % 5000)].push_back(i);
    u[i % 20000] = std::string(static_cast<size_t>(i % 300), 'a' + i % 26);
    if (i % 3 == 0) {
      shapes.push_back(std::make_unique<Rect>(i % 100, i % 77));
    } else {
      shapes.push_back(std::make_unique<Label>(std::to_string(i)));
    }
    if (i % 10 == 0)
      shared.push_back(std::make_shared<std::string>(i % 1000, 'z'));
    if (shapes.size() > 1000)
      shapes.erase(shapes.begin(), shapes.begin() + 500);
  }
  for (const auto& [k, v] : m) mix(k.size() + v.size() + v.back());
  for (int i = 0; i < 20000; ++i) mix(u[i].size());
  for (const auto& s : shapes) mix(s->Area());
  for (const auto& s : shared) mix(s->size());
  std::vector<std::vector<char>> big;
  for (int i = 0; i < 50; ++i)
    big.emplace_back(size_t{1} << (10 + i % 12), 'b');
  for (const auto& b : big) mix(b.size());
  std::cout << m.size() << " " << u.size() << " " << shapes.size() << " "
            << digest << "\n";
  return 0;
}
