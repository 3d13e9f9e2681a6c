// The prediction models against the published CDNOW fits and against values
// computed independently (SciPy's hyp2f1 on eq. 10 as printed), the
// gate, and the limits the formulas must survive.

#include <gtest/gtest.h>

#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <tuple>

#include "bgnbd.h"
#include "gamma_gamma.h"
#include "group_predictions.h"
#include "prediction_gate.h"

namespace segmentd::predict {
namespace {

// ../shared/cdnow beside the project (the data are public, not copied in).
std::filesystem::path cdnow_sample() {
  for (const auto& p : {std::filesystem::path(SEGMENTD_SOURCE_DIR) / ".." / "shared" / "cdnow",
                        std::filesystem::path("/work/shared/cdnow")}) {
    if (std::filesystem::exists(p / "CDNOW_sample.txt")) return p / "CDNOW_sample.txt";
  }
  return {};
}

int day_number(const std::string& yyyymmdd) {
  std::tm t{};
  t.tm_year = std::stoi(yyyymmdd.substr(0, 4)) - 1900;
  t.tm_mon = std::stoi(yyyymmdd.substr(4, 2)) - 1;
  t.tm_mday = std::stoi(yyyymmdd.substr(6, 2));
  return static_cast<int>(timegm(&t) / 86400);
}

// The papers' calibration period: purchases to 1997-09-30, summarised here
// independently of segmentd's SQL (same-day purchases are one).
PurchaseSummary cdnow_calibration() {
  std::ifstream in(cdnow_sample());
  std::string id, index, date;
  int cds = 0;
  double value = 0;
  const int end = day_number("19970930");
  std::map<std::string, std::map<int, double>> days;
  while (in >> id >> index >> date >> cds >> value) {
    if (day_number(date) <= end) days[id][day_number(date)] += value;
  }
  std::map<std::tuple<int, int, int>, std::uint64_t> recency;
  std::map<std::pair<int, double>, std::uint64_t> spend;
  for (const auto& [customer, d] : days) {
    const int first = d.begin()->first, last = d.rbegin()->first, x = static_cast<int>(d.size()) - 1;
    ++recency[{x, last - first, end - first}];
    if (x == 0) continue;
    double repeat = 0;
    for (auto it = std::next(d.begin()); it != d.end(); ++it) repeat += it->second;
    ++spend[{x, repeat / x}];
  }
  PurchaseSummary s;
  for (const auto& [k, n] : recency) {
    s.recency.push_back({static_cast<std::uint32_t>(std::get<0>(k)), static_cast<std::uint32_t>(std::get<1>(k)),
                         static_cast<std::uint32_t>(std::get<2>(k)), n});
  }
  for (const auto& [k, n] : spend) s.spend.push_back({static_cast<std::uint32_t>(k.first), k.second, n});
  return s;
}

// The published fits, weekly α converted to days (4.414 × 7).
const BgNbdParams kPublished{0.243, 4.414 * 7, 0.793, 2.426};

TEST(BgNbd, ReproducesThePublishedCdnowFit) {
  ASSERT_FALSE(cdnow_sample().empty()) << "no ../shared/cdnow/CDNOW_sample.txt";
  const PurchaseSummary s = cdnow_calibration();
  ASSERT_EQ(s.customers(), 2357u);
  const BgNbdFit fit = fit_bgnbd(s);
  EXPECT_TRUE(fit.report.converged) << fit.report.stop_reason;
  EXPECT_FALSE(fit.report.at_bound);
  EXPECT_NEAR(fit.params.r, 0.243, 0.0005);
  EXPECT_NEAR(fit.params.alpha / 7, 4.414, 0.001);
  EXPECT_NEAR(fit.params.a, 0.793, 0.0005);
  EXPECT_NEAR(fit.params.b, 2.426, 0.0005);
  // In days each purchase's density is 1/7 of its density in weeks.
  double purchases = 0;
  for (const auto& g : s.recency) purchases += static_cast<double>(g.x * g.customers);
  EXPECT_NEAR(fit.report.log_likelihood + purchases * std::log(7.0), -9582.4, 0.05);
  // Fitted on the distinct summaries, not on every customer.
  EXPECT_LT(s.recency.size(), s.customers() / 2);
}

TEST(Likelihoods, TheGroupedSumsEqualThePerCustomerTerms) {
  ASSERT_FALSE(cdnow_sample().empty());
  const PurchaseSummary s = cdnow_calibration();
  double bg = 0, gg = 0;
  const GammaGammaParams g{6.25, 3.74, 15.44};
  for (const auto& r : s.recency)
    bg += static_cast<double>(r.customers) * bgnbd_log_likelihood(kPublished, r.x, r.t_x, r.T);
  for (const auto& c : s.spend)
    gg += static_cast<double>(c.customers) * gamma_gamma_log_likelihood(g, c.x, c.mean_spend);
  EXPECT_NEAR(bgnbd_log_likelihood(kPublished, s), bg, 1e-7 * std::abs(bg));
  EXPECT_NEAR(gamma_gamma_log_likelihood(g, s), gg, 1e-7 * std::abs(gg));
}

TEST(GammaGamma, ReproducesThePublishedCdnowFit) {
  ASSERT_FALSE(cdnow_sample().empty());
  const PurchaseSummary s = cdnow_calibration();
  EXPECT_EQ(s.repeat_customers(), 946u);
  const GammaGammaFit fit = fit_gamma_gamma(s);
  EXPECT_TRUE(fit.report.converged) << fit.report.stop_reason;
  EXPECT_NEAR(fit.params.p, 6.25, 0.005);
  EXPECT_NEAR(fit.params.q, 3.74, 0.005);
  EXPECT_NEAR(fit.params.gamma, 15.44, 0.01);
}

// SciPy 1.10 (python3-scipy): eq. 10 and 11 as printed, with hyp2f1, in
// weeks with the published parameters: (x, t_x, T, t) → P(alive), E.
struct Independent {
  unsigned x;
  double t_x, T, t, p_alive, expected;
};
const Independent kScipy[] = {
    {0, 0, 38.86, 39, 1.0, 0.19509805201125396},
    {2, 30.43, 38.86, 39, 0.726578570080673, 1.226028174767135},
    {1, 1.71, 38.86, 52, 0.2121009853773791, 0.2598234648686216},
    {7, 35.14, 38.86, 39, 0.8471234841586983, 4.40493688122044},
    {2, 5, 38.86, 10, 0.12367892265004961, 0.060764358364603546},
    {20, 37, 38.86, 52, 0.9173747987837102, 16.275896950874504},
};

TEST(BgNbd, ConditionalExpectationMatchesAnIndependentComputation) {
  for (const auto& c : kScipy) {
    SCOPED_TRACE("x=" + std::to_string(c.x) + " t_x=" + std::to_string(c.t_x));
    // The same customer in days: every time times 7, α per day.
    EXPECT_NEAR(p_alive(kPublished, c.x, c.t_x * 7, c.T * 7), c.p_alive, 1e-9);
    EXPECT_NEAR(expected_purchases(kPublished, c.x, c.t_x * 7, c.T * 7, c.t * 7), c.expected, 1e-7 * c.expected);
  }
}

TEST(BgNbd, PAliveIsOneWithoutRepeatsAndFallsWithTime) {
  EXPECT_EQ(p_alive(kPublished, 0, 0, 10), 1.0);
  EXPECT_EQ(p_alive(kPublished, 0, 0, 400), 1.0);
  double previous = 1.0;
  for (double T = 30; T <= 720; T += 30) {
    const double p = p_alive(kPublished, 3, 30, T);
    EXPECT_LT(p, previous) << "T=" << T;
    previous = p;
  }
}

TEST(BgNbd, LargePurchaseCountsStayFinite) {
  // (1-z)^(r+x) 2F1(r+x, b+x; ...) taken directly overflows near x = 300.
  for (const unsigned x : {300u, 1000u, 5000u}) {
    const double e = expected_purchases(kPublished, x, 700, 700, 365);
    EXPECT_TRUE(std::isfinite(e)) << x;
    EXPECT_GT(e, 0) << x;
    EXPECT_TRUE(std::isfinite(bgnbd_log_likelihood(kPublished, x, 700, 700))) << x;
    EXPECT_GE(p_alive(kPublished, x, 1, 700), 0.0);
  }
}

TEST(BgNbd, ExpectedPurchasesGrowWithTheHorizon) {
  double previous = 0;
  for (const double t : {1.0, 30.0, 90.0, 365.0, 3650.0}) {
    const double e = expected_purchases(kPublished, 2, 100, 200, t);
    EXPECT_GT(e, previous) << t;
    previous = e;
  }
}

TEST(GroupPredictions, DiscountOnlyLowersTheValue) {
  const RecencyGroup g{2, 150, 250, 1};
  const auto plain = predict_group(kPublished, g, {30, 365}, 0);
  ASSERT_EQ(plain.expected.size(), 2u);
  EXPECT_EQ(plain.expected, plain.discounted);
  EXPECT_DOUBLE_EQ(plain.expected[1], expected_purchases(kPublished, 2, 150, 250, 365));
  const auto discounted = predict_group(kPublished, g, {30, 365}, 0.10);
  EXPECT_DOUBLE_EQ(discounted.expected[1], plain.expected[1]);
  EXPECT_LT(discounted.discounted[1], plain.expected[1]);
  // Bounded below by discounting everything a whole year.
  EXPECT_GT(discounted.discounted[1], plain.expected[1] / 1.10);
}

TEST(GammaGamma, ExpectedSpendShrinksTowardsThePopulationMean) {
  const GammaGammaParams g{6.25, 3.74, 15.44};
  const double mean = population_mean_spend(g);
  EXPECT_NEAR(mean, 6.25 * 15.44 / 2.74, 1e-9);
  EXPECT_DOUBLE_EQ(expected_spend(g, 0, 0), mean);
  // A big spender is expected to spend less than they did, more than the mean;
  // the more purchases, the closer to their own mean.
  const double one = expected_spend(g, 1, 100), ten = expected_spend(g, 10, 100);
  EXPECT_GT(one, mean);
  EXPECT_LT(one, 100);
  EXPECT_GT(ten, one);
  EXPECT_LT(ten, 100);
}

PurchaseSummary tiny(std::uint64_t customers, std::uint64_t repeat, std::uint32_t T) {
  PurchaseSummary s;
  s.recency.push_back({0, 0, T, customers - repeat});
  if (repeat > 0) s.recency.push_back({1, T / 2, T, repeat});
  return s;
}

TEST(PredictionGate, RefusesThinDataNamingTheSetting) {
  PredictionsConfig c;
  EXPECT_EQ(refuse_data(c, tiny(1000, 100, 365)), std::nullopt);
  auto why = refuse_data(c, tiny(50, 40, 365));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("predictions.min_customers"), std::string::npos) << *why;
  why = refuse_data(c, tiny(1000, 10, 365));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("predictions.min_repeat_customers"), std::string::npos) << *why;
  why = refuse_data(c, tiny(1000, 100, 20));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("predictions.min_history_days"), std::string::npos) << *why;
}

