#include "field_validation.h"

#include <gtest/gtest.h>

#include "datasets.h"
#include "errors.h"

namespace segmentd {
namespace {

TEST(FieldValidation, Timestamps) {
  EXPECT_TRUE(valid_datetime("2016-02-29 23:59:59"));
  EXPECT_FALSE(valid_datetime("2017-02-29 10:00:00"));
  EXPECT_FALSE(valid_datetime("2018-04-31 10:00:00"));
  EXPECT_FALSE(valid_datetime("2018-01-01 24:00:00"));
  EXPECT_FALSE(valid_datetime("2018-01-01T10:00:00"));
  EXPECT_FALSE(valid_datetime("2018-1-01 10:00:00"));
}

TEST(FieldValidation, Utf8) {
  EXPECT_TRUE(valid_utf8("s\xC3\xA3o paulo"));
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));      // overlong
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(valid_utf8("abc\xE2\x82"));   // truncated
  EXPECT_EQ(utf8_length("s\xC3\xA3o"), 3u);
}

TEST(FieldValidation, ColumnTypes) {
  const Dataset& items = *dataset_by_name("order_items");
  EXPECT_TRUE(check_field(items.columns[5], "58.90").ok);
  EXPECT_TRUE(check_field(items.columns[5], "7").ok);
  EXPECT_FALSE(check_field(items.columns[5], "1e3").ok);
  EXPECT_FALSE(check_field(items.columns[5], "12345678901.00").ok);
  EXPECT_FALSE(check_field(items.columns[1], "-1").ok);
  EXPECT_FALSE(check_field(items.columns[1], "4294967296").ok);
  EXPECT_TRUE(check_field(items.columns[4], "").is_null);
  EXPECT_EQ(check_field(items.columns[0], "").error, "order_id: is required but empty");
}

TEST(Datasets, RecognisesHeadersAndExplainsNearMisses) {
  const auto m = recognise_header(
      {"Customer_State", "customer_id", " customer_unique_id ", "customer_city", "customer_zip_code_prefix"});
  EXPECT_EQ(m.dataset->name, "customers");
  EXPECT_EQ(m.field_of_column[0], 1u);
  try {
    recognise_header({"order_id", "payment_sequential", "payment_type", "payment_value"});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_STREQ(e.what(),
                 "header is not a known Olist dataset; closest is order_payments, missing "
                 "payment_installments, extra none");
  }
}

}  // namespace
}  // namespace segmentd
