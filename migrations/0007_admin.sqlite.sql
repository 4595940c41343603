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

-- Reports of videos and comments by logged-in users, once per person and target; a queue
-- that moderators work through (open -> resolved with an action, or dismissed).
CREATE TABLE reports (
  id INTEGER PRIMARY KEY,
  public_id TEXT NOT NULL UNIQUE,
  reporter_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  target_type TEXT NOT NULL CHECK (target_type IN ('video', 'comment')),
  target_id TEXT NOT NULL,
  video_id BIGINT REFERENCES videos (id) ON DELETE CASCADE,
  comment_id BIGINT REFERENCES comments (id) ON DELETE SET NULL,
  -- The video's title or the comment's text when reported (the comment may go later).
  target_label TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL,
  text TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved', 'dismissed')),
  action TEXT NOT NULL DEFAULT '',
  resolved_by TEXT NOT NULL DEFAULT '',
  resolved_at BIGINT,
  created_at BIGINT NOT NULL,
  UNIQUE (reporter_id, target_type, target_id)
);
CREATE INDEX reports_queue ON reports (state, id);
CREATE INDEX reports_target ON reports (target_type, target_id, state);

-- A hidden video leaves the search index: hiding is a change of searchable data.
DROP TRIGGER search_video_update;
CREATE TRIGGER search_video_update AFTER UPDATE ON videos
WHEN OLD.title IS NOT NEW.title OR OLD.description IS NOT NEW.description OR OLD.tags IS NOT NEW.tags
  OR OLD.visibility IS NOT NEW.visibility OR OLD.status IS NOT NEW.status
  OR OLD.published_at IS NOT NEW.published_at OR OLD.duration_ms IS NOT NEW.duration_ms
  OR OLD.media_prefix IS NOT NEW.media_prefix OR OLD.owner_id IS NOT NEW.owner_id
  OR OLD.hidden IS NOT NEW.hidden
BEGIN
  INSERT INTO search_changes (video_id, created_at)
  VALUES (NEW.id, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER));
END;
