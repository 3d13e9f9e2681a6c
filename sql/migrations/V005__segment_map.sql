-- The segment of each of the 125 (r, f, m) score combinations, resolved
-- from rfm_segment_rules at the start of every refresh, so customers get
-- their segment by one primary-key lookup instead of a rules scan each.
-- Only refresh writes it (under the refresh lock).
CREATE TABLE IF NOT EXISTS rfm_segment_map (
  r_score      TINYINT UNSIGNED NOT NULL,
  f_score      TINYINT UNSIGNED NOT NULL,
  m_score      TINYINT UNSIGNED NOT NULL,
  segment_name VARCHAR(64) NULL,  -- NULL: no rule covers the combination
  PRIMARY KEY (r_score, f_score, m_score)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
