#include "report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

namespace segmentd {

namespace {

// One colour per segment, by rule order; readable on white, distinct in print.
constexpr const char* kPalette[] = {"#1b7837", "#2166ac", "#5aae61", "#8073ac", "#b2182b",
                                    "#e08214", "#35978f", "#c51b7d", "#762a83", "#4d4d4d"};

std::string grouped(const std::string& number) {
  // "1234567.89" -> "1,234,567.89"; anything else as it is.
  const std::size_t dot = number.find('.');
  std::string whole = number.substr(0, dot);
  const std::string rest = dot == std::string::npos ? "" : number.substr(dot);
  std::string sign;
  if (!whole.empty() && whole[0] == '-') {
    sign = "-";
    whole.erase(0, 1);
  }
  if (whole.empty() || whole.find_first_not_of("0123456789") != std::string::npos) return number;
  std::string out;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) out += ',';
    out += whole[i];
  }
  return sign + out + rest;
}

double number(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stod(s);
  } catch (const std::exception&) {
    return 0;
  }
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

class Page {
 public:
  std::string str() const { return out_.str(); }
  Page& operator<<(const std::string& s) {
    out_ << s;
    return *this;
  }
  // A table cell holding a figure: shown grouped, the raw value in data-v.
  void figure(const std::string& key, const std::string& raw, const std::string& cls = "num") {
    out_ << "<td class=\"" << cls << "\" data-k=\"" << html_escape(key) << "\" data-v=\"" << html_escape(raw) << "\">"
         << (raw.empty() ? "&ndash;" : html_escape(grouped(raw))) << "</td>";
  }
  void figure(const std::string& key, std::uint64_t v) { figure(key, std::to_string(v)); }

 private:
  std::ostringstream out_;
};

