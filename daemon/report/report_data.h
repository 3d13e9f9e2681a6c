#pragma once
// Everything the segment report shows, read from the report views
// (sql/routines/R040__report_views.sql, vw_segment_transitions) of the
// newest successful refresh. Figures stay as the database's text (decimals
// exact); charts parse them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace segmentd {

class DbSession;

struct ReportHeader {
  std::uint64_t run_id = 0;  // 0: no successful refresh yet
  std::string started_at, finished_at, as_of_date;
  std::string scoring_method, counted_statuses;
  std::uint64_t customers = 0;
  std::string first_purchase, last_purchase;  // the data window
  std::uint64_t files_loaded_total = 0;
  std::vector<std::string> files_since_previous;  // ledger names, as stored
};

struct ReportSegment {
  std::string name;
  std::uint64_t customers = 0;
  std::string share_pct, revenue, revenue_share_pct;
  std::string avg_spend, avg_frequency, avg_recency_days;  // empty when the segment is empty
  std::string description, recommended_action;
};

struct ReportCell {
  int r = 0, f = 0;
  std::uint64_t customers = 0;
  std::string avg_monetary;
};

struct ReportBin {
  std::string metric, label;
  std::uint64_t customers = 0;
};

struct ReportFlow {
  std::string from, to;  // "(new)" / "(gone)" for customers in one run only
  std::uint64_t customers = 0;
};

struct ReportTrendPoint {
  std::uint64_t run_id = 0;
  std::string started_at, segment;
  std::uint64_t customers = 0;
};

struct ReportRunFigures {  // one run, summed over segments
  std::uint64_t customers = 0, repeat_customers = 0;
  std::string champions_revenue = "0", loyal_revenue = "0";
};

struct ReportDataQuality {
  std::uint64_t files = 0, files_loaded = 0, files_quarantined = 0, rows_loaded = 0, rows_rejected = 0;
  std::vector<std::pair<std::string, std::uint64_t>> reference_checks;  // check name, rows
};

// The predictions in place (doc/PREDICTIONS.md), when any step ran.
struct ReportPredictionSegment {
  std::string segment;
  std::uint64_t customers = 0;
  std::string avg_p_alive, predicted_value;
};
struct ReportAtRisk {
  std::string customer;  // an e-mail key shown masked (report_html.cpp)
  std::string segment, monetary, p_alive, predicted_value;
};
struct ReportPredictions {
  std::uint64_t step_run_id = 0;                    // the newest finished step; 0: none
  std::string status, reason;                       // of that step
  std::uint64_t predictions_run_id = 0;             // the run the predictions in place follow; 0: none
  std::string value_column;                         // predicted_value_<H>d of the longest horizon
  std::vector<ReportPredictionSegment> by_segment;  // by predicted value, largest first
  std::vector<ReportAtRisk> at_risk;                // the largest spenders with P(alive) < 0.5
};

struct ReportData {
  ReportHeader header;
  std::vector<ReportSegment> segments;  // by rule priority
  std::vector<ReportCell> heatmap;      // non-empty cells
  std::vector<ReportBin> distribution;  // recency, frequency, monetary; bins in order
  std::uint64_t previous_run_id = 0;    // 0: no previous successful refresh
  std::vector<ReportFlow> movement;
  std::vector<ReportTrendPoint> trend;  // the last trend_runs runs, oldest first
  ReportRunFigures latest, previous;
  std::uint64_t new_customers = 0, lost_to_lost = 0;
  ReportDataQuality quality;
  ReportPredictions predictions;
};

// Reads the report of the newest successful refresh (header.run_id 0 when
// there is none). The caller holds the refresh lock when the figures must
// all come from one run (write_report does).
ReportData read_report_data(DbSession& db, unsigned trend_runs = 12);

}  // namespace segmentd
