-- Administration: videos hidden by moderators, and the audit log of every staff action.
-- The audit log is append-only: no code path updates or deletes its rows, and it keeps
-- the actor's and target's names as they were, so it outlives deleted accounts and videos.
ALTER TABLE videos ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1));

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  actor_id BIGINT,
  actor_public_id TEXT NOT NULL,
  actor_username TEXT NOT NULL,
  actor_role TEXT NOT NULL,
  action TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id TEXT NOT NULL,
  target_label TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  details TEXT NOT NULL DEFAULT '{}',
  created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor_public_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id);
CREATE INDEX users_created ON users (created_at);
CREATE INDEX videos_status_created ON videos (status, created_at);
