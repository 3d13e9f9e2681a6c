#pragma once
// The segment report as one self-contained HTML page: inline CSS and SVG,
// no script, nothing fetched (a Content-Security-Policy forbids it). Pure:
// a function of the data and the time it was made, unit-tested without a
// database. Every figure a table shows carries its value as the database
// gave it (data-k names it, data-v holds it), so a test can check the page
// against the database.

#include <string>

#include "report_data.h"

namespace segmentd {

// `generated_at`: shown in the header (UTC text).
std::string render_report(const ReportData& data, const std::string& generated_at);

// Text for HTML content and attribute values.
std::string html_escape(const std::string& text);

}  // namespace segmentd