TEST(PredictionGate, RefusesAFitThatDidNotSettle) {
  BgNbdFit b;
  GammaGammaFit g;
  b.report.converged = g.report.converged = true;
  g.params.q = 3;
  EXPECT_EQ(refuse_fits(b, g), std::nullopt);
  b.report.at_bound = true;
  EXPECT_NE(refuse_fits(b, g).value_or("").find("bound"), std::string::npos);
  b.report.at_bound = false;
  g.report.converged = false;
  g.report.stop_reason = "evaluation limit reached";
  EXPECT_NE(refuse_fits(b, g).value_or("").find("Gamma-Gamma fit did not converge"), std::string::npos);
  g.report.converged = true;
  g.params.q = 0.9;
  EXPECT_NE(refuse_fits(b, g).value_or("").find("q <= 1"), std::string::npos);
}

TEST(BgNbd, AFitOnDataWithoutRepeatsRunsToABound) {
  // Nobody came back: the likelihood is best as the purchase rate goes to
  // zero, which the gate must see as a runaway fit.
  PurchaseSummary s;
  s.recency.push_back({0, 0, 100, 500});
  s.recency.push_back({0, 0, 300, 500});
  const BgNbdFit fit = fit_bgnbd(s);
  EXPECT_TRUE(fit.report.at_bound || !fit.report.converged);
}

}  // namespace
}  // namespace segmentd::predict
