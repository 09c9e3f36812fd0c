#include "paypipe/runtime/fault_points.hpp"

#include <gtest/gtest.h>

namespace paypipe::runtime {
namespace {

TEST(FaultPoints, EmptySpecDisarms) {
  auto points = FaultPoints::FromSpec("");
  ASSERT_TRUE(points.ok());
  EXPECT_FALSE((*points)->armed());
  (*points)->Hit(FaultPoint::kAfterInboxInsert);
}

TEST(FaultPoints, ParsesEveryNamedPoint) {
  for (const char* spec : {"after_inbox_insert:1", "after_commit_before_publish:17",
                           "after_publish_before_mark:2", "after_mark_before_ack"}) {
    auto points = FaultPoints::FromSpec(spec);
    ASSERT_TRUE(points.ok()) << spec;
    EXPECT_TRUE((*points)->armed());
  }
}

TEST(FaultPoints, RejectsTyposAndBadCounts) {
  EXPECT_FALSE(FaultPoints::FromSpec("after_comit:1").ok());
  EXPECT_FALSE(FaultPoints::FromSpec("after_inbox_insert:0").ok());
  EXPECT_FALSE(FaultPoints::FromSpec("after_inbox_insert:x").ok());
}

#if defined(PAYPIPE_FAULT_POINTS)
TEST(FaultPointsDeathTest, ExitsWith137OnTheChosenHitOnly) {
  auto points = std::move(FaultPoints::FromSpec("after_commit_before_publish:3")).value();
  EXPECT_EXIT(
      {
        points->Hit(FaultPoint::kAfterCommitBeforePublish);
        points->Hit(FaultPoint::kAfterInboxInsert);
        points->Hit(FaultPoint::kAfterCommitBeforePublish);
        points->Hit(FaultPoint::kAfterCommitBeforePublish);
        std::exit(0);
      },
      testing::ExitedWithCode(137), "fault point");
}
#endif

}  // namespace
}  // namespace paypipe::runtime
