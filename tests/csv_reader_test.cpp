#include "csv_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

namespace segmentd {
namespace {

std::vector<CsvRecord> read_all(const std::string& text, std::size_t max_record = 1 << 20,
                                std::size_t buffer = 1 << 20) {
  std::FILE* f = std::tmpfile();
  std::fwrite(text.data(), 1, text.size(), f);
  std::rewind(f);
  CsvReader reader(fileno(f), max_record, buffer);
  std::vector<CsvRecord> out;
  CsvRecord r;
  try {
    while (reader.next(r)) out.push_back(r);
  } catch (...) {
    std::fclose(f);
    throw;
  }
  std::fclose(f);
  return out;
}

TEST(CsvReader, QuotedFieldsWithCommasDoubledQuotesAndLineBreaks) {
  const auto rows = read_all("a,b\r\n\"x,1\",\"say \"\"hi\"\"\"\r\n\"multi\r\nline\",plain\r\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"x,1", "say \"hi\""}));
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"multi\r\nline", "plain"}));
  EXPECT_EQ(rows[2].line, 3u);
  EXPECT_EQ(rows[2].raw, "\"multi\r\nline\",plain");
}

TEST(CsvReader, BomMissingFinalNewlineAndEmptyFields) {
  const auto rows = read_all("\xEF\xBB\xBFh1,h2,h3\n,,\nlast,row,x");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].fields[0], "h1");
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"", "", ""}));
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"last", "row", "x"}));
}

// Found by the csv fuzz target: a CRLF whose CR ended one read gave the
// record's raw text (what a rejects file shows) from stale buffer bytes.
// Every split of the input across reads gives the same records.
TEST(CsvReader, ACrLfAcrossTwoReadsKeepsTheRawRecord) {
  for (std::size_t prefix = 0; prefix < 12; ++prefix) {
    const std::string text = std::string(prefix, 'p') + "\r\nab,c\r\n\"q\r\n\",d\r\nlast";
    const auto whole = read_all(text);
    ASSERT_EQ(whole.size(), 4u);
    for (std::size_t buffer = 4; buffer < 20; ++buffer) {
      const auto rows = read_all(text, 1 << 20, buffer);
      ASSERT_EQ(rows.size(), whole.size()) << prefix << "/" << buffer;
      for (std::size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(rows[i].raw, whole[i].raw) << "prefix " << prefix << ", buffer " << buffer << ", record " << i;
        EXPECT_EQ(rows[i].fields, whole[i].fields) << "prefix " << prefix << ", buffer " << buffer;
        EXPECT_EQ(rows[i].line, whole[i].line);
      }
    }
  }
  EXPECT_EQ(read_all("p\r\nab,c\r\n").at(1).raw, "ab,c");
}

TEST(CsvReader, LineNumbersCountLinesInsideQuotes) {
  const auto rows = read_all("h\n\"a\nb\nc\"\nnext\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].line, 5u);
}

TEST(CsvReader, UnbalancedQuoteIsAnErrorNamingWhereItStarted) {
  try {
    read_all("h\nok\n\"never closed\nmore\n");
    FAIL();
  } catch (const CsvError& e) {
    EXPECT_EQ(e.line(), 3u);
    EXPECT_NE(std::string(e.what()).find("never closed"), std::string::npos);
  }
}

// A quoted field past the limit with its quote closed is a long field, not
// an unbalanced quote; the message names the limit. At the end of the file,
// a quote still open is never closed.
TEST(CsvReader, AQuotedFieldPastTheLimitSaysSoAndNamesTheLimit) {
  const std::string big(3 << 20, 'x');
  try {
    read_all("h\n\"" + big + "\",y\nnext\n", 1 << 20);
    FAIL();
  } catch (const CsvError& e) {
    EXPECT_EQ(e.line(), 2u);
    EXPECT_EQ(std::string(e.what()),
              "line 2: a quoted field runs past the record limit of 1048576 bytes (a field "
              "that long, or a quote closed nowhere before it)");
  }
  try {
    read_all("h\n\"abcdefghijklmnopqrstuvwxyz\n", 16);
    FAIL();
  } catch (const CsvError& e) {
    EXPECT_EQ(std::string(e.what()), "line 2: quoted field is never closed (unbalanced quote)");
  }
}

TEST(CsvReader, RecordsLargerThanTheBufferAreReadWhole) {
  const std::string big(3 << 20, 'x');
  const auto rows = read_all("h\n\"" + big + "\",y\n", 8 << 20);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].fields[0].size(), big.size());
  EXPECT_THROW(read_all("h\n\"" + big + "\",y\n", 1 << 20), CsvError);
}

}  // namespace
}  // namespace segmentd
