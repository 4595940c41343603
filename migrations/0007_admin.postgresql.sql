-- Administration: videos hidden by moderators, and the audit log of every staff action.
-- The audit log is append-only: no code path updates or deletes its rows, and it keeps
-- the actor's and target's names as they were, so it outlives deleted accounts and videos.
ALTER TABLE videos ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1));

CREATE TABLE audit_log (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
DROP TRIGGER search_video_update ON videos;
CREATE TRIGGER search_video_update AFTER UPDATE ON videos
FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.description IS DISTINCT FROM NEW.description
  OR OLD.tags IS DISTINCT FROM NEW.tags OR OLD.visibility IS DISTINCT FROM NEW.visibility
  OR OLD.status IS DISTINCT FROM NEW.status OR OLD.published_at IS DISTINCT FROM NEW.published_at
  OR OLD.duration_ms IS DISTINCT FROM NEW.duration_ms OR OLD.media_prefix IS DISTINCT FROM NEW.media_prefix
  OR OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.hidden IS DISTINCT FROM NEW.hidden)
EXECUTE FUNCTION search_log_video();
