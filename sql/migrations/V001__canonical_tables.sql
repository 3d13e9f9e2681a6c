-- Canonical typed tables, one per Olist file. Column names follow the CSV
-- headers, except the dataset's misspelled *_lenght columns, which are spelled
-- correctly here. IDs are 32-character hex strings; ascii_bin keeps their keys
-- compact and makes their ordering plain byte order (the model's tie-break).
-- Zip code prefixes are text: "01001" keeps its leading zero.

CREATE TABLE IF NOT EXISTS customers (
  customer_id              VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  customer_unique_id       VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  customer_zip_code_prefix VARCHAR(10) NULL,
  customer_city            VARCHAR(100) NULL,
  customer_state           VARCHAR(8) NULL,
  PRIMARY KEY (customer_id),
  KEY ix_customers_unique (customer_unique_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS orders (
  order_id                      VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  customer_id                   VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  order_status                  VARCHAR(20) NOT NULL,
  order_purchase_timestamp      DATETIME NOT NULL,
  order_approved_at             DATETIME NULL,
  order_delivered_carrier_date  DATETIME NULL,
  order_delivered_customer_date DATETIME NULL,
  order_estimated_delivery_date DATETIME NULL,
  PRIMARY KEY (order_id),
  KEY ix_orders_customer (customer_id),
  KEY ix_orders_status (order_status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS order_items (
  order_id            VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  order_item_id       INT UNSIGNED NOT NULL,
  product_id          VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  seller_id           VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  shipping_limit_date DATETIME NULL,
  price               DECIMAL(12,2) NOT NULL,
  freight_value       DECIMAL(12,2) NOT NULL,
  PRIMARY KEY (order_id, order_item_id),
  KEY ix_order_items_product (product_id),
  KEY ix_order_items_seller (seller_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS order_payments (
  order_id             VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  payment_sequential   INT UNSIGNED NOT NULL,
  payment_type         VARCHAR(20) NOT NULL,
  payment_installments INT UNSIGNED NOT NULL,
  payment_value        DECIMAL(12,2) NOT NULL,
  PRIMARY KEY (order_id, payment_sequential)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- review_id alone repeats in the real data (827 times), hence the pair key.
CREATE TABLE IF NOT EXISTS order_reviews (
  review_id               VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  order_id                VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  review_score            TINYINT UNSIGNED NOT NULL,
  review_comment_title    VARCHAR(255) NULL,
  review_comment_message  TEXT NULL,
  review_creation_date    DATETIME NULL,
  review_answer_timestamp DATETIME NULL,
  PRIMARY KEY (review_id, order_id),
  KEY ix_order_reviews_order (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS products (
  product_id                 VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  product_category_name      VARCHAR(100) NULL,
  product_name_length        INT UNSIGNED NULL,
  product_description_length INT UNSIGNED NULL,
  product_photos_qty         INT UNSIGNED NULL,
  product_weight_g           INT UNSIGNED NULL,
  product_length_cm          INT UNSIGNED NULL,
  product_height_cm          INT UNSIGNED NULL,
  product_width_cm           INT UNSIGNED NULL,
  PRIMARY KEY (product_id),
  KEY ix_products_category (product_category_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS sellers (
  seller_id              VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  seller_zip_code_prefix VARCHAR(10) NULL,
  seller_city            VARCHAR(100) NULL,
  seller_state           VARCHAR(8) NULL,
  PRIMARY KEY (seller_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The geolocation file has no natural key (zip prefixes repeat with different
-- coordinates), so rows get a surrogate key.
CREATE TABLE IF NOT EXISTS geolocation (
  geolocation_id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  geolocation_zip_code_prefix VARCHAR(10) NOT NULL,
  geolocation_lat             DOUBLE NULL,
  geolocation_lng             DOUBLE NULL,
  geolocation_city            VARCHAR(100) NULL,
  geolocation_state           VARCHAR(8) NULL,
  PRIMARY KEY (geolocation_id),
  KEY ix_geolocation_zip (geolocation_zip_code_prefix)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS product_category_name_translation (
  product_category_name         VARCHAR(100) NOT NULL,
  product_category_name_english VARCHAR(100) NULL,
  PRIMARY KEY (product_category_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
