// Names and messages leave segmentd as valid, bounded UTF-8 (text.h).

#include "text.h"

#include <gtest/gtest.h>

namespace segmentd {
namespace {

TEST(Text, ValidUtf8StaysAsItIs) {
  EXPECT_EQ(escape_bytes("olist_orders_dataset.csv"), "olist_orders_dataset.csv");
  EXPECT_EQ(escape_bytes("pedidos-s\xc3\xa3o-paulo.csv"), "pedidos-s\xc3\xa3o-paulo.csv");
  EXPECT_TRUE(is_clean_utf8("s\xc3\xa3o"));
}

TEST(Text, InvalidBytesAndControlsAreEscapedLosslessly) {
  const std::string raw = std::string("bad\xff\xfe-name\\x.csv") + '\n' + "\xc3";  // invalid, a backslash, LF, cut
  const std::string shown = escape_bytes(raw);
  EXPECT_EQ(shown, "bad\\xff\\xfe-name\\\\x.csv\\x0a\\xc3");
  EXPECT_TRUE(is_clean_utf8(shown));
  EXPECT_FALSE(is_clean_utf8(raw));
  EXPECT_EQ(unescape_bytes(shown), raw);
}

TEST(Text, OverlongAndSurrogateFormsAreInvalid) {
  EXPECT_EQ(escape_bytes("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(escape_bytes("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // U+D800
  EXPECT_EQ(escape_bytes("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
}

TEST(Text, BoundedTextCutsAtACharacterAndSaysSo) {
  const std::string s = std::string(10, 'a') + "\xc3\xa3" + std::string(10, 'b');
  const std::string cut = bounded_text(s, 11);
  EXPECT_EQ(cut.substr(0, 10), std::string(10, 'a'));
  EXPECT_EQ(cut.find("\xc3"), std::string::npos);  // the two-byte character did not fit: not split
  EXPECT_NE(cut.find("12 more bytes cut"), std::string::npos) << cut;
  EXPECT_EQ(bounded_text("short", 100), "short");
}

TEST(Text, HugeHostileInputIsBoundedAndClean) {
  std::string header;
  for (int i = 0; i < 10000; ++i) header += "col\xff" + std::to_string(i) + ",";
  const std::string out = bounded_text(header, 4096);
  EXPECT_LE(out.size(), 4096u + 40u);
  EXPECT_TRUE(is_clean_utf8(out));
}

}  // namespace
}  // namespace segmentd
