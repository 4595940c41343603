#include "modules/interactions/social.hpp"

#include <soci/soci.h>

#include "monotube/db/binds.hpp"
#include "monotube/errors.hpp"
#include "monotube/http/paging.hpp"

namespace monotube::interactions {

using db::Binds;
using db::Execute;

namespace {

// Page of a followed channel's newest videos that a new subscription puts into the feed.
constexpr int kFeedBackfill = 50;

NotFound VideoGone() { return NotFound("video_not_found", "This video does not exist or is not available."); }

// A fresh notification id in SQL, so one INSERT … SELECT can notify every subscriber.
std::string RandomIdExpression(soci::session& session) {
  if (db::DialectOf(session) == db::Dialect::kPostgresql)
    return "substr(md5(random()::text || clock_timestamp()::text || s.subscriber_id::text), 1, 16)";
  return "lower(hex(randomblob(8)))";
}

auth::User UserSummary(std::string public_id, std::string username, std::string display_name,
                       const std::string& avatar_key, soci::indicator avatar_ind) {
  auth::User user{};
  user.public_id = std::move(public_id);
  user.username = std::move(username);
  user.display_name = std::move(display_name);
  if (avatar_ind == soci::i_ok) user.avatar_key = avatar_key;
  return user;
}

}  // namespace

std::optional<std::string> RatingName(Rating rating) {
  switch (rating) {
    case Rating::kLike: return "like";
    case Rating::kDislike: return "dislike";
    case Rating::kNone: break;
  }
  return std::nullopt;
}

// ---------------- ratings ----------------

RatingRepository::RatingRepository(db::Database& database, const ActivityHook& activity)
    : database_(database), activity_(activity) {}

RatingCounts RatingRepository::Rate(std::int64_t video_id, std::int64_t user_id, Rating rating, std::int64_t now_ms) {
  return database_.InTransaction([&](soci::session& session) {
    // Lock the video row first: raters of one video take turns, so the old rating read
    // below is still the old rating when the counts change (PostgreSQL; SQLite's write
    // transactions take turns anyway).
    if (Execute(session, "UPDATE videos SET likes = likes WHERE id = :id", Binds().Int(video_id)) != 1)
      throw VideoGone();
    long long old_value = 0;
    session << "SELECT value FROM ratings WHERE video_id = :video AND user_id = :user", soci::into(old_value),
        soci::use(static_cast<long long>(video_id)), soci::use(static_cast<long long>(user_id));
    if (!session.got_data()) old_value = 0;
    auto value = static_cast<long long>(rating);
    if (old_value != value) {
      if (old_value != 0)
        Execute(session, "DELETE FROM ratings WHERE video_id = :video AND user_id = :user",
                Binds().Int(video_id).Int(user_id));
      if (value != 0)
        Execute(session,
                "INSERT INTO ratings (video_id, user_id, value, created_at) VALUES (:video, :user, :value, :now)",
                Binds().Int(video_id).Int(user_id).Int(value).Int(now_ms));
      long long like_delta = (value == 1) - (old_value == 1);
      long long dislike_delta = (value == -1) - (old_value == -1);
      Execute(session, "UPDATE videos SET likes = likes + :l, dislikes = dislikes + :d WHERE id = :id",
              Binds().Int(like_delta).Int(dislike_delta).Int(video_id));
      ActivityChange change;
      change.video_id = video_id;
      change.likes = like_delta;
      change.dislikes = dislike_delta;
      activity_(session, change);
    }
    RatingCounts counts;
    counts.rating = rating;
    long long likes = 0, dislikes = 0;
    session << "SELECT likes, dislikes FROM videos WHERE id = :id", soci::into(likes), soci::into(dislikes),
        soci::use(static_cast<long long>(video_id));
    counts.likes = likes;
    counts.dislikes = dislikes;
    return counts;
  });
}

Rating RatingRepository::Of(std::int64_t video_id, std::int64_t user_id) {
  return database_.WithSession([&](soci::session& session) {
    long long value = 0;
    session << "SELECT value FROM ratings WHERE video_id = :video AND user_id = :user", soci::into(value),
        soci::use(static_cast<long long>(video_id)), soci::use(static_cast<long long>(user_id));
    if (!session.got_data()) return Rating::kNone;
    return value == 1 ? Rating::kLike : Rating::kDislike;
  });
}

std::vector<RatingRepository::Entry> RatingRepository::AllOf(std::int64_t user_id) {
  return database_.WithSession([&](soci::session& session) {
    std::vector<Entry> entries;
    std::string video;
    long long value = 0, created_at = 0, user = user_id;
    soci::statement statement = (session.prepare << "SELECT v.public_id, r.value, r.created_at FROM ratings r "
                                                    "JOIN videos v ON v.id = r.video_id WHERE r.user_id = :user "
                                                    "ORDER BY r.created_at DESC",
                                 soci::into(video), soci::into(value), soci::into(created_at), soci::use(user));
    if (statement.execute(true)) {
      do {
        entries.push_back({video, value == 1 ? Rating::kLike : Rating::kDislike, static_cast<std::int64_t>(created_at)});
      } while (statement.fetch());
    }
    return entries;
  });
}

void RatingRepository::RemoveAllOf(std::int64_t user_id) {
  std::vector<long long> videos = database_.WithSession([&](soci::session& session) {
    std::vector<long long> ids;
    soci::rowset<long long> rows =
        (session.prepare << "SELECT video_id FROM ratings WHERE user_id = :user", soci::use(static_cast<long long>(user_id)));
    for (long long id : rows) ids.push_back(id);
    return ids;
  });
  for (long long video_id : videos) {
    try {
      Rate(video_id, user_id, Rating::kNone, 0);
    } catch (const NotFound&) {
      // the video went meanwhile, and its ratings with it
    }
  }
}

// ---------------- subscriptions ----------------

SubscriptionRepository::SubscriptionRepository(db::Database& database, const ActivityHook& activity)
    : database_(database), activity_(activity) {}

bool SubscriptionRepository::Subscribe(std::int64_t subscriber_id, std::int64_t channel_id, std::int64_t now_ms) {
  return database_.InTransaction([&](soci::session& session) {
    // The channel's row first: subscribers of one channel take turns (see Rate).
    if (Execute(session, "UPDATE users SET subscriber_count = subscriber_count WHERE id = :id", Binds().Int(channel_id)) != 1)
      throw NotFound("user_not_found", "This channel does not exist.");
    if (Execute(session,
                "INSERT INTO subscriptions (subscriber_id, channel_id, created_at) VALUES (:s, :c, :now) "
                "ON CONFLICT DO NOTHING",
                Binds().Int(subscriber_id).Int(channel_id).Int(now_ms)) != 1)
      return false;
    Execute(session, "UPDATE users SET subscriber_count = subscriber_count + 1 WHERE id = :id", Binds().Int(channel_id));
    ActivityChange change;
    change.channel_id = channel_id;
    change.subscribers = 1;
    activity_(session, change);
    Execute(session,
            "INSERT INTO feed_items (user_id, video_id, channel_id, published_at) SELECT :s, v.id, v.owner_id, "
            "v.published_at FROM videos v WHERE v.owner_id = :c AND v.status = 'ready' AND v.visibility = 'public' "
            "AND v.published_at IS NOT NULL ORDER BY v.published_at DESC LIMIT " +
                std::to_string(kFeedBackfill) + " ON CONFLICT DO NOTHING",
            Binds().Int(subscriber_id).Int(channel_id));
    return true;
  });
}

bool SubscriptionRepository::Unsubscribe(std::int64_t subscriber_id, std::int64_t channel_id) {
  return database_.InTransaction([&](soci::session& session) {
    if (Execute(session, "UPDATE users SET subscriber_count = subscriber_count WHERE id = :id", Binds().Int(channel_id)) != 1)
      throw NotFound("user_not_found", "This channel does not exist.");
    if (Execute(session, "DELETE FROM subscriptions WHERE subscriber_id = :s AND channel_id = :c",
                Binds().Int(subscriber_id).Int(channel_id)) != 1)
      return false;
    Execute(session, "UPDATE users SET subscriber_count = subscriber_count - 1 WHERE id = :id", Binds().Int(channel_id));
    ActivityChange change;
    change.channel_id = channel_id;
    change.subscribers = -1;
    activity_(session, change);
    Execute(session, "DELETE FROM feed_items WHERE user_id = :s AND channel_id = :c",
            Binds().Int(subscriber_id).Int(channel_id));
    return true;
  });
}

bool SubscriptionRepository::IsSubscribed(std::int64_t subscriber_id, std::int64_t channel_id) {
  return database_.WithSession([&](soci::session& session) {
    int one = 0;
    session << "SELECT 1 FROM subscriptions WHERE subscriber_id = :s AND channel_id = :c", soci::into(one),
        soci::use(static_cast<long long>(subscriber_id)), soci::use(static_cast<long long>(channel_id));
    return session.got_data();
  });
}

std::int64_t SubscriptionRepository::SubscriberCount(std::int64_t channel_id) {
  return database_.WithSession([&](soci::session& session) {
    long long count = 0;
    session << "SELECT subscriber_count FROM users WHERE id = :id", soci::into(count),
        soci::use(static_cast<long long>(channel_id));
    return static_cast<std::int64_t>(count);
  });
}

SubscriptionPage SubscriptionRepository::ListOf(std::int64_t subscriber_id, int limit, std::string_view cursor) {
  std::string sql =
      "SELECT s.created_at, u.id, u.public_id, u.username, u.display_name, u.avatar_key, u.subscriber_count "
      "FROM subscriptions s JOIN users u ON u.id = s.channel_id WHERE s.subscriber_id = :s";
  Binds binds;
  binds.Int(subscriber_id);
  if (!cursor.empty()) {
    auto after = http::ParseCursor(cursor);
    db::AppendKeysetBefore(sql, binds, "s.created_at", "s.channel_id", after.key, after.id);
  }
  sql += " ORDER BY s.created_at DESC, s.channel_id DESC LIMIT :limit";
  binds.Int(limit + 1);
  return database_.WithSession([&](soci::session& session) {
    SubscriptionPage page;
    long long created_at = 0, channel_id = 0, count = 0, last_id = 0;
    std::string public_id, username, display_name, avatar_key;
    soci::indicator avatar_ind = soci::i_null;
    soci::statement statement(session);
    binds.ExchangeInto(statement);
    statement.exchange(soci::into(created_at));
    statement.exchange(soci::into(channel_id));
    statement.exchange(soci::into(public_id));
    statement.exchange(soci::into(username));
    statement.exchange(soci::into(display_name));
    statement.exchange(soci::into(avatar_key, avatar_ind));
    statement.exchange(soci::into(count));
    statement.alloc();
    statement.prepare(sql);
    statement.define_and_bind();
    if (statement.execute(true)) {
      do {
        if (static_cast<int>(page.subscriptions.size()) == limit) {
          const Subscription& last = page.subscriptions.back();
          page.next_cursor = http::MakeCursor(last.created_at_ms, last_id);
          break;
        }
        page.subscriptions.push_back({UserSummary(public_id, username, display_name, avatar_key, avatar_ind), count,
                                      static_cast<std::int64_t>(created_at)});
        last_id = channel_id;
        avatar_ind = soci::i_null;
      } while (statement.fetch());
    }
    return page;
  });
}

void SubscriptionRepository::RemoveAllOf(std::int64_t subscriber_id) {
  std::vector<long long> channels = database_.WithSession([&](soci::session& session) {
    std::vector<long long> ids;
    soci::rowset<long long> rows = (session.prepare << "SELECT channel_id FROM subscriptions WHERE subscriber_id = :s",
                                    soci::use(static_cast<long long>(subscriber_id)));
    for (long long id : rows) ids.push_back(id);
    return ids;
  });
  for (long long channel_id : channels) {
    try {
      Unsubscribe(subscriber_id, channel_id);
    } catch (const NotFound&) {
      // the channel went meanwhile, and the subscription with it
    }
  }
}

// ---------------- publishing and notifications ----------------

std::int64_t SubscriptionRepository::Publish(std::int64_t video_id, std::int64_t now_ms) {
  return database_.InTransaction([&](soci::session& session) -> std::int64_t {
    if (Execute(session,
                "UPDATE videos SET subscribers_notified = 1 WHERE id = :id AND subscribers_notified = 0 AND "
                "status = 'ready' AND visibility = 'public' AND published_at IS NOT NULL",
                Binds().Int(video_id)) != 1)
      return 0;
    Execute(session,
            "INSERT INTO feed_items (user_id, video_id, channel_id, published_at) SELECT s.subscriber_id, v.id, "
            "v.owner_id, v.published_at FROM subscriptions s JOIN videos v ON v.owner_id = s.channel_id WHERE v.id = "
            ":id ON CONFLICT DO NOTHING",
            Binds().Int(video_id));
    return Execute(session,
                   "INSERT INTO notifications (public_id, user_id, type, actor_id, video_id, created_at) SELECT " +
                       RandomIdExpression(session) +
                       ", s.subscriber_id, 'new_video', v.owner_id, v.id, :now FROM subscriptions s JOIN videos v ON "
                       "v.owner_id = s.channel_id WHERE v.id = :id ON CONFLICT DO NOTHING",
                   Binds().Int(now_ms).Int(video_id));
  });
}

NotificationPage SubscriptionRepository::Notifications(std::int64_t user_id, int limit, std::string_view cursor) {
  std::string sql =
      "SELECT n.id, n.public_id, n.type, n.read_at, n.created_at, n.video_id, a.public_id, a.username, "
      "a.display_name, a.avatar_key FROM notifications n LEFT JOIN users a ON a.id = n.actor_id WHERE n.user_id = :u";
  Binds binds;
  binds.Int(user_id);
  if (!cursor.empty()) {
    sql += " AND n.id < :id";
    binds.Int(http::ParseCursor(cursor).id);
  }
  sql += " ORDER BY n.id DESC LIMIT :limit";
  binds.Int(limit + 1);
  return database_.WithSession([&](soci::session& session) {
    NotificationPage page;
    long long id = 0, read_at = 0, created_at = 0, video = 0, last_id = 0;
    std::string public_id, type, actor_id, username, display_name, avatar_key;
    soci::indicator read_ind = soci::i_null, video_ind = soci::i_null, actor_ind = soci::i_null,
                    username_ind = soci::i_null, name_ind = soci::i_null, avatar_ind = soci::i_null;
    soci::statement statement(session);
    binds.ExchangeInto(statement);
    statement.exchange(soci::into(id));
    statement.exchange(soci::into(public_id));
    statement.exchange(soci::into(type));
    statement.exchange(soci::into(read_at, read_ind));
    statement.exchange(soci::into(created_at));
    statement.exchange(soci::into(video, video_ind));
    statement.exchange(soci::into(actor_id, actor_ind));
    statement.exchange(soci::into(username, username_ind));
    statement.exchange(soci::into(display_name, name_ind));
    statement.exchange(soci::into(avatar_key, avatar_ind));
    statement.alloc();
    statement.prepare(sql);
    statement.define_and_bind();
    if (statement.execute(true)) {
      do {
        if (static_cast<int>(page.notifications.size()) == limit) {
          page.next_cursor = http::MakeCursor(0, last_id);
          break;
        }
        Notification n;
        n.public_id = public_id;
        n.type = type;
        n.read = read_ind == soci::i_ok;
        n.created_at_ms = created_at;
        n.video_id = video_ind == soci::i_ok ? video : 0;
        if (actor_ind == soci::i_ok) n.actor = UserSummary(actor_id, username, display_name, avatar_key, avatar_ind);
        page.notifications.push_back(std::move(n));
        last_id = id;
        read_ind = video_ind = actor_ind = avatar_ind = soci::i_null;
      } while (statement.fetch());
    }
    return page;
  });
}

std::int64_t SubscriptionRepository::UnreadCount(std::int64_t user_id) {
  return database_.WithSession([&](soci::session& session) {
    long long count = 0;
    session << "SELECT COUNT(*) FROM notifications WHERE user_id = :u AND read_at IS NULL", soci::into(count),
        soci::use(static_cast<long long>(user_id));
    return static_cast<std::int64_t>(count);
  });
}

void SubscriptionRepository::MarkRead(std::int64_t user_id, const std::vector<std::string>& public_ids,
                                      std::int64_t now_ms) {
  database_.InTransaction([&](soci::session& session) {
    for (const std::string& public_id : public_ids)
      Execute(session,
              "UPDATE notifications SET read_at = :now WHERE user_id = :u AND public_id = :id AND read_at IS NULL",
              Binds().Int(now_ms).Int(user_id).Text(public_id));
  });
}

void SubscriptionRepository::MarkAllRead(std::int64_t user_id, std::int64_t now_ms) {
  database_.WithSession([&](soci::session& session) {
    Execute(session, "UPDATE notifications SET read_at = :now WHERE user_id = :u AND read_at IS NULL",
            Binds().Int(now_ms).Int(user_id));
  });
}

}  // namespace monotube::interactions