const char* kStyle = R"(
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 0; background: #fafafa; }
main { max-width: 980px; margin: 0 auto; padding: 16px; }
header { background: #fff; border-bottom: 1px solid #ddd; padding: 16px; }
header h1 { margin: 0 0 8px; font-size: 24px; max-width: 980px; margin-left: auto; margin-right: auto; }
header dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 auto; max-width: 980px; }
dt { color: #666; } dd { margin: 0; }
section { background: #fff; border: 1px solid #e3e3e3; border-radius: 6px; padding: 12px 16px; margin: 16px 0; break-inside: avoid; }
h2 { font-size: 19px; margin: 4px 0 10px; }
h3 { font-size: 16px; margin: 12px 0 4px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
table.grid td { text-align: center; border: 1px solid #fff; min-width: 56px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
svg { width: 100%; height: auto; display: block; }
svg text { font: 12px system-ui, sans-serif; fill: #333; }
.note { color: #666; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 12px; }
.action { border-left: 4px solid #ccc; padding-left: 10px; margin: 10px 0; }
@media print { body { background: #fff; } section { border: none; padding: 0; } }
)";

std::string colour_of(const std::map<std::string, std::size_t>& order, const std::string& segment) {
  const auto at = order.find(segment);
  const std::size_t i = at == order.end() ? order.size() : at->second;
  return kPalette[i % (sizeof kPalette / sizeof *kPalette)];
}

void header_section(Page& p, const ReportData& d, const std::string& generated_at) {
  const ReportHeader& h = d.header;
  p << "<header><h1>Customer segments</h1><dl>";
  const auto row = [&](const std::string& term, const std::string& key, const std::string& value) {
    p << "<dt>" + term + "</dt><dd data-k=\"" + key + "\" data-v=\"" + html_escape(value) + "\">" +
             html_escape(value.empty() ? "n/a" : value) + "</dd>";
  };
  row("Refresh run", "header.run_id", std::to_string(h.run_id));
  row("As of", "header.as_of", h.as_of_date);
  row("Scoring", "header.method", h.scoring_method);
  row("Counted statuses", "header.statuses", h.counted_statuses);
  row("Customers", "header.customers", std::to_string(h.customers));
  row("Data window", "header.window", h.first_purchase + " to " + h.last_purchase);
  row("Refreshed (UTC)", "header.finished_at", h.finished_at);
  row("Compared with run", "header.previous_run_id", d.previous_run_id ? std::to_string(d.previous_run_id) : "");
  row("Files loaded", "header.files_loaded", std::to_string(h.files_loaded_total));
  p << "<dt>Files since the previous refresh</dt><dd>";
  if (h.files_since_previous.empty()) p << "none";
  for (std::size_t i = 0; i < h.files_since_previous.size(); ++i) {
    const std::string& name = h.files_since_previous[i];
    const std::size_t slash = name.rfind('/');
    p << (i ? ", " : "")
      << "<span title=\"" + html_escape(name) + "\">" +
             html_escape(slash == std::string::npos ? name : name.substr(slash + 1)) + "</span>";
  }
  p << "</dd><dt>Report made (UTC)</dt><dd>" + html_escape(generated_at) + "</dd></dl></header>";
}

void segments_section(Page& p, const ReportData& d, const std::map<std::string, std::size_t>& order) {
  p << "<section id=\"segments\" aria-labelledby=\"h-segments\"><h2 id=\"h-segments\">Segments</h2>";
  // Bar chart of customers per segment.
  std::uint64_t most = 1;
  for (const auto& s : d.segments) most = std::max(most, s.customers);
  const int row_h = 30, label_w = 170, width = 640;
  const int height = row_h * static_cast<int>(std::max<std::size_t>(d.segments.size(), 1)) + 10;
  p << "<svg viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
           "\" role=\"img\" aria-labelledby=\"t-seg\"><title id=\"t-seg\">Customers per segment (bar chart; the "
           "table below has the figures)</title>";
  int y = 5;
  for (const auto& s : d.segments) {
    const double w = (width - label_w - 140) * static_cast<double>(s.customers) / static_cast<double>(most);
    p << "<text x=\"0\" y=\"" + std::to_string(y + 19) + "\">" + html_escape(s.name) + "</text>";
    p << "<rect x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y + 4) + "\" width=\"" + fixed(w, 1) +
             "\" height=\"" + std::to_string(row_h - 8) + "\" fill=\"" + colour_of(order, s.name) + "\"><title>" +
             html_escape(s.name + ": " + grouped(std::to_string(s.customers)) + " customers (" + s.share_pct + "%)") +
             "</title></rect>";
    p << "<text x=\"" + fixed(label_w + w + 6, 1) + "\" y=\"" + std::to_string(y + 19) + "\">" +
             grouped(std::to_string(s.customers)) + " (" + html_escape(s.share_pct) + "%)</text>";
    y += row_h;
  }
  p << "</svg><div class=\"scroll\"><table><caption class=\"sr-only\">Segments</caption><thead><tr>"
       "<th>Segment</th><th class=\"num\">Customers</th><th class=\"num\">Share %</th><th class=\"num\">Revenue</th>"
       "<th class=\"num\">Revenue %</th><th class=\"num\">Avg spend</th><th class=\"num\">Avg orders</th>"
       "<th class=\"num\">Avg recency (days)</th></tr></thead><tbody>";
  for (const auto& s : d.segments) {
    const std::string k = "segment." + s.name + ".";
    p << "<tr><th scope=\"row\"><span class=\"swatch\" style=\"background:" + colour_of(order, s.name) + "\"></span>" +
             html_escape(s.name) + "</th>";
    p.figure(k + "customers", s.customers);
    p.figure(k + "share_pct", s.share_pct);
    p.figure(k + "revenue", s.revenue);
    p.figure(k + "revenue_share_pct", s.revenue_share_pct);
    p.figure(k + "avg_spend", s.avg_spend);
    p.figure(k + "avg_frequency", s.avg_frequency);
    p.figure(k + "avg_recency_days", s.avg_recency_days);
    p << "</tr>";
  }
  p << "</tbody></table></div></section>";
}

void heatmap_table(Page& p, const ReportData& d, bool monetary) {
  std::map<std::pair<int, int>, const ReportCell*> cells;
  double most = 0;
  for (const auto& c : d.heatmap) {
    cells[{c.r, c.f}] = &c;
    most = std::max(most, monetary ? number(c.avg_monetary) : static_cast<double>(c.customers));
  }
  const std::string what = monetary ? "avg_monetary" : "customers";
  p << "<h3>" << (monetary ? "Average monetary value" : "Customers") << " by R (rows) and F (columns)</h3>";
  p << "<div class=\"scroll\"><table class=\"grid\"><caption class=\"sr-only\">" +
           std::string(monetary ? "Average monetary value" : "Customers") +
           " by recency score and frequency score</caption><thead><tr><th>R \\ F</th>";
  for (int f = 1; f <= 5; ++f) p << "<th scope=\"col\">F" + std::to_string(f) + "</th>";
  p << "</tr></thead><tbody>";
  for (int r = 5; r >= 1; --r) {
    p << "<tr><th scope=\"row\">R" + std::to_string(r) + "</th>";
    for (int f = 1; f <= 5; ++f) {
      const auto at = cells.find({r, f});
      const std::string raw = at == cells.end() ? (monetary ? "" : "0")
                              : monetary        ? at->second->avg_monetary
                                                : std::to_string(at->second->customers);
      const double share = most > 0 ? number(raw) / most : 0;
      const std::string bg = "rgba(33,102,172," + fixed(0.08 + 0.8 * share, 2) + ")";
      const std::string fg = share > 0.55 ? "#fff" : "#222";
      p << "<td style=\"background:" + bg + ";color:" + fg + "\" data-k=\"heat." + what + ".r" + std::to_string(r) +
               "f" + std::to_string(f) + "\" data-v=\"" + html_escape(raw) + "\">" +
               (raw.empty() ? "&ndash;" : html_escape(grouped(raw))) + "</td>";
    }
    p << "</tr>";
  }
  p << "</tbody></table></div>";
}

void histogram(Page& p, const ReportData& d, const std::string& metric, const std::string& title,
               const std::string& unit) {
  std::vector<const ReportBin*> bins;
  std::uint64_t most = 1;
  for (const auto& b : d.distribution) {
    if (b.metric != metric) continue;
    bins.push_back(&b);
    most = std::max(most, b.customers);
  }
  const int width = 320, height = 200, left = 40, bottom = 40;
  const double slot = bins.empty() ? 0 : static_cast<double>(width - left - 6) / static_cast<double>(bins.size());
  p << "<figure><svg viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
           "\" role=\"img\" aria-labelledby=\"t-" + metric + "\"><title id=\"t-" + metric + "\">" + html_escape(title) +
           " (histogram of customers)</title>";
  p << "<line x1=\"" + std::to_string(left) + "\" y1=\"" + std::to_string(height - bottom) + "\" x2=\"" +
           std::to_string(width) + "\" y2=\"" + std::to_string(height - bottom) + "\" stroke=\"#999\"/>";
  p << "<text x=\"0\" y=\"12\">" + grouped(std::to_string(most)) + "</text><text x=\"0\" y=\"" +
           std::to_string(height - bottom) + "\">0</text>";
  for (std::size_t i = 0; i < bins.size(); ++i) {
    const double h = (height - bottom - 20) * static_cast<double>(bins[i]->customers) / static_cast<double>(most);
    const double x = left + 3 + slot * static_cast<double>(i);
    p << "<rect x=\"" + fixed(x, 1) + "\" y=\"" + fixed(height - bottom - h, 1) + "\" width=\"" +
             fixed(std::max(slot - 3, 1.0), 1) + "\" height=\"" + fixed(h, 1) + "\" fill=\"#2166ac\"><title>" +
             html_escape(bins[i]->label + " " + unit + ": " + grouped(std::to_string(bins[i]->customers)) +
                         " customers") +
             "</title></rect>";
    p << "<text transform=\"translate(" + fixed(x + slot / 2, 1) + "," + std::to_string(height - bottom + 8) +
             ") rotate(45)\" font-size=\"10\">" + html_escape(bins[i]->label) + "</text>";
  }
  p << "<text x=\"" + std::to_string(width / 2) + "\" y=\"" + std::to_string(height - 2) +
           "\" text-anchor=\"middle\">" + html_escape(unit) + "</text></svg><figcaption>" + html_escape(title) +
           "</figcaption></figure>";
  p << "<table class=\"sr-only\"><caption>" + html_escape(title) + "</caption><tbody>";
  for (const auto* b : bins) {
    p << "<tr><th scope=\"row\">" + html_escape(b->label) + "</th>";
    p.figure("dist." + metric + "." + b->label, b->customers);
    p << "</tr>";
  }
  p << "</tbody></table>";
}

void movement_section(Page& p, const ReportData& d) {
  p << "<section id=\"movement\" aria-labelledby=\"h-move\"><h2 id=\"h-move\">Movement since the previous "
       "refresh</h2>";
  if (d.previous_run_id == 0) {
    p << "<p class=\"note\" data-k=\"movement.none\">There is no previous successful refresh to compare with: "
         "this is the first.</p></section>";
    return;
  }
  std::vector<std::string> froms, tos;
  std::map<std::pair<std::string, std::string>, std::uint64_t> count;
  std::map<std::string, std::uint64_t> from_total;
  for (const auto& s : d.segments) {
    froms.push_back(s.name);
    tos.push_back(s.name);
  }
  for (const auto& f : d.movement) {
    count[{f.from, f.to}] += f.customers;
    from_total[f.from] += f.customers;
    if (std::find(froms.begin(), froms.end(), f.from) == froms.end() && f.from != "(new)") froms.push_back(f.from);
    if (std::find(tos.begin(), tos.end(), f.to) == tos.end() && f.to != "(gone)") tos.push_back(f.to);
  }
  froms.push_back("(new)");
  tos.push_back("(gone)");
  std::vector<const ReportFlow*> changes;
  for (const auto& f : d.movement) {
    if (f.from != f.to && f.from != "(new)" && f.to != "(gone)") changes.push_back(&f);
  }
  std::sort(changes.begin(), changes.end(),
            [](const ReportFlow* a, const ReportFlow* b) { return a->customers > b->customers; });
  p << "<p>Compared with refresh run " + std::to_string(d.previous_run_id) + ".</p>";
  if (changes.empty()) {
    p << "<p data-k=\"movement.unchanged\">No customer changed segment.</p>";
  } else {
    p << "<ul>";
    for (std::size_t i = 0; i < changes.size() && i < 3; ++i) {
      p << "<li>" + grouped(std::to_string(changes[i]->customers)) + " " + html_escape(changes[i]->from) + " became " +
               html_escape(changes[i]->to) + "</li>";
    }
    p << "</ul>";
  }
  p << "<div class=\"scroll\"><table class=\"grid\"><caption>Customers by segment in run " +
           std::to_string(d.previous_run_id) + " (rows) and in run " + std::to_string(d.header.run_id) +
           " (columns), with the share of the row</caption><thead><tr><th>from \\ to</th>";
  for (const auto& t : tos) p << "<th scope=\"col\">" + html_escape(t) + "</th>";
  p << "</tr></thead><tbody>";
  for (const auto& f : froms) {
    p << "<tr><th scope=\"row\">" + html_escape(f) + "</th>";
    for (const auto& t : tos) {
      const auto at = count.find({f, t});
      const std::uint64_t n = at == count.end() ? 0 : at->second;
      const double share = from_total[f] ? static_cast<double>(n) / static_cast<double>(from_total[f]) : 0;
      p << "<td style=\"background:rgba(224,130,20," + fixed(n ? 0.08 + 0.7 * share : 0, 2) + ")\" data-k=\"move." +
               html_escape(f) + "." + html_escape(t) + "\" data-v=\"" + std::to_string(n) + "\">" +
               grouped(std::to_string(n)) + (n ? "<br><small>" + fixed(100 * share, 1) + "%</small>" : "") + "</td>";
    }
    p << "</tr>";
  }
  p << "</tbody></table></div></section>";
}

void trend_section(Page& p, const ReportData& d, const std::map<std::string, std::size_t>& order) {
  p << "<section id=\"trend\" aria-labelledby=\"h-trend\"><h2 id=\"h-trend\">Trend</h2>";
  std::vector<std::uint64_t> runs;
  std::map<std::string, std::map<std::uint64_t, std::uint64_t>> series;
  std::map<std::uint64_t, std::string> when;
  std::uint64_t most = 1;
  for (const auto& t : d.trend) {
    if (runs.empty() || runs.back() != t.run_id) runs.push_back(t.run_id);
    series[t.segment][t.run_id] = t.customers;
    when[t.run_id] = t.started_at;
    most = std::max(most, t.customers);
  }
  if (runs.size() < 2) {
    p << "<p class=\"note\" data-k=\"trend.short\">Segment sizes over time appear from the second refresh "
         "on.</p></section>";
    return;
  }
  const int width = 640, height = 260, left = 60, right = 150, top = 10, bottom = 40;
  const double step = static_cast<double>(width - left - right) / static_cast<double>(runs.size() - 1);
  const auto y_of = [&](std::uint64_t v) {
    return top + (height - top - bottom) * (1 - static_cast<double>(v) / static_cast<double>(most));
  };
  p << "<svg viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
           "\" role=\"img\" aria-labelledby=\"t-trend\"><title id=\"t-trend\">Customers per segment over the last " +
           std::to_string(runs.size()) + " successful refreshes (line chart; the table below has the figures)</title>";
  p << "<text x=\"0\" y=\"" + std::to_string(top + 10) + "\">" + grouped(std::to_string(most)) +
           "</text><text x=\"0\" y=\"" + std::to_string(height - bottom) + "\">0</text>";
  p << "<line x1=\"" + std::to_string(left) + "\" y1=\"" + std::to_string(height - bottom) + "\" x2=\"" +
           std::to_string(width - right) + "\" y2=\"" + std::to_string(height - bottom) + "\" stroke=\"#999\"/>";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    p << "<text x=\"" + fixed(left + step * static_cast<double>(i), 1) + "\" y=\"" +
             std::to_string(height - bottom + 16) + "\" text-anchor=\"middle\" font-size=\"10\">#" +
             std::to_string(runs[i]) + "</text>";
  }
  int legend_y = top + 12;
  for (const auto& s : d.segments) {
    const auto at = series.find(s.name);
    if (at == series.end()) continue;
    std::string points;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const auto v = at->second.find(runs[i]);
      points += fixed(left + step * static_cast<double>(i), 1) + "," +
                fixed(y_of(v == at->second.end() ? 0 : v->second), 1) + " ";
    }
    const std::string colour = colour_of(order, s.name);
    p << "<polyline fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2.5\" points=\"" + points + "\"><title>" +
             html_escape(s.name) + "</title></polyline>";
    p << "<rect x=\"" + std::to_string(width - right + 10) + "\" y=\"" + std::to_string(legend_y - 9) +
             "\" width=\"10\" height=\"10\" fill=\"" + colour + "\"/><text x=\"" + std::to_string(width - right + 24) +
             "\" y=\"" + std::to_string(legend_y) + "\">" + html_escape(s.name) + "</text>";
    legend_y += 18;
  }
  p << "</svg><table class=\"sr-only\"><caption>Customers per segment by refresh run</caption><thead><tr>"
       "<th>Segment</th>";
  for (const auto r : runs) p << "<th class=\"num\">run " + std::to_string(r) + " (" + html_escape(when[r]) + ")</th>";
  p << "</tr></thead><tbody>";
  for (const auto& [segment, values] : series) {
    p << "<tr><th scope=\"row\">" + html_escape(segment) + "</th>";
    for (const auto r : runs) {
      const auto v = values.find(r);
      p.figure("trend." + segment + "." + std::to_string(r), v == values.end() ? 0 : v->second);
    }
    p << "</tr>";
  }
  p << "</tbody></table></section>";
}

void lifecycle_section(Page& p, const ReportData& d) {
  p << "<section id=\"lifecycle\" aria-labelledby=\"h-life\"><h2 id=\"h-life\">Lifecycle health</h2>"
       "<div class=\"scroll\"><table><thead><tr><th>Measure</th><th class=\"num\">This run</th>"
       "<th class=\"num\">Previous run</th><th class=\"num\">Change</th></tr></thead><tbody>";
  const bool prev = d.previous_run_id != 0;
  const auto row = [&](const std::string& label, const std::string& key, const std::string& now,
                       const std::string& before, int digits) {
    p << "<tr><th scope=\"row\">" + label + "</th>";
    p.figure("life." + key + ".now", now);
    p.figure("life." + key + ".previous", prev ? before : "");
    p.figure("life." + key + ".change", prev && !before.empty() ? fixed(number(now) - number(before), digits) : "");
    p << "</tr>";
  };
  row("Customers", "customers", std::to_string(d.latest.customers), std::to_string(d.previous.customers), 0);
  row("Returning customers (2+ orders)", "returning", std::to_string(d.latest.repeat_customers),
      std::to_string(d.previous.repeat_customers), 0);
  row("Revenue in Champions", "champions_revenue", d.latest.champions_revenue, d.previous.champions_revenue, 2);
  row("Revenue in Loyal Customers", "loyal_revenue", d.latest.loyal_revenue, d.previous.loyal_revenue, 2);
  p << "<tr><th scope=\"row\">New customers (not in the previous run)</th>";
  p.figure("life.new.now", prev ? std::to_string(d.new_customers) : "");
  p << "<td></td><td></td></tr><tr><th scope=\"row\">Moved into Lost Customers</th>";
  p.figure("life.lost.now", prev ? std::to_string(d.lost_to_lost) : "");
  p << "<td></td><td></td></tr></tbody></table></div></section>";
}

void quality_section(Page& p, const ReportData& d) {
  const ReportDataQuality& q = d.quality;
  p << "<section id=\"quality\" aria-labelledby=\"h-quality\"><h2 id=\"h-quality\">Data quality since the previous "
       "refresh</h2><div class=\"scroll\"><table><tbody>";
  const auto row = [&](const std::string& label, const std::string& key, std::uint64_t v) {
    p << "<tr><th scope=\"row\">" + label + "</th>";
    p.figure("quality." + key, v);
    p << "</tr>";
  };
  row("Files received", "files", q.files);
  row("Files loaded", "files_loaded", q.files_loaded);
  row("Files quarantined", "files_quarantined", q.files_quarantined);
  row("Rows loaded", "rows_loaded", q.rows_loaded);
  row("Rows rejected", "rows_rejected", q.rows_rejected);
  for (const auto& [name, n] : q.reference_checks) {
    std::string label = name;
    std::replace(label.begin(), label.end(), '_', ' ');
    row("Dangling references: " + html_escape(label), "ref." + name, n);
  }
  p << "</tbody></table></div></section>";
}

// "alice@example.com" as "a***@example.com": the report is a file people
// forward; an e-mail address is personal data.
std::string masked(const std::string& customer) {
  const auto at = customer.find('@');
  if (at == std::string::npos || at == 0) return customer;
  return customer.substr(0, 1) + "***" + customer.substr(at);
}

void predictions_section(Page& p, const ReportData& d) {
  const ReportPredictions& pr = d.predictions;
  if (pr.step_run_id == 0) return;
  p << "<section id=\"predictions\" aria-labelledby=\"h-pred\"><h2 id=\"h-pred\">Predictions</h2>";
  if (pr.status != "available") {
    p << "<p class=\"note\" data-k=\"predictions.status\">The newest prediction step (run " +
             std::to_string(pr.step_run_id) + ") is " + html_escape(pr.status) + ": " + html_escape(pr.reason) +
             (pr.predictions_run_id != 0
                  ? ". Shown: the predictions of run " + std::to_string(pr.predictions_run_id) + "."
                  : ".") +
             "</p>";
  }
  if (pr.by_segment.empty()) {
    p << "</section>";
    return;
  }
  const std::string horizon = pr.value_column.substr(16, pr.value_column.size() - 17);
  p << "<p class=\"note\">BG/NBD and Gamma-Gamma (doc/PREDICTIONS.md), run " + std::to_string(pr.predictions_run_id) +
           "; predicted value over the next " + html_escape(horizon) +
           " days.</p>"
           "<div class=\"scroll\"><table><thead><tr><th>Segment</th><th class=\"num\">Customers</th>"
           "<th class=\"num\">Mean P(alive)</th><th class=\"num\">Predicted value</th></tr></thead><tbody>";
  for (const auto& s : pr.by_segment) {
    const std::string k = "pred." + s.segment + ".";
    p << "<tr><th scope=\"row\">" + html_escape(s.segment) + "</th>";
    p.figure(k + "customers", s.customers);
    p.figure(k + "p_alive", s.avg_p_alive);
    p.figure(k + "value", s.predicted_value);
    p << "</tr>";
  }
  p << "</tbody></table></div><h3>Valuable customers most at risk</h3>";
  if (pr.at_risk.empty()) {
    p << "<p class=\"note\" data-k=\"pred.at_risk.none\">No customer with P(alive) below 0.5.</p></section>";
    return;
  }
  p << "<p class=\"note\">The largest spenders so far whose P(alive) is below 0.5.</p><div class=\"scroll\"><table>"
       "<thead><tr><th>Customer</th><th>Segment</th><th class=\"num\">Spent</th><th class=\"num\">P(alive)</th>"
       "<th class=\"num\">Predicted value</th></tr></thead><tbody>";
  for (std::size_t i = 0; i < pr.at_risk.size(); ++i) {
    const auto& c = pr.at_risk[i];
    const std::string k = "pred.at_risk." + std::to_string(i) + ".";
    p << "<tr><td data-k=\"" + k + "customer\">" + html_escape(masked(c.customer)) + "</td><td>" +
             html_escape(c.segment) + "</td>";
    p.figure(k + "monetary", c.monetary);
    p.figure(k + "p_alive", c.p_alive);
    p.figure(k + "value", c.predicted_value);
    p << "</tr>";
  }
  p << "</tbody></table></div></section>";
}

void actions_section(Page& p, const ReportData& d, const std::map<std::string, std::size_t>& order) {
  p << "<section id=\"actions\" aria-labelledby=\"h-actions\"><h2 id=\"h-actions\">Recommended actions</h2>";
  for (const auto& s : d.segments) {
    p << "<div class=\"action\" style=\"border-color:" + colour_of(order, s.name) + "\"><h3>" + html_escape(s.name) +
             " <small class=\"note\">" + grouped(std::to_string(s.customers)) + " customers</small></h3>";
    if (!s.description.empty()) p << "<p class=\"note\">" + html_escape(s.description) + "</p>";
    p << "<p data-k=\"action." + html_escape(s.name) + "\">" +
             html_escape(s.recommended_action.empty() ? "No action recorded (rfm_segment_rules.recommended_action)."
                                                      : s.recommended_action) +
             "</p></div>";
  }
  p << "</section>";
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_report(const ReportData& d, const std::string& generated_at) {
  std::map<std::string, std::size_t> order;
  for (std::size_t i = 0; i < d.segments.size(); ++i) order.emplace(d.segments[i].name, i);
  Page p;
  p << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
       "img-src data:\">"
       "<title>Customer segments, refresh run " +
           std::to_string(d.header.run_id) + "</title><style>" + kStyle + "</style></head><body>";
  header_section(p, d, generated_at);
  p << "<main>";
  if (d.header.run_id == 0) {
    p << "<section><h2>No results yet</h2><p data-k=\"report.empty\">No refresh has succeeded yet: load the data "
         "and refresh.</p></section></main></body></html>\n";
    return p.str();
  }
  segments_section(p, d, order);
  p << "<section id=\"heatmap\" aria-labelledby=\"h-heat\"><h2 id=\"h-heat\">Recency &times; frequency</h2>";
  heatmap_table(p, d, false);
  heatmap_table(p, d, true);
  p << "</section><section id=\"distribution\" aria-labelledby=\"h-dist\"><h2 id=\"h-dist\">Distributions</h2>"
       "<div class=\"charts\">";
  histogram(p, d, "recency", "Recency", "days since the last order");
  histogram(p, d, "frequency", "Frequency", "orders");
  histogram(p, d, "monetary", "Monetary (log-scaled bins)", "total spend");
  p << "</div></section>";
  movement_section(p, d);
  trend_section(p, d, order);
  lifecycle_section(p, d);
  predictions_section(p, d);
  quality_section(p, d);
  actions_section(p, d, order);
  p << "</main></body></html>\n";
  return p.str();
}

}  // namespace segmentd
