#include "mapper/registry.h"

#include <string>

#include "gtest/gtest.h"
#include "mapper/default_instance.h"
#include "mapper/mmap_mapper.h"

namespace slabkit {
namespace {

TEST(RegistryTest, BuiltinsAreThere) {
  for (const char* name : {"default", "mmap", "thp", "file"}) {
    absl::StatusOr<MapperRef> m = FindMapper(name);
    ASSERT_TRUE(m.ok()) << name;
    EXPECT_TRUE(m->valid());
  }
  EXPECT_EQ(FindMapper("default")->target(), &DefaultMapperInstance());
  EXPECT_STREQ(FindMapper("thp")->name(), "thp");
}

TEST(RegistryTest, UnknownNameIsNotFound) {
  EXPECT_EQ(FindMapper("no-such-mapper").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(RegistryTest, RegisterFindAndRefuseDuplicatesAndBadNames) {
  static MmapMapper mine;
  ASSERT_TRUE(RegisterMapper("mine", MapperRef(&mine)).ok());
  absl::StatusOr<MapperRef> found = FindMapper("mine");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->target(), &mine);
  EXPECT_EQ(RegisterMapper("mine", MapperRef(&mine)).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(RegisterMapper("", MapperRef(&mine)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RegisterMapper("has space", MapperRef(&mine)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      RegisterMapper(std::string(kMaxMapperName + 1, 'x'), MapperRef(&mine))
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RegisterMapper("empty", MapperRef()).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RegistryTest, FullRegistryIsResourceExhausted) {
  static MmapMapper filler;
  absl::Status last;
  for (int i = 0; i <= kMaxMappers; ++i) {
    last = RegisterMapper("filler" + std::to_string(i), MapperRef(&filler));
    if (!last.ok()) break;
  }
  EXPECT_EQ(last.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(FindMapper("mmap").ok()) << "lookups still work";
}

}  // namespace
}  // namespace slabkit
