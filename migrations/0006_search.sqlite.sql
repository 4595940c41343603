-- The search index's change log. Triggers record every change to searchable data (a
-- video's text, visibility, status, publication; its owner's names or suspension) as a
-- row with an increasing seq; every replica's indexer applies the rows after the last one
-- it applied to its own Xapian index. A row only names what changed (a video or all
-- videos of an owner): the indexer reads the current state, so applying a row twice is
-- harmless. View counts change far too often for this log: they leave a mark per video
-- in search_view_marks instead, which indexers read in batches (see modules/search).
CREATE TABLE search_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  video_id BIGINT,
  owner_id BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX search_changes_created ON search_changes (created_at);

CREATE TABLE search_view_marks (
  video_id BIGINT PRIMARY KEY,
  changed_at BIGINT NOT NULL
);
CREATE INDEX search_view_marks_changed ON search_view_marks (changed_at);

-- pruned_upto: the highest seq removed from search_changes; an index that applied less
-- than that missed changes and is rebuilt.
CREATE TABLE search_state (
  name TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);

CREATE TRIGGER search_video_insert AFTER INSERT ON videos
BEGIN
  INSERT INTO search_changes (video_id, created_at)
  VALUES (NEW.id, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER));
END;

CREATE TRIGGER search_video_update AFTER UPDATE ON videos
WHEN OLD.title IS NOT NEW.title OR OLD.description IS NOT NEW.description OR OLD.tags IS NOT NEW.tags
  OR OLD.visibility IS NOT NEW.visibility OR OLD.status IS NOT NEW.status
  OR OLD.published_at IS NOT NEW.published_at OR OLD.duration_ms IS NOT NEW.duration_ms
  OR OLD.media_prefix IS NOT NEW.media_prefix OR OLD.owner_id IS NOT NEW.owner_id
BEGIN
  INSERT INTO search_changes (video_id, created_at)
  VALUES (NEW.id, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER));
END;

CREATE TRIGGER search_video_views AFTER UPDATE OF views ON videos
WHEN OLD.views IS NOT NEW.views
BEGIN
  INSERT INTO search_view_marks (video_id, changed_at)
  VALUES (NEW.id, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER))
  ON CONFLICT (video_id) DO UPDATE SET changed_at = excluded.changed_at;
END;

CREATE TRIGGER search_video_delete AFTER DELETE ON videos
BEGIN
  INSERT INTO search_changes (video_id, created_at)
  VALUES (OLD.id, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER));
END;

CREATE TRIGGER search_user_update AFTER UPDATE ON users
WHEN OLD.username IS NOT NEW.username OR OLD.display_name IS NOT NEW.display_name
  OR OLD.suspended IS NOT NEW.suspended
BEGIN
  INSERT INTO search_changes (owner_id, created_at)
  VALUES (NEW.id, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER));
END;

CREATE TRIGGER search_user_delete AFTER DELETE ON users
BEGIN
  INSERT INTO search_changes (owner_id, created_at)
  VALUES (OLD.id, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER));
END;
