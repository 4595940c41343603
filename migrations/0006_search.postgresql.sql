-- The search index's change log. Triggers record every change to searchable data (a
-- video's text, visibility, status, publication; its owner's names or suspension) as a
-- row with an increasing seq; every replica's indexer applies the rows after the last one
-- it applied to its own Xapian index. A row only names what changed (a video or all
-- videos of an owner): the indexer reads the current state, so applying a row twice is
-- harmless. View counts change far too often for this log: they leave a mark per video
-- in search_view_marks instead, which indexers read in batches (see modules/search).
-- Sequence values are taken before commit, so rows can become visible out of seq order;
-- the indexer waits a few seconds for a gap to fill before passing it.
CREATE TABLE search_changes (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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

CREATE FUNCTION search_now_ms() RETURNS BIGINT LANGUAGE sql VOLATILE AS $$
  SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)
$$;

CREATE FUNCTION search_log_video() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO search_changes (video_id, created_at) VALUES (OLD.id, search_now_ms());
    RETURN OLD;
  END IF;
  INSERT INTO search_changes (video_id, created_at) VALUES (NEW.id, search_now_ms());
  RETURN NEW;
END;
$$;

CREATE FUNCTION search_mark_views() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_view_marks (video_id, changed_at) VALUES (NEW.id, search_now_ms())
  ON CONFLICT (video_id) DO UPDATE SET changed_at = EXCLUDED.changed_at;
  RETURN NEW;
END;
$$;

CREATE FUNCTION search_log_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO search_changes (owner_id, created_at) VALUES (OLD.id, search_now_ms());
    RETURN OLD;
  END IF;
  INSERT INTO search_changes (owner_id, created_at) VALUES (NEW.id, search_now_ms());
  RETURN NEW;
END;
$$;

CREATE TRIGGER search_video_insert AFTER INSERT ON videos
FOR EACH ROW EXECUTE FUNCTION search_log_video();

CREATE TRIGGER search_video_update AFTER UPDATE ON videos
FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.description IS DISTINCT FROM NEW.description
  OR OLD.tags IS DISTINCT FROM NEW.tags OR OLD.visibility IS DISTINCT FROM NEW.visibility
  OR OLD.status IS DISTINCT FROM NEW.status OR OLD.published_at IS DISTINCT FROM NEW.published_at
  OR OLD.duration_ms IS DISTINCT FROM NEW.duration_ms OR OLD.media_prefix IS DISTINCT FROM NEW.media_prefix
  OR OLD.owner_id IS DISTINCT FROM NEW.owner_id)
EXECUTE FUNCTION search_log_video();

CREATE TRIGGER search_video_views AFTER UPDATE OF views ON videos
FOR EACH ROW WHEN (OLD.views IS DISTINCT FROM NEW.views)
EXECUTE FUNCTION search_mark_views();

CREATE TRIGGER search_video_delete AFTER DELETE ON videos
FOR EACH ROW EXECUTE FUNCTION search_log_video();

CREATE TRIGGER search_user_update AFTER UPDATE ON users
FOR EACH ROW WHEN (OLD.username IS DISTINCT FROM NEW.username OR OLD.display_name IS DISTINCT FROM NEW.display_name
  OR OLD.suspended IS DISTINCT FROM NEW.suspended)
EXECUTE FUNCTION search_log_owner();

CREATE TRIGGER search_user_delete AFTER DELETE ON users
FOR EACH ROW EXECUTE FUNCTION search_log_owner();
