#include "slab/slab_class.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "mapper/fault_injecting_mapper.h"
#include "mapper/fixed_region_mapper.h"
#include "mapper/mmap_mapper.h"
#include "slab/page_map.h"

namespace slabkit {
namespace slab {
namespace {

class SlabClassTest : public testing::Test {
 protected:
  void Init(size_t size, size_t alignment = 0) {
    geometry_ = *ComputeGeometry(size, alignment, inner_.page_size(), {});
    id_ = NewClassId();
    slab_ = std::make_unique<SlabClass>(id_, "test", &geometry_,
                                        MapperRef(&mapper_));
  }
  void* Allocate(bool* recycled = nullptr) {
    bool r;
    void* p = slab_->Allocate(&r);
    if (recycled != nullptr) *recycled = r;
    return p;
  }
  SlabClass::ReleaseResult Release(void* p) {
    const Location loc = Locate(p);
    EXPECT_EQ(loc.class_id, id_);
    EXPECT_TRUE(loc.object_start);
    return slab_->Release(loc);
  }

  MmapMapper inner_;
  FaultInjectingMapper<MmapMapper> mapper_{&inner_};
  ClassGeometry geometry_;
  uint32_t id_ = 0;
  std::unique_ptr<SlabClass> slab_;
};

TEST_F(SlabClassTest, ObjectsAreDistinctAlignedAndLocatable) {
  Init(48, 16);
  std::set<uintptr_t> seen;
  const size_t n = 3 * geometry_.objects_per_span + 7;
  for (size_t i = 0; i < n; ++i) {
    void* p = Allocate();
    ASSERT_NE(p, nullptr);
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    ASSERT_EQ(a % 16, 0u);
    ASSERT_TRUE(seen.insert(a).second) << "handed out twice";
    const Location loc = Locate(p);
    ASSERT_EQ(loc.class_id, id_);
    ASSERT_TRUE(loc.object_start);
    ASSERT_EQ(loc.chunk->span_data(loc.span) + loc.index * 48,
              static_cast<char*>(p));
    memset(p, 0xEE, 48);  // every byte of the object is writable
  }
  EXPECT_EQ(slab_->counters().spans, 4u);
  EXPECT_EQ(slab_->counters().chunks, 1u);
}

TEST_F(SlabClassTest, FreshObjectsAreZeroAndRecycledOnesKeepTheirBytes) {
  Init(64);
  bool recycled = true;
  auto* p = static_cast<unsigned char*>(Allocate(&recycled));
  EXPECT_FALSE(recycled);
  for (int i = 0; i < 64; ++i) ASSERT_EQ(p[i], 0);
  memset(p, 0x77, 64);
  ASSERT_EQ(Release(p), SlabClass::ReleaseResult::kOk);
  auto* q = static_cast<unsigned char*>(Allocate(&recycled));
  EXPECT_EQ(q, p) << "the freed slot comes back first";
  EXPECT_TRUE(recycled);
  for (int i = 0; i < 64; ++i) {
    ASSERT_EQ(q[i], 0x77) << "the allocator must not write into objects";
  }
}

TEST_F(SlabClassTest, InteriorAndGuardAddressesAreNotObjectStarts) {
  Init(100, 4);
  char* p = static_cast<char*>(Allocate());
  EXPECT_FALSE(Locate(p + 1).object_start);
  EXPECT_FALSE(Locate(p + 99).object_start);
  EXPECT_TRUE(Locate(p + geometry_.object_size).object_start);
  ChunkHeader* chunk = ChunkOf(p);
  EXPECT_EQ(Locate(chunk).class_id, id_) << "metadata is managed...";
  EXPECT_FALSE(Locate(chunk).object_start) << "...but is no object";
  EXPECT_FALSE(Locate(chunk->base() + geometry_.meta_bytes).object_start);
  // The slack after the last object of a span is not an object either.
  char* slack = chunk->span_data(0) + geometry_.objects_per_span * 100;
  if (slack < chunk->span_data(1)) {
    EXPECT_FALSE(Locate(slack).object_start);
  }
}

TEST_F(SlabClassTest, DoubleFreeAndNeverAllocatedAreReported) {
  Init(32);
  void* a = Allocate();
  void* b = Allocate();
  ASSERT_EQ(Release(a), SlabClass::ReleaseResult::kOk);
  EXPECT_EQ(Release(a), SlabClass::ReleaseResult::kDoubleFree);
  char* never = static_cast<char*>(b) + 10 * geometry_.object_size;
  EXPECT_EQ(Release(never), SlabClass::ReleaseResult::kNeverAllocated);
  EXPECT_EQ(Release(b), SlabClass::ReleaseResult::kOk);
  // Errors changed nothing: exactly the two objects come back.
  std::set<void*> again = {Allocate(), Allocate()};
  EXPECT_EQ(again, (std::set<void*>{a, b}));
}

TEST_F(SlabClassTest, MetadataAndDataAreSeparatedByGuards) {
  testing::FLAGS_gtest_death_test_style = "threadsafe";
  Init(64);
  ChunkHeader* chunk = ChunkOf(Allocate());
  volatile char* guard = chunk->base() + geometry_.meta_bytes;
  EXPECT_DEATH(*guard = 1, "");
  volatile char* end_guard = chunk->base() + kChunkSize - 1;
  EXPECT_DEATH(*end_guard = 1, "");
}

TEST_F(SlabClassTest, FillsAChunkThenTakesAnother) {
  Init(64 << 10);  // 64 KiB objects: few per chunk
  const size_t per_chunk = geometry_.num_spans * geometry_.objects_per_span;
  std::set<ChunkHeader*> chunks;
  for (size_t i = 0; i < per_chunk + 1; ++i) {
    void* p = Allocate();
    ASSERT_NE(p, nullptr);
    chunks.insert(ChunkOf(p));
  }
  EXPECT_EQ(chunks.size(), 2u);
  EXPECT_EQ(slab_->counters().chunks, 2u);
  EXPECT_EQ(slab_->counters().reserved_bytes, 2 * kChunkSize);
}

TEST_F(SlabClassTest, MapperFailuresReturnNullAndLeaveTheClassWorking) {
  Init(256);
  for (MapperOp op :
       {MapperOp::kReserve, MapperOp::kCommit, MapperOp::kProtect}) {
    SCOPED_TRACE(static_cast<int>(op));
    mapper_.FailNth(op, 1);
    // The first allocation of a fresh class needs a chunk: it fails.
    auto fresh = std::make_unique<SlabClass>(NewClassId(), "fresh", &geometry_,
                                             MapperRef(&mapper_));
    bool recycled;
    EXPECT_EQ(fresh->Allocate(&recycled), nullptr);
    EXPECT_EQ(fresh->counters().chunks, 0u);
    EXPECT_NE(fresh->Allocate(&recycled), nullptr) << "works once healed";
  }
  // A span commit failure in a chunk with room left.
  Init(256);
  for (size_t i = 0; i < geometry_.objects_per_span; ++i)
    ASSERT_NE(Allocate(), nullptr);
  mapper_.FailAll(MapperOp::kCommit, true);
  EXPECT_EQ(Allocate(), nullptr);
  EXPECT_EQ(Allocate(), nullptr);
  mapper_.Heal();
  void* p = Allocate();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Locate(p).span, 1u) << "the failed span is opened on retry";
}

TEST_F(SlabClassTest, EmptySpansAreDecommittedAndReusedFirst) {
  Init(64);
  const size_t per_span = geometry_.objects_per_span;
  std::vector<void*> objects;
  for (size_t i = 0; i < 3 * per_span; ++i) objects.push_back(Allocate());
  memset(objects[0], 0x11, 64);
  // Free all of spans 0 and 2, and all but one object of span 1.
  for (size_t i = 0; i < objects.size(); ++i) {
    if (i == per_span + 5) continue;
    ASSERT_EQ(Release(objects[i]), SlabClass::ReleaseResult::kOk);
  }
  const size_t committed = slab_->counters().committed_bytes;
  EXPECT_EQ(slab_->DecommitEmptySpans(), 2 * geometry_.span_commit_bytes);
  EXPECT_EQ(slab_->counters().committed_bytes,
            committed - 2 * geometry_.span_commit_bytes);
  EXPECT_EQ(slab_->counters().decommitted_spans, 2u);
  EXPECT_EQ(mapper_.calls(MapperOp::kDecommit), 2u);
  // Type-stable: a released object's address stays readable (as zeros now).
  EXPECT_EQ(static_cast<unsigned char*>(objects[0])[0], 0);
  // Released slots of the live span come first, then decommitted spans are
  // recommitted before any new span is opened.
  bool recycled;
  std::set<void*> again;
  for (size_t i = 0; i < 3 * per_span - 1; ++i) {
    void* p = slab_->Allocate(&recycled);
    ASSERT_NE(p, nullptr);
    again.insert(p);
  }
  EXPECT_EQ(slab_->counters().decommitted_spans, 0u);
  EXPECT_EQ(slab_->counters().spans, 3u) << "no new span was opened";
  EXPECT_EQ(again.size(), 3 * per_span - 1);
  EXPECT_EQ(again.count(objects[per_span + 5]), 0u)
      << "the live one stays live";
  for (void* p : again) {
    ASSERT_EQ(Locate(p).class_id, id_);
  }
  // Nothing to give back while everything is in use.
  EXPECT_EQ(slab_->DecommitEmptySpans(), 0u);
}

// Decay: a span goes back at the second pass that finds it empty, unless it
// was allocated from in between; the counters say what is idle and what was
// returned.
TEST_F(SlabClassTest, DecayGivesBackSpansEmptyForAWholePass) {
  Init(64);
  const size_t per_span = geometry_.objects_per_span;
  const size_t span_bytes = geometry_.span_commit_bytes;
  std::vector<void*> objects;
  for (size_t i = 0; i < 3 * per_span; ++i) objects.push_back(Allocate());
  EXPECT_EQ(slab_->IdleBytes(), 0u);
  // Spans 0 and 1 empty; span 2 keeps one object. Released last to first,
  // so span 0 heads the list of spans with free objects.
  for (size_t i = 3 * per_span - 1; i-- > 0;) {
    ASSERT_EQ(Release(objects[i]), SlabClass::ReleaseResult::kOk);
  }
  EXPECT_EQ(slab_->counters().empty_spans, 2u);
  EXPECT_EQ(slab_->IdleBytes(), 2 * span_bytes);
  EXPECT_EQ(slab_->DecaySpans(/*aged=*/true), 0u) << "empty for no pass yet";
  EXPECT_EQ(slab_->counters().spans, 3u);
  // Allocating from a span makes it young again.
  void* taken = Allocate();
  const size_t young = Locate(taken).span;
  EXPECT_EQ(young, 0u);
  EXPECT_EQ(slab_->counters().empty_spans, 1u);
  ASSERT_EQ(Release(taken), SlabClass::ReleaseResult::kOk);
  EXPECT_EQ(slab_->counters().empty_spans, 2u);
  EXPECT_EQ(slab_->DecaySpans(/*aged=*/true), span_bytes)
      << "only the span untouched since the last pass";
  EXPECT_EQ(slab_->counters().spans, 2u);
  EXPECT_EQ(slab_->counters().returned_bytes, span_bytes);
  EXPECT_EQ(slab_->IdleBytes(), span_bytes);
  EXPECT_EQ(slab_->DecaySpans(/*aged=*/true), span_bytes) << "span " << young;
  EXPECT_EQ(slab_->counters().spans, 1u);
  EXPECT_EQ(slab_->counters().empty_spans, 0u);
  EXPECT_EQ(slab_->counters().returned_bytes, 2 * span_bytes);
  EXPECT_EQ(slab_->DecaySpans(/*aged=*/true), 0u) << "the live span stays";
  EXPECT_EQ(Locate(objects.back()).class_id, id_);
  // Unaged, every empty span goes at once.
  ASSERT_EQ(Release(objects.back()), SlabClass::ReleaseResult::kOk);
  EXPECT_EQ(slab_->DecaySpans(/*aged=*/false), span_bytes);
  EXPECT_EQ(slab_->counters().committed_bytes, geometry_.meta_bytes);
}

// A decommit the mapper refuses leaves the span as it was: its objects stay
// free (none lost, none handed out twice) and a later pass gives it back.
TEST_F(SlabClassTest, FailedDecommitsKeepTheSpanForALaterPass) {
  Init(64);
  const size_t per_span = geometry_.objects_per_span;
  std::vector<void*> objects;
  for (size_t i = 0; i < per_span; ++i) objects.push_back(Allocate());
  for (void* p : objects) ASSERT_EQ(Release(p), SlabClass::ReleaseResult::kOk);
  EXPECT_EQ(slab_->DecaySpans(/*aged=*/true), 0u);
  mapper_.FailAll(MapperOp::kDecommit, true);
  EXPECT_EQ(slab_->DecaySpans(/*aged=*/true), 0u);
  EXPECT_EQ(slab_->counters().spans, 1u);
  EXPECT_EQ(slab_->counters().empty_spans, 1u);
  EXPECT_EQ(slab_->counters().returned_bytes, 0u);
  mapper_.Heal();
  EXPECT_EQ(slab_->DecaySpans(/*aged=*/true), geometry_.span_commit_bytes);
  EXPECT_EQ(slab_->counters().empty_spans, 0u);
  // The span comes back with every object, each once.
  std::set<void*> again;
  for (size_t i = 0; i < per_span; ++i) again.insert(Allocate());
  EXPECT_EQ(again, std::set<void*>(objects.begin(), objects.end()));
}

// Batches (how magazines are filled) hand out released objects first, then
// fresh ones, never one twice, across spans and chunks; and leave the class
// as single calls would: every object released again is found free, every
// empty span counted.
TEST_F(SlabClassTest, BatchesHandOutReleasedObjectsFirstAndNeverTwice) {
  Init(48);
  const size_t per_span = geometry_.objects_per_span;
  std::vector<void*> live(3 * per_span + 5);
  bool recycled = true;
  ASSERT_EQ(slab_->Allocate(live.data(), live.size(), &recycled), live.size());
  EXPECT_FALSE(recycled);
  std::set<void*> distinct(live.begin(), live.end());
  ASSERT_EQ(distinct.size(), live.size());
  for (void* p : live) {
    const Location loc = Locate(p);
    ASSERT_EQ(loc.class_id, id_);
    ASSERT_TRUE(loc.object_start);
  }
  // Every third object of the first two spans, and all of the third: the
  // third span is empty.
  std::set<void*> released;
  for (size_t i = 0; i < 3 * per_span; ++i) {
    if (i >= 2 * per_span || i % 3 == 0) {
      ASSERT_EQ(Release(live[i]), SlabClass::ReleaseResult::kOk);
      released.insert(live[i]);
    }
  }
  EXPECT_EQ(slab_->counters().empty_spans, 1u);
  // One batch of more than were released: the released ones, then fresh.
  std::vector<void*> again(released.size() + 10);
  ASSERT_EQ(slab_->Allocate(again.data(), again.size(), &recycled),
            again.size());
  EXPECT_TRUE(recycled);
  EXPECT_EQ(std::set<void*>(again.begin(), again.begin() + released.size()),
            released);
  for (size_t i = released.size(); i < again.size(); ++i) {
    ASSERT_EQ(released.count(again[i]), 0u);
    ASSERT_EQ(distinct.count(again[i]), 0u) << "handed out twice";
  }
  EXPECT_EQ(slab_->counters().empty_spans, 0u);
  // All of them back, then again in batches of every size up to 40.
  for (void* p : again) ASSERT_EQ(Release(p), SlabClass::ReleaseResult::kOk);
  for (size_t i = 0; i < 3 * per_span; ++i) {
    if (released.count(live[i]) == 0) {
      ASSERT_EQ(Release(live[i]), SlabClass::ReleaseResult::kOk);
    }
  }
  for (size_t i = 3 * per_span; i < live.size(); ++i) {
    ASSERT_EQ(Release(live[i]), SlabClass::ReleaseResult::kOk);
  }
  EXPECT_EQ(slab_->counters().empty_spans, slab_->counters().spans);
  std::set<void*> taken;
  const size_t total = live.size() + 10;
  for (size_t n = 1; taken.size() < total; n = n % 40 + 1) {
    void* batch[40];
    const size_t want = std::min(n, total - taken.size());
    ASSERT_EQ(slab_->Allocate(batch, want), want);
    for (size_t i = 0; i < want; ++i) {
      ASSERT_TRUE(taken.insert(batch[i]).second) << "handed out twice";
    }
  }
  EXPECT_EQ(slab_->counters().empty_spans, 0u);
  for (void* p : taken) {
    ASSERT_EQ(Release(p), SlabClass::ReleaseResult::kOk);
    ASSERT_EQ(Release(p), SlabClass::ReleaseResult::kDoubleFree);
  }
}

// A batch release frees in order and stops at the first object that is
// already free or was never handed out, leaving it and the rest as they
// were.
TEST_F(SlabClassTest, BatchReleaseStopsAtTheFirstMisuse) {
  Init(64);
  void* objects[8];
  ASSERT_EQ(slab_->Allocate(objects, 8), 8u);
  void* batch[] = {objects[0], objects[1], objects[0], objects[2]};
  SlabClass::ReleaseResult error = SlabClass::ReleaseResult::kOk;
  EXPECT_EQ(slab_->Release(batch, 4, &error), 2u);
  EXPECT_EQ(error, SlabClass::ReleaseResult::kDoubleFree);
  EXPECT_EQ(Release(objects[2]), SlabClass::ReleaseResult::kOk)
      << "the object after the double free was left held";
  // A slot past those carved in its span: never handed out.
  void* never = static_cast<char*>(objects[7]) + 64;
  void* batch2[] = {objects[3], never, objects[4]};
  EXPECT_EQ(slab_->Release(batch2, 3, &error), 1u);
  EXPECT_EQ(error, SlabClass::ReleaseResult::kNeverAllocated);
  void* rest[] = {objects[4], objects[5], objects[6], objects[7]};
  EXPECT_EQ(slab_->Release(rest, 4, &error), 4u);
  EXPECT_EQ(slab_->counters().empty_spans, 1u);
}

// A batch the mapper cannot finish hands out what it could, and the class
// goes on from there once the mapper heals.
TEST_F(SlabClassTest, BatchesStopWhereTheMapperFails) {
  Init(1024);
  const size_t per_span = geometry_.objects_per_span;
  std::vector<void*> first(per_span);
  ASSERT_EQ(slab_->Allocate(first.data(), per_span), per_span);
  mapper_.FailAll(MapperOp::kCommit, true);
  std::vector<void*> more(per_span + 3);
  EXPECT_EQ(slab_->Allocate(more.data(), more.size()), 0u);
  ASSERT_EQ(Release(first[1]), SlabClass::ReleaseResult::kOk);
  EXPECT_EQ(slab_->Allocate(more.data(), more.size()), 1u);
  EXPECT_EQ(more[0], first[1]);
  mapper_.Heal();
  EXPECT_EQ(slab_->Allocate(more.data(), more.size()), more.size());
}

TEST(SlabClassGuardBudgetTest, PastTheBudgetSpansLoseTheirGuards) {
  testing::FLAGS_gtest_death_test_style = "threadsafe";
  MmapMapper mapper;
  LayoutParams params;
  params.span_guards = true;
  const ClassGeometry g = *ComputeGeometry(64, 0, mapper.page_size(), params);
  ASSERT_GE(g.span_guard_bytes, mapper.page_size());
  SetGuardedSpanBudgetForTesting(GuardedSpansOpened() + 2);
  SlabClass slab(NewClassId(), "budget", &g, MapperRef(&mapper));
  bool recycled;
  for (size_t i = 0; i < 4 * g.objects_per_span; ++i) {
    ASSERT_NE(slab.Allocate(&recycled), nullptr);
  }
  ChunkHeader* chunk = ChunkOf(slab.Allocate(&recycled));
  auto guard_of = [&](size_t span) {
    return reinterpret_cast<volatile char*>(chunk->span_data(span) +
                                            g.span_commit_bytes);
  };
  // The first two spans kept their guards; the next ones were committed
  // whole, so their guard areas read (as zeros) instead of faulting.
  EXPECT_DEATH(*guard_of(0), "");
  EXPECT_DEATH(*guard_of(1), "");
  EXPECT_EQ(*guard_of(2), 0);
  EXPECT_EQ(*guard_of(3), 0);
  SetGuardedSpanBudgetForTesting(0);
}

TEST(SlabClassFixedRegionTest, WorksFromACallerBufferWithoutTheOs) {
  constexpr size_t kBytes = 3 * kChunkSize;
  // Chunks stay registered to their class for the life of the process, so
  // the buffer must too: it is never freed.
  static char* const buffer = new char[kBytes];
  FixedRegionMapper mapper(buffer, kBytes);
  const ClassGeometry g = *ComputeGeometry(128, 0, mapper.page_size(), {});
  SlabClass slab(NewClassId(), "fixed", &g, MapperRef(&mapper));
  bool recycled;
  std::vector<void*> objects;
  for (void* p; (p = slab.Allocate(&recycled)) != nullptr;)
    objects.push_back(p);
  // The buffer holds at least one aligned chunk, and exhaustion is clean.
  EXPECT_GE(objects.size(), g.num_spans * g.objects_per_span);
  for (void* p : objects) {
    ASSERT_GE(static_cast<char*>(p), buffer);
    ASSERT_LT(static_cast<char*>(p), buffer + kBytes);
  }
  ASSERT_EQ(slab.Release(Locate(objects[5])), SlabClass::ReleaseResult::kOk);
  EXPECT_EQ(slab.Allocate(&recycled), objects[5]);
}

}  // namespace
}  // namespace slab
}  // namespace slabkit
