-- Analytics: history of interactions (analytics_activity, written by the interactions
-- module's hook in the same transaction as each change), roll-ups of view_events and
-- activity per video, channel and site per hour (span 3600000) and per day (span 86400000),
-- the distinct viewers of each video per bucket (unique viewers over any range are
-- distinct over the range), and the roll-up's own state (watermarks, lease, prune horizon).
-- Roll-up rows are derived: the roll-up recomputes whole buckets from raw events and
-- replaces them. Times are milliseconds since the epoch, buckets start at UTC hours/days.

-- Heartbeats find the counted view they belong to (the viewer's latest counted event).
CREATE INDEX view_events_viewer ON view_events (video_id, viewer_key, id);
-- Uploads per day (every video row, whatever its status).
CREATE INDEX videos_created ON videos (created_at);

-- +1/-1 changes: likes, dislikes, comments of a video (channel_id = its owner), or
-- subscribers of a channel (video_id NULL).
CREATE TABLE analytics_activity (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  video_id BIGINT REFERENCES videos (id) ON DELETE CASCADE,
  channel_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  likes BIGINT NOT NULL DEFAULT 0,
  dislikes BIGINT NOT NULL DEFAULT 0,
  comments BIGINT NOT NULL DEFAULT 0,
  subscribers BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE INDEX analytics_activity_video ON analytics_activity (video_id, created_at);
CREATE INDEX analytics_activity_channel ON analytics_activity (channel_id, created_at);
CREATE INDEX analytics_activity_time ON analytics_activity (created_at);

-- reached_k: counted views started in the bucket whose furthest position reached k/10 of
-- the video's duration (the retention curve; reached_0 is views).
CREATE TABLE analytics_video_stats (
  video_id BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  span BIGINT NOT NULL,
  bucket BIGINT NOT NULL,
  views BIGINT NOT NULL DEFAULT 0,
  watch_time_ms BIGINT NOT NULL DEFAULT 0,
  unique_viewers BIGINT NOT NULL DEFAULT 0,
  likes BIGINT NOT NULL DEFAULT 0,
  dislikes BIGINT NOT NULL DEFAULT 0,
  comments BIGINT NOT NULL DEFAULT 0,
  reached_1 BIGINT NOT NULL DEFAULT 0,
  reached_2 BIGINT NOT NULL DEFAULT 0,
  reached_3 BIGINT NOT NULL DEFAULT 0,
  reached_4 BIGINT NOT NULL DEFAULT 0,
  reached_5 BIGINT NOT NULL DEFAULT 0,
  reached_6 BIGINT NOT NULL DEFAULT 0,
  reached_7 BIGINT NOT NULL DEFAULT 0,
  reached_8 BIGINT NOT NULL DEFAULT 0,
  reached_9 BIGINT NOT NULL DEFAULT 0,
  reached_10 BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (video_id, span, bucket)
);
CREATE INDEX analytics_video_stats_time ON analytics_video_stats (span, bucket, video_id);

-- Viewers with a counted view of the video in the bucket.
CREATE TABLE analytics_video_viewers (
  video_id BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  span BIGINT NOT NULL,
  bucket BIGINT NOT NULL,
  viewer_key TEXT NOT NULL,
  PRIMARY KEY (video_id, span, bucket, viewer_key)
);

CREATE TABLE analytics_channel_stats (
  channel_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  span BIGINT NOT NULL,
  bucket BIGINT NOT NULL,
  views BIGINT NOT NULL DEFAULT 0,
  watch_time_ms BIGINT NOT NULL DEFAULT 0,
  subscribers_gained BIGINT NOT NULL DEFAULT 0,
  subscribers_lost BIGINT NOT NULL DEFAULT 0,
  likes BIGINT NOT NULL DEFAULT 0,
  dislikes BIGINT NOT NULL DEFAULT 0,
  comments BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (channel_id, span, bucket)
);

CREATE TABLE analytics_site_stats (
  span BIGINT NOT NULL,
  bucket BIGINT NOT NULL,
  views BIGINT NOT NULL DEFAULT 0,
  watch_time_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (span, bucket)
);

-- The roll-up's work list within one of its transactions (empty between runs): kind
-- 0 video-hour, 1 video-day, 2 channel-hour, 3 channel-day, 4 site-hour, 5 site-day.
CREATE TABLE analytics_dirty (
  kind INTEGER NOT NULL,
  key_id BIGINT NOT NULL,
  bucket BIGINT NOT NULL,
  PRIMARY KEY (kind, key_id, bucket)
);

-- view_watermark / activity_watermark: every event with an id up to it is rolled up.
-- pruned_before: raw events before it are gone (their buckets are final).
-- rollup_lease: one runner at a time across replicas (owner, expires_at).
CREATE TABLE analytics_state (
  name TEXT PRIMARY KEY,
  value BIGINT NOT NULL DEFAULT 0,
  owner TEXT,
  expires_at BIGINT NOT NULL DEFAULT 0
);
INSERT INTO analytics_state (name, value) VALUES ('view_watermark', 0), ('activity_watermark', 0),
  ('pruned_before', 0), ('rollup_lease', 0);
