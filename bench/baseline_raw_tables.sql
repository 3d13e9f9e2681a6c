-- Key-less raw tables as the original project created them (all it needs
-- for its refresh). Loaded by bench/run.sh with the client's LOAD DATA; the
-- load is setup, not part of the timed baseline.
DROP TABLE IF EXISTS raw_customers, raw_orders, raw_order_items, raw_order_payments;
CREATE TABLE raw_customers (customer_id VARCHAR(32), customer_unique_id VARCHAR(32),
  customer_zip_code_prefix VARCHAR(10), customer_city VARCHAR(64), customer_state VARCHAR(4));
CREATE TABLE raw_orders (order_id VARCHAR(32), customer_id VARCHAR(32), order_status VARCHAR(20),
  order_purchase_timestamp DATETIME, order_approved_at VARCHAR(20), order_delivered_carrier_date VARCHAR(20),
  order_delivered_customer_date VARCHAR(20), order_estimated_delivery_date VARCHAR(20));
CREATE TABLE raw_order_items (order_id VARCHAR(32), order_item_id INT, product_id VARCHAR(32),
  seller_id VARCHAR(32), shipping_limit_date VARCHAR(20), price DECIMAL(10,2), freight_value DECIMAL(10,2));
CREATE TABLE raw_order_payments (order_id VARCHAR(32), payment_sequential INT, payment_type VARCHAR(20),
  payment_installments INT, payment_value DECIMAL(10,2));
