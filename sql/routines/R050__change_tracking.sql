-- Change tracking for incremental refresh (V015; doc/MODEL.md "Incremental
-- refresh"). Every insert, update and delete on the four tables a refresh
-- reads writes the order (or the customer) it touched to
-- segment_input_changes, in the same transaction as the change, whoever
-- makes it: segmentd's ingest or any client. Re-created by every `segmentd
-- migrate`; from the mysql client: mysql DB < this file. Creating triggers
-- needs the TRIGGER privilege, and with binary logging on MySQL also SUPER
-- or log_bin_trust_function_creators; without them refreshes stay full
-- (the run's details say why).
--
-- A session that sets @segmentd_untracked writes nothing here: segmentd's
-- ingest does so for loads too big to log row by row, and logs one row
-- with both columns NULL ("anything changed") in the same transaction.

DELIMITER $$

DROP TRIGGER IF EXISTS segmentd_track_orders_insert $$
CREATE TRIGGER segmentd_track_orders_insert AFTER INSERT ON orders FOR EACH ROW
BEGIN
  IF @segmentd_untracked IS NULL THEN
    INSERT INTO segment_input_changes (order_id) VALUES (NEW.order_id);
  END IF;
END $$

DROP TRIGGER IF EXISTS segmentd_track_orders_update $$
CREATE TRIGGER segmentd_track_orders_update AFTER UPDATE ON orders FOR EACH ROW
BEGIN
  IF @segmentd_untracked IS NULL THEN
    INSERT INTO segment_input_changes (order_id) VALUES (NEW.order_id);
    IF NOT (OLD.order_id <=> NEW.order_id) THEN
      INSERT INTO segment_input_changes (order_id) VALUES (OLD.order_id);
    END IF;
  END IF;
END $$

DROP TRIGGER IF EXISTS segmentd_track_orders_delete $$
CREATE TRIGGER segmentd_track_orders_delete AFTER DELETE ON orders FOR EACH ROW
BEGIN
  IF @segmentd_untracked IS NULL THEN
    INSERT INTO segment_input_changes (order_id) VALUES (OLD.order_id);
  END IF;
END $$

DROP TRIGGER IF EXISTS segmentd_track_order_items_insert $$
CREATE TRIGGER segmentd_track_order_items_insert AFTER INSERT ON order_items FOR EACH ROW
BEGIN
  IF @segmentd_untracked IS NULL THEN
    INSERT INTO segment_input_changes (order_id) VALUES (NEW.order_id);
  END IF;
END $$

DROP TRIGGER IF EXISTS segmentd_track_order_items_update $$
CREATE TRIGGER segmentd_track_order_items_update AFTER UPDATE ON order_items FOR EACH ROW
BEGIN
  IF @segmentd_untracked IS NULL THEN
    INSERT INTO segment_input_changes (order_id) VALUES (NEW.order_id);
    IF NOT (OLD.order_id <=> NEW.order_id) THEN
      INSERT INTO segment_input_changes (order_id) VALUES (OLD.order_id);
    END IF;
  END IF;
END $$

DROP TRIGGER IF EXISTS segmentd_track_order_items_delete $$
CREATE TRIGGER segmentd_track_order_items_delete AFTER DELETE ON order_items FOR EACH ROW
BEGIN
  IF @segmentd_untracked IS NULL THEN
    INSERT INTO segment_input_changes (order_id) VALUES (OLD.order_id);
  END IF;
END $$

DROP TRIGGER IF EXISTS segmentd_track_order_payments_insert $$
CREATE TRIGGER segmentd_track_order_payments_insert AFTER INSERT ON order_payments FOR EACH ROW
BEGIN
  IF @segmentd_untracked IS NULL THEN
    INSERT INTO segment_input_changes (order_id) VALUES (NEW.order_id);
  END IF;
END $$

DROP TRIGGER IF EXISTS segmentd_track_order_payments_update $$
CREATE TRIGGER segmentd_track_order_payments_update AFTER UPDATE ON order_payments FOR EACH ROW
BEGIN
  IF @segmentd_untracked IS NULL THEN
    INSERT INTO segment_input_changes (order_id) VALUES (NEW.order_id);
    IF NOT (OLD.order_id <=> NEW.order_id) THEN
      INSERT INTO segment_input_changes (order_id) VALUES (OLD.order_id);
    END IF;
  END IF;
END $$

DROP TRIGGER IF EXISTS segmentd_track_order_payments_delete $$
CREATE TRIGGER segmentd_track_order_payments_delete AFTER DELETE ON order_payments FOR EACH ROW
BEGIN
  IF @segmentd_untracked IS NULL THEN
    INSERT INTO segment_input_changes (order_id) VALUES (OLD.order_id);
  END IF;
END $$

DROP TRIGGER IF EXISTS segmentd_track_customers_insert $$
CREATE TRIGGER segmentd_track_customers_insert AFTER INSERT ON customers FOR EACH ROW
BEGIN
  IF @segmentd_untracked IS NULL THEN
    INSERT INTO segment_input_changes (customer_id) VALUES (NEW.customer_id);
  END IF;
END $$

DROP TRIGGER IF EXISTS segmentd_track_customers_update $$
CREATE TRIGGER segmentd_track_customers_update AFTER UPDATE ON customers FOR EACH ROW
BEGIN
  IF @segmentd_untracked IS NULL THEN
    INSERT INTO segment_input_changes (customer_id) VALUES (NEW.customer_id);
    IF NOT (OLD.customer_id <=> NEW.customer_id) THEN
      INSERT INTO segment_input_changes (customer_id) VALUES (OLD.customer_id);
    END IF;
  END IF;
END $$

DROP TRIGGER IF EXISTS segmentd_track_customers_delete $$
CREATE TRIGGER segmentd_track_customers_delete AFTER DELETE ON customers FOR EACH ROW
BEGIN
  IF @segmentd_untracked IS NULL THEN
    INSERT INTO segment_input_changes (customer_id) VALUES (OLD.customer_id);
  END IF;
END $$

DELIMITER ;
