// segmentd explain's judgements: why an order counted or not, and each
// branch of a segment rule (doc/MODEL.md "The model").

#include <gtest/gtest.h>

#include "explain_format.h"

namespace segmentd {
namespace {

TEST(ExplainRules, EachDimensionCanFailAndAllMustHold) {
  const SegmentRule loyal{2, "Loyal Customers", 3, 4, 4, 5, 1, 5};
  EXPECT_TRUE(judge_rule(loyal, 3, 4, 1).matches);
  EXPECT_EQ(judge_rule(loyal, 3, 4, 1).why, "R 3 in 3-4, F 4 in 4-5, M 1 in 1-5");
  EXPECT_FALSE(judge_rule(loyal, 5, 4, 1).matches);
  EXPECT_EQ(judge_rule(loyal, 5, 4, 1).why, "R 5 not in 3-4, F 4 in 4-5, M 1 in 1-5");
  EXPECT_EQ(judge_rule(loyal, 3, 2, 1).why, "R 3 in 3-4, F 2 not in 4-5, M 1 in 1-5");
  const SegmentRule big{7, "Big Spenders", 1, 5, 1, 5, 5, 5};
  EXPECT_FALSE(judge_rule(big, 1, 1, 4).matches);
  EXPECT_EQ(judge_rule(big, 1, 1, 4).why, "R 1 in 1-5, F 1 in 1-5, M 4 not in 5");
}

TEST(ExplainRules, OnlyTheFirstMatchDecidesLaterOnesAreNotReached) {
  Explanation e;
  e.segmented = true;
  e.r = 5, e.f = 5, e.m = 5;
  e.rules = {{1, "Champions", 5, 5, 4, 5, 1, 5}, {2, "Loyal Customers", 3, 5, 4, 5, 1, 5}};
  const auto j = explanation_json(e);
  EXPECT_EQ(j["rules"][0]["verdict"], "matched");
  EXPECT_EQ(j["rules"][1]["verdict"], "not reached");
  e.segmented = false;
  EXPECT_EQ(explanation_json(e)["rules"][0]["verdict"], "not scored");
}

TEST(ExplainOrders, EveryReasonAnOrderDoesNotCount) {
  ExplainedOrder olist;
  olist.order_id = "o1";
  olist.status = "canceled";
  olist.purchased_at = "2018-01-02 10:00:00";
  EXPECT_EQ(order_reason(olist, "delivered,shipped"),
            "not counted: status 'canceled' is not in segmentation.counted_statuses (delivered,shipped)");
  olist.status = "delivered";
  EXPECT_EQ(order_reason(olist, "delivered,shipped"),
            "not counted: not in the live results (loaded after the refresh)");
  olist.counted = true;
  olist.value = "12.50";
  EXPECT_EQ(order_reason(olist, "delivered,shipped"), "counted: 12.50");

  ExplainedOrder feed;
  feed.order_id = "f1";
  feed.status = "held";
  feed.purchased_at = "2024-05-05 00:00:00";
  feed.feed = "shop";
  feed.currency = "USD";
  feed.outcome = "held";
  EXPECT_EQ(order_reason(feed, "delivered"), "not counted: held: no exchange rate for USD on or before 2024-05-05");
  feed.outcome = "cancelled";
  EXPECT_EQ(order_reason(feed, "delivered"), "not counted: cancelled");
  feed.outcome = "not_counted";
  feed.feed_status = "pending";
  EXPECT_EQ(order_reason(feed, "delivered"), "not counted: status 'pending' is not a counted status of feed shop");
  feed.outcome = "counted";
  feed.counted = true;
  feed.value = "30.00";
  feed.amount = "50.0000";
  feed.refunded = "20.0000";
  EXPECT_EQ(order_reason(feed, "delivered"),
            "counted: 30.00 (50.0000 USD less 20.0000 refunded, in the base currency)");
}

}  // namespace
}  // namespace segmentd
