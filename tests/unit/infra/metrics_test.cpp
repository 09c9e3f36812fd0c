#include "paypipe/infra/metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "paypipe/infra/metrics/registry.hpp"
#include "paypipe/infra/metrics/text_reader.hpp"

namespace paypipe::infra::metrics {
namespace {

TEST(Counter, CountsUp) {
  Counter counter;
  EXPECT_EQ(counter.Value(), 0u);
  counter.Increment();
  counter.Increment(41);
  EXPECT_EQ(counter.Value(), 42u);
}

TEST(Gauge, GoesUpAndDown) {
  Gauge gauge;
  gauge.Set(10);
  gauge.Increment();
  gauge.Add(2.5);
  gauge.Decrement();
  gauge.Subtract(0.5);
  EXPECT_DOUBLE_EQ(gauge.Value(), 12.0);
  gauge.Set(-3);
  EXPECT_DOUBLE_EQ(gauge.Value(), -3.0);
}

TEST(Histogram, PutsEachObservationInTheFirstBucketAtLeastAsLarge) {
  const std::vector<double> bounds = {0.1, 0.5, 1.0};
  Histogram histogram(bounds);
  histogram.Observe(0.05);
  histogram.Observe(0.1);  // upper bounds are inclusive
  histogram.Observe(0.3);
  histogram.Observe(1.0);
  histogram.Observe(7.0);
  histogram.ObserveDuration(std::chrono::milliseconds{250});
  const HistogramSnapshot snapshot = histogram.Snapshot();
  EXPECT_EQ(snapshot.upper_bounds, bounds);
  EXPECT_EQ(snapshot.cumulative_counts, (std::vector<std::uint64_t>{2, 4, 5, 6}));
  EXPECT_EQ(snapshot.count, 6u);
  EXPECT_DOUBLE_EQ(snapshot.sum, 0.05 + 0.1 + 0.3 + 1.0 + 7.0 + 0.25);
}

TEST(Histogram, RefusesBoundsThatAreNotStrictlyIncreasingAndFinite) {
  EXPECT_THROW(Histogram(std::vector<double>{1.0, 1.0}), std::invalid_argument);
  EXPECT_THROW(Histogram(std::vector<double>{2.0, 1.0}), std::invalid_argument);
  EXPECT_THROW(Histogram(std::vector<double>{1.0, std::numeric_limits<double>::infinity()}),
               std::invalid_argument);
  EXPECT_THROW(Histogram(std::vector<double>{std::nan("")}), std::invalid_argument);
  EXPECT_NO_THROW(Histogram(std::vector<double>{}));
}

TEST(Buckets, LayoutsHaveTheRequestedShape) {
  EXPECT_EQ(ExponentialBuckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_EQ(LinearBuckets(0, 5, 3), (std::vector<double>{0, 5, 10}));
  EXPECT_EQ(LatencyBuckets().front(), 0.005);
  EXPECT_EQ(LatencyBuckets().back(), 10.0);
  EXPECT_THROW((void)ExponentialBuckets(0, 2, 3), std::invalid_argument);
  EXPECT_THROW((void)ExponentialBuckets(1, 1, 3), std::invalid_argument);
  EXPECT_THROW((void)LinearBuckets(0, 0, 3), std::invalid_argument);
  EXPECT_THROW((void)LinearBuckets(0, 1, 0), std::invalid_argument);
}

TEST(Family, HandsOutOneSeriesPerLabelCombination) {
  Registry registry;
  CounterFamily& family = registry.AddCounter(
      {.name = "paypipe_messages_total", .help = "Messages.", .labels = {"stage", "outcome"}});
  Counter& confirm_ack = family.WithLabels({"confirm", "ack"});
  Counter& confirm_retry = family.WithLabels({"confirm", "retry"});
  EXPECT_NE(&confirm_ack, &confirm_retry);
  EXPECT_EQ(&family.WithLabels({"confirm", "ack"}), &confirm_ack);
  confirm_ack.Increment(3);
  EXPECT_EQ(family.WithLabels({"confirm", "ack"}).Value(), 3u);
  EXPECT_EQ(confirm_retry.Value(), 0u);
}

TEST(Family, RefusesTheWrongNumberOfLabelValues) {
  Registry registry;
  CounterFamily& family =
      registry.AddCounter({.name = "paypipe_x_total", .help = "x", .labels = {"stage"}});
  EXPECT_THROW((void)family.WithLabels({"a", "b"}), std::invalid_argument);
  EXPECT_THROW((void)family.Get(), std::invalid_argument);
  CounterFamily& plain = registry.AddCounter({.name = "paypipe_y_total", .help = "y"});
  EXPECT_THROW((void)plain.WithLabels({"a"}), std::invalid_argument);
  EXPECT_NO_THROW((void)plain.Get());
}

TEST(Registry, ReAddingTheSameFamilyReturnsIt) {
  Registry registry;
  const CounterSpec spec{.name = "paypipe_a_total", .help = "a", .labels = {"stage"}};
  CounterFamily& first = registry.AddCounter(spec);
  EXPECT_EQ(&registry.AddCounter(spec), &first);
  const HistogramSpec histogram{.name = "paypipe_h_seconds", .help = "h", .buckets = {1, 2}};
  EXPECT_EQ(&registry.AddHistogram(histogram), &registry.AddHistogram(histogram));
}

TEST(Registry, RefusesConflictingOrInvalidDeclarations) {
  Registry registry;
  (void)registry.AddCounter({.name = "paypipe_a_total", .help = "a", .labels = {"stage"}});
  EXPECT_THROW((void)registry.AddCounter({.name = "paypipe_a_total", .help = "a"}),
               std::invalid_argument);
  EXPECT_THROW(
      (void)registry.AddGauge({.name = "paypipe_a_total", .help = "a", .labels = {"stage"}}),
      std::invalid_argument);
  (void)registry.AddHistogram({.name = "paypipe_h", .help = "h", .buckets = {1}});
  EXPECT_THROW((void)registry.AddHistogram({.name = "paypipe_h", .help = "h", .buckets = {2}}),
               std::invalid_argument);

  EXPECT_THROW((void)registry.AddCounter({.name = "", .help = "x"}), std::invalid_argument);
  EXPECT_THROW((void)registry.AddCounter({.name = "9lives", .help = "x"}), std::invalid_argument);
  EXPECT_THROW((void)registry.AddCounter({.name = "has-dash", .help = "x"}), std::invalid_argument);
  EXPECT_THROW((void)registry.AddCounter({.name = "ok", .help = "x", .labels = {"__reserved"}}),
               std::invalid_argument);
  EXPECT_THROW((void)registry.AddCounter({.name = "ok", .help = "x", .labels = {"a", "a"}}),
               std::invalid_argument);
  EXPECT_THROW((void)registry.AddCounter({.name = "ok", .help = "x", .labels = {"a:b"}}),
               std::invalid_argument);
  EXPECT_THROW((void)registry.AddHistogram({.name = "ok", .help = "x", .labels = {"le"}}),
               std::invalid_argument);
  EXPECT_THROW((void)registry.AddHistogram({.name = "ok", .help = "x", .buckets = {2, 1}}),
               std::invalid_argument);
  // Nothing half-registered by the refusals above.
  EXPECT_EQ(registry.RenderText().find("ok"), std::string::npos);
  EXPECT_NO_THROW((void)registry.AddCounter({.name = "ns:ok_total", .help = "x"}));
}

TEST(Registry, CountsExactlyUnderConcurrentUse) {
  Registry registry;
  CounterFamily& counters =
      registry.AddCounter({.name = "paypipe_events_total", .help = "Events.", .labels = {"stage"}});
  GaugeFamily& gauges = registry.AddGauge({.name = "paypipe_in_flight", .help = "In flight."});
  HistogramFamily& histograms = registry.AddHistogram(
      {.name = "paypipe_latency_seconds", .help = "Latency.", .buckets = {0.5, 1.5}});
  constexpr int kThreads = 8;
  constexpr int kIterations = 50'000;
  std::vector<std::thread> threads;
  std::vector<Counter*> seen(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Every thread looks the series up itself: creation races must yield one series.
      Counter& counter = counters.WithLabels({"confirm"});
      seen[t] = &counter;
      Gauge& gauge = gauges.Get();
      Histogram& histogram = histograms.Get();
      for (int i = 0; i < kIterations; ++i) {
        counter.Increment();
        gauge.Increment();
        histogram.Observe(i % 2 == 0 ? 1.0 : 2.0);
        gauge.Decrement();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(std::set<Counter*>(seen.begin(), seen.end()).size(), 1u);
  EXPECT_EQ(counters.WithLabels({"confirm"}).Value(),
            static_cast<std::uint64_t>(kThreads) * kIterations);
  EXPECT_DOUBLE_EQ(gauges.Get().Value(), 0.0);
  const HistogramSnapshot snapshot = histograms.Get().Snapshot();
  EXPECT_EQ(snapshot.count, static_cast<std::uint64_t>(kThreads) * kIterations);
  EXPECT_EQ(snapshot.cumulative_counts,
            (std::vector<std::uint64_t>{0, kThreads * kIterations / 2, kThreads * kIterations}));
  EXPECT_DOUBLE_EQ(snapshot.sum, 1.5 * kThreads * kIterations);
}

TEST(Exposition, RendersEveryKindInTextFormat004) {
  Registry registry;
  CounterFamily& messages = registry.AddCounter({.name = "paypipe_messages_total",
                                                 .help = "Messages handled, by stage and outcome.",
                                                 .labels = {"stage", "outcome"}});
  messages.WithLabels({"confirm", "ack"}).Increment(3);
  messages.WithLabels({"cancel-retry", "dead_letter"}).Increment();
  registry.AddGauge({.name = "paypipe_in_flight", .help = "Messages being processed."})
      .Get()
      .Set(2);
  HistogramFamily& latency = registry.AddHistogram({.name = "paypipe_pg_call_seconds",
                                                    .help = "PG call latency.",
                                                    .labels = {"provider"},
                                                    .buckets = {0.1, 0.25, 1}});
  latency.WithLabels({"toss"}).Observe(0.05);
  latency.WithLabels({"toss"}).Observe(0.25);
  latency.WithLabels({"toss"}).Observe(3);

  EXPECT_EQ(registry.RenderText(),
            "# HELP paypipe_in_flight Messages being processed.\n"
            "# TYPE paypipe_in_flight gauge\n"
            "paypipe_in_flight 2\n"
            "# HELP paypipe_messages_total Messages handled, by stage and outcome.\n"
            "# TYPE paypipe_messages_total counter\n"
            "paypipe_messages_total{stage=\"cancel-retry\",outcome=\"dead_letter\"} 1\n"
            "paypipe_messages_total{stage=\"confirm\",outcome=\"ack\"} 3\n"
            "# HELP paypipe_pg_call_seconds PG call latency.\n"
            "# TYPE paypipe_pg_call_seconds histogram\n"
            "paypipe_pg_call_seconds_bucket{provider=\"toss\",le=\"0.1\"} 1\n"
            "paypipe_pg_call_seconds_bucket{provider=\"toss\",le=\"0.25\"} 2\n"
            "paypipe_pg_call_seconds_bucket{provider=\"toss\",le=\"1\"} 2\n"
            "paypipe_pg_call_seconds_bucket{provider=\"toss\",le=\"+Inf\"} 3\n"
            "paypipe_pg_call_seconds_sum{provider=\"toss\"} 3.3\n"
            "paypipe_pg_call_seconds_count{provider=\"toss\"} 3\n");
}

TEST(Exposition, UnlabelledHistogramHasOnlyTheLeLabel) {
  Registry registry;
  registry.AddHistogram({.name = "paypipe_body_bytes", .help = "Body sizes.", .buckets = {1024}})
      .Get()
      .Observe(10);
  EXPECT_EQ(registry.RenderText(),
            "# HELP paypipe_body_bytes Body sizes.\n"
            "# TYPE paypipe_body_bytes histogram\n"
            "paypipe_body_bytes_bucket{le=\"1024\"} 1\n"
            "paypipe_body_bytes_bucket{le=\"+Inf\"} 1\n"
            "paypipe_body_bytes_sum 10\n"
            "paypipe_body_bytes_count 1\n");
}

TEST(Exposition, EscapesLabelValuesAndHelp) {
  Registry registry;
  registry
      .AddCounter({.name = "paypipe_odd_total",
                   .help = "Back\\slash and\nnewline in help; \"quotes\" stay.",
                   .labels = {"value"}})
      .WithLabels({"a\"b\\c\nd"})
      .Increment();
  EXPECT_EQ(registry.RenderText(),
            "# HELP paypipe_odd_total Back\\\\slash and\\nnewline in help; \"quotes\" stay.\n"
            "# TYPE paypipe_odd_total counter\n"
            "paypipe_odd_total{value=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(Exposition, ShowsUnusedFamiliesAndSpecialValues) {
  Registry registry;
  (void)registry.AddCounter({.name = "paypipe_a_total", .help = "Unlabelled."});
  (void)registry.AddCounter({.name = "paypipe_b_total", .help = "Labelled.", .labels = {"x"}});
  GaugeFamily& gauges = registry.AddGauge({.name = "paypipe_c", .help = "c", .labels = {"v"}});
  gauges.WithLabels({"inf"}).Set(std::numeric_limits<double>::infinity());
  gauges.WithLabels({"nan"}).Set(std::numeric_limits<double>::quiet_NaN());
  gauges.WithLabels({"neg"}).Set(-std::numeric_limits<double>::infinity());
  gauges.WithLabels({"small"}).Set(0.000001);
  EXPECT_EQ(registry.RenderText(),
            "# HELP paypipe_a_total Unlabelled.\n"
            "# TYPE paypipe_a_total counter\n"
            "paypipe_a_total 0\n"
            "# HELP paypipe_b_total Labelled.\n"
            "# TYPE paypipe_b_total counter\n"
            "# HELP paypipe_c c\n"
            "# TYPE paypipe_c gauge\n"
            "paypipe_c{v=\"inf\"} +Inf\n"
            "paypipe_c{v=\"nan\"} NaN\n"
            "paypipe_c{v=\"neg\"} -Inf\n"
            "paypipe_c{v=\"small\"} 1e-06\n");
}

TEST(SeriesValue, ReadsBackOneSeriesOfWhatTheRegistryRenders) {
  Registry registry;
  auto& family = registry.AddCounter(
      {.name = "paypipe_read_total", .help = "Read back.", .labels = {"stage"}});
  family.WithLabels({"confirm"}).Increment(3);
  family.WithLabels({"confirm-retry"}).Increment(5);
  (void)registry.AddCounter({.name = "paypipe_read_total_more", .help = "A longer name."});
  const std::string text = registry.RenderText();
  EXPECT_EQ(SeriesValue(text, "paypipe_read_total{stage=\"confirm\"}"), 3);
  EXPECT_EQ(SeriesValue(text, "paypipe_read_total{stage=\"confirm-retry\"}"), 5);
  EXPECT_EQ(SeriesValue(text, "paypipe_read_total_more"), 0);
  EXPECT_EQ(SeriesValue(text, "paypipe_read_total{stage=\"settlement\"}"), 0);  // absent
  EXPECT_EQ(SeriesValue("a_total 7", "a_total"), 7);  // last line without a newline
  EXPECT_EQ(SeriesValue("a_total_x 1\na_total 2.5\n", "a_total"), 2.5);  // not a prefix match
}

TEST(Exposition, ContentTypeNamesTheFormatVersion) {
  EXPECT_EQ(kTextContentType, "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace
}  // namespace paypipe::infra::metrics
