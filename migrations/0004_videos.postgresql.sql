-- Videos, their resumable-upload chunks, and site-wide secrets (the media URL signing key).
-- Times are milliseconds since the epoch. tags and renditions are JSON arrays.
CREATE TABLE videos (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  public_id TEXT NOT NULL UNIQUE,
  owner_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '[]',
  visibility TEXT NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'unlisted', 'private')),
  status TEXT NOT NULL CHECK (status IN ('uploading', 'processing', 'ready', 'failed')),
  progress INTEGER NOT NULL DEFAULT 0,
  failure_reason TEXT,
  original_filename TEXT NOT NULL DEFAULT '',
  upload_length BIGINT NOT NULL DEFAULT 0,
  upload_offset BIGINT NOT NULL DEFAULT 0,
  upload_expires_at BIGINT,
  original_key TEXT,
  media_prefix TEXT,
  duration_ms BIGINT,
  width INTEGER,
  height INTEGER,
  renditions TEXT NOT NULL DEFAULT '[]',
  storage_bytes BIGINT NOT NULL DEFAULT 0,
  views BIGINT NOT NULL DEFAULT 0,
  likes BIGINT NOT NULL DEFAULT 0,
  dislikes BIGINT NOT NULL DEFAULT 0,
  comment_count BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  published_at BIGINT
);
CREATE INDEX videos_owner ON videos (owner_id, created_at);
CREATE INDEX videos_latest ON videos (status, visibility, published_at, id);
CREATE INDEX videos_popular ON videos (status, visibility, views, id);
CREATE INDEX videos_upload_expires ON videos (status, upload_expires_at);

-- One row per piece of a tus upload that arrived (one PATCH request, or the part of it
-- received before the connection broke); the pieces are joined into the original once
-- the upload is complete.
CREATE TABLE upload_chunks (
  video_id BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  offset_bytes BIGINT NOT NULL,
  length_bytes BIGINT NOT NULL,
  object_key TEXT NOT NULL,
  PRIMARY KEY (video_id, offset_bytes)
);

CREATE TABLE site_secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
