-- The fallback scheduler: runs inside the database, so segments stay fresh
-- when segmentd is down. It refreshes only when no refresh succeeded within
-- segmentation_settings.event_stale_after_days (see
-- refresh_customer_segments_event). Needs event_scheduler=ON (MariaDB's
-- default is OFF).
--
-- Created here only when missing: its schedule and state are the config's
-- (fallback_event), which `segmentd migrate` and the daemon apply after this
-- file, so re-running the routines never turns a disabled event back on.

CREATE EVENT IF NOT EXISTS ev_refresh_customer_segments
  ON SCHEDULE EVERY 1 MONTH STARTS (CURRENT_DATE + INTERVAL 1 DAY + INTERVAL 3 HOUR)
  ON COMPLETION PRESERVE ENABLE
  COMMENT 'segmentd fallback: refresh RFM segments when segmentd has not'
  DO CALL refresh_customer_segments_event();
