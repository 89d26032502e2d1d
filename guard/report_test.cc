#include "guard/report.h"

#include <string>

#include "gtest/gtest.h"

namespace slabkit {
namespace {

TEST(ReportTest, OneLineNamesKindAddressAndClass) {
  void* addr = reinterpret_cast<void*>(0x1234560);
  EXPECT_DEATH(ReportMisuse(Misuse::kDoubleFree, addr, "node", 7),
               "^slabkit: double free: address 0x1234560, class \"node\" "
               "\\(id 7\\)\n$");
}

TEST(ReportTest, WrongClassNamesTheOwner) {
  EXPECT_DEATH(ReportMisuse(Misuse::kWrongClass, nullptr, "a", 1, "b", 2),
               "release to the wrong class: .*class \"a\" \\(id 1\\); it "
               "belongs to class \"b\" \\(id 2\\)");
}

TEST(ReportTest, UnknownClassHasNoName) {
  EXPECT_DEATH(ReportMisuse(Misuse::kUnknownClass, nullptr, nullptr, 99),
               "release to an unknown class: .*class \"\\?\" \\(id 99\\)");
}

TEST(ReportTest, LongNamesAreCutNotOverflowed) {
  const std::string name(2000, 'x');
  EXPECT_DEATH(ReportMisuse(Misuse::kInterior, nullptr, name.c_str(), 1),
               "interior pointer: .*xxxx");
}

TEST(ReportTest, EveryKindHasWords) {
  for (Misuse m :
       {Misuse::kWrongClass, Misuse::kUnmanaged, Misuse::kInterior,
        Misuse::kDoubleFree, Misuse::kNeverAllocated, Misuse::kUnknownClass,
        Misuse::kSizeMismatch, Misuse::kReleasedObject}) {
    EXPECT_GT(std::string(MisuseName(m)).size(), 5u);
  }
}

}  // namespace
}  // namespace slabkit
