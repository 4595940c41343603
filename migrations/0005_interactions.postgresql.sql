-- Interactions: comments with one level of replies, likes/dislikes, subscriptions with a
-- feed inbox and notifications, and views with watch time. Counters kept on the rows they
-- count (videos.likes, videos.comment_count, users.subscriber_count …) are changed in the
-- same transaction as the rows they count, by relative updates, so they stay exact under
-- concurrency. Times are milliseconds since the epoch.
ALTER TABLE videos ADD COLUMN comments_enabled INTEGER NOT NULL DEFAULT 1 CHECK (comments_enabled IN (0, 1));
ALTER TABLE videos ADD COLUMN watch_time_ms BIGINT NOT NULL DEFAULT 0;
-- Set once subscribers were told about the video (on its first time ready and public).
ALTER TABLE videos ADD COLUMN subscribers_notified INTEGER NOT NULL DEFAULT 0;
-- Videos published before subscriptions existed are never announced.
UPDATE videos SET subscribers_notified = 1 WHERE status = 'ready';
ALTER TABLE users ADD COLUMN subscriber_count BIGINT NOT NULL DEFAULT 0;

CREATE TABLE comments (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  public_id TEXT NOT NULL UNIQUE,
  video_id BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  parent_id BIGINT REFERENCES comments (id) ON DELETE CASCADE,
  author_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  content TEXT NOT NULL,
  reply_count BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  edited_at BIGINT
);
CREATE INDEX comments_newest ON comments (video_id, parent_id, id);
CREATE INDEX comments_top ON comments (video_id, parent_id, reply_count, id);
CREATE INDEX comments_replies ON comments (parent_id, id);
CREATE INDEX comments_author ON comments (author_id);

-- value: 1 like, -1 dislike.
CREATE TABLE ratings (
  video_id BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  value INTEGER NOT NULL CHECK (value IN (1, -1)),
  created_at BIGINT NOT NULL,
  PRIMARY KEY (video_id, user_id)
);
CREATE INDEX ratings_user ON ratings (user_id);

CREATE TABLE subscriptions (
  subscriber_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  channel_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (subscriber_id, channel_id),
  CHECK (subscriber_id <> channel_id)
);
CREATE INDEX subscriptions_channel ON subscriptions (channel_id);
CREATE INDEX subscriptions_newest ON subscriptions (subscriber_id, created_at, channel_id);

-- The subscriptions feed as an inbox: a row per (subscriber, video of a followed channel),
-- written when a video is first published and when someone subscribes (the channel's
-- recent videos), so reading a page costs the same for 3 followed channels or 30,000.
CREATE TABLE feed_items (
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  video_id BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  channel_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  published_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, video_id)
);
CREATE INDEX feed_items_newest ON feed_items (user_id, published_at, video_id);
CREATE INDEX feed_items_channel ON feed_items (user_id, channel_id);
CREATE INDEX feed_items_video ON feed_items (video_id);

CREATE TABLE notifications (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  public_id TEXT NOT NULL UNIQUE,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  type TEXT NOT NULL CHECK (type IN ('new_video')),
  actor_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
  video_id BIGINT REFERENCES videos (id) ON DELETE CASCADE,
  read_at BIGINT,
  created_at BIGINT NOT NULL,
  UNIQUE (user_id, type, video_id)
);
CREATE INDEX notifications_newest ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, read_at);
CREATE INDEX notifications_video ON notifications (video_id);

-- One row per viewer of a video: when a view was last counted, where they are, how long
-- they watched. viewer_key is "u:<user id>" or "a:<visitor id>".
CREATE TABLE video_viewers (
  video_id BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  viewer_key TEXT NOT NULL,
  user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
  last_counted_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  position_ms BIGINT,
  watch_time_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (video_id, viewer_key)
);
CREATE INDEX video_viewers_user ON video_viewers (user_id);

-- Every view start and heartbeat as it arrived, for analytics roll-ups.
CREATE TABLE view_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  video_id BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  viewer_key TEXT NOT NULL,
  user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
  counted INTEGER NOT NULL CHECK (counted IN (0, 1)),
  watch_time_ms BIGINT NOT NULL DEFAULT 0,
  position_ms BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX view_events_video ON view_events (video_id, created_at);
CREATE INDEX view_events_time ON view_events (created_at);
