#pragma once
// Test-only loading of Olist CSV files with LOAD DATA LOCAL INFILE, for the
// refresh tests (the ingest pipeline has tests of its own).

#include <filesystem>

#include "db_session.h"

namespace segmentd::test {

// Loads one Olist file, recognised by its file name, into its table.
void load_csv(DbSession& db, const std::filesystem::path& file);

}  // namespace segmentd::test
