#include "paypipe/runtime/trace_context.hpp"

#include <gtest/gtest.h>

namespace paypipe::runtime {
namespace {

constexpr char kHeader[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContext, RoundTripsAValidHeader) {
  auto trace = TraceContext::Parse(kHeader);
  ASSERT_TRUE(trace.has_value());
  EXPECT_EQ(trace->ToHeader(), kHeader);
}

TEST(TraceContext, RejectsMalformedHeaders) {
  for (const char* bad : {"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
                          "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
                          "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01"}) {
    EXPECT_FALSE(TraceContext::Parse(bad).has_value()) << bad;
  }
}

TEST(TraceContext, FutureVersionsMayAppendFields) {
  EXPECT_TRUE(
      TraceContext::Parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later"));
}

TEST(TraceContext, ChildKeepsTraceAndFlagsWithANewDeterministicParent) {
  auto trace = *TraceContext::Parse(kHeader);
  const TraceContext child = trace.Child("derived-id");
  EXPECT_EQ(child.trace_id, trace.trace_id);
  EXPECT_EQ(child.flags, trace.flags);
  EXPECT_NE(child.parent_id, trace.parent_id);
  EXPECT_EQ(child.parent_id.size(), 16u);
  EXPECT_EQ(child.ToHeader(), trace.Child("derived-id").ToHeader());
  EXPECT_NE(child.parent_id, trace.Child("other-id").parent_id);
  EXPECT_TRUE(TraceContext::Parse(child.ToHeader()).has_value());
}

TEST(TraceContext, StartedTracesAreValidAndStable) {
  const TraceContext a = TraceContext::StartFrom("message-1");
  EXPECT_TRUE(TraceContext::Parse(a.ToHeader()).has_value());
  EXPECT_EQ(a.ToHeader(), TraceContext::StartFrom("message-1").ToHeader());
  EXPECT_NE(a.trace_id, TraceContext::StartFrom("message-2").trace_id);
}

}  // namespace
}  // namespace paypipe::runtime
