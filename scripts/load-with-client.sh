#!/usr/bin/env bash
# Loads Olist CSV files into the canonical tables with the mysql client's own
# LOAD DATA LOCAL INFILE. This is the benchmark anchor for `segmentd ingest`
# (the fastest the server takes these files) and a plain way to load data
# where segmentd is not available. Files are recognised by their name.
#
#   scripts/load-with-client.sh PRIVDB_DIR DATABASE FILE...
# Extra client options (e.g. --user=...) can be put in LOADER_CLIENT_OPTS.
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
privdb=$1 database=$2
shift 2

sql_quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/''/g")"; }

for file in "$@"; do
  eol='\n'
  if head -1 "$file" | grep -q $'\r$'; then eol='\r\n'; fi
  case "$(basename "$file")" in
    olist_customers_dataset.csv) spec="customers (customer_id, customer_unique_id, customer_zip_code_prefix, customer_city, customer_state)" ;;
    olist_orders_dataset.csv) spec="orders (order_id, customer_id, order_status, order_purchase_timestamp, @a, @c, @d, @e) SET order_approved_at = NULLIF(@a, ''), order_delivered_carrier_date = NULLIF(@c, ''), order_delivered_customer_date = NULLIF(@d, ''), order_estimated_delivery_date = NULLIF(@e, '')" ;;
    olist_order_items_dataset.csv) spec="order_items (order_id, order_item_id, product_id, seller_id, @s, price, freight_value) SET shipping_limit_date = NULLIF(@s, '')" ;;
    olist_order_payments_dataset.csv) spec="order_payments (order_id, payment_sequential, payment_type, payment_installments, payment_value)" ;;
    olist_order_reviews_dataset.csv) spec="order_reviews (review_id, order_id, review_score, @t, @m, @c, @a) SET review_comment_title = NULLIF(@t, ''), review_comment_message = NULLIF(@m, ''), review_creation_date = NULLIF(@c, ''), review_answer_timestamp = NULLIF(@a, '')" ;;
    olist_products_dataset.csv) spec="products (product_id, @c, @n, @d, @p, @w, @l, @h, @x) SET product_category_name = NULLIF(@c, ''), product_name_length = NULLIF(@n, ''), product_description_length = NULLIF(@d, ''), product_photos_qty = NULLIF(@p, ''), product_weight_g = NULLIF(@w, ''), product_length_cm = NULLIF(@l, ''), product_height_cm = NULLIF(@h, ''), product_width_cm = NULLIF(@x, '')" ;;
    olist_sellers_dataset.csv) spec="sellers (seller_id, seller_zip_code_prefix, seller_city, seller_state)" ;;
    olist_geolocation_dataset.csv) spec="geolocation (geolocation_zip_code_prefix, geolocation_lat, geolocation_lng, geolocation_city, geolocation_state)" ;;
    product_category_name_translation.csv) spec="product_category_name_translation (product_category_name, product_category_name_english)" ;;
    *) echo "load-with-client: do not know which table $file belongs to" >&2; exit 2 ;;
  esac
  table=${spec%% *}
  # shellcheck disable=SC2086
  "$here/privdb.sh" client "$privdb" ${LOADER_CLIENT_OPTS:-} "$database" -e "
    LOAD DATA LOCAL INFILE $(sql_quote "$file") INTO TABLE ${spec%% (*} CHARACTER SET utf8mb4
    FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY ''
    LINES TERMINATED BY '$eol' IGNORE 1 LINES ${spec#* }"
  echo "loaded $table from $file"
done
