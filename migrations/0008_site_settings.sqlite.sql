-- Site settings that admins change at run time: sign-ups open or closed, the role of new
-- sign-ups, the largest upload and the per-user quota. One row per setting an admin has
-- saved; a setting without a row takes its value from the config file. Values are JSON.
CREATE TABLE site_settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL
);

-- When a video's processing failed: its original is kept for a retry, and removed after
-- failed_original_retention_days.
ALTER TABLE videos ADD COLUMN failed_at BIGINT;
CREATE INDEX videos_failed ON videos (status, failed_at);
