#pragma once
// Ratings (like/dislike), subscriptions with the feed inbox, and notifications, as stored.
// Counters (videos.likes/dislikes, users.subscriber_count) change in the same transaction
// as the rows they count, by relative updates, so concurrent requests keep them exact.
// Every call blocks on the database (worker threads only). Thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monotube/db/database.hpp"
#include "modules/auth/users.hpp"
#include "modules/interactions/activity.hpp"

namespace monotube::interactions {

// --- ratings ---

enum class Rating { kNone = 0, kLike = 1, kDislike = -1 };
std::optional<std::string> RatingName(Rating rating);  // "like", "dislike", nullopt

struct RatingCounts {
  Rating rating = Rating::kNone;  // the user's rating after the change
  std::int64_t likes = 0;
  std::int64_t dislikes = 0;
};

class RatingRepository {
 public:
  // activity is told of every change of the counts, inside its transaction.
  RatingRepository(db::Database& database, const ActivityHook& activity);
  // Sets (or with kNone removes) the user's rating of a video; returns the new counts.
  // Throws NotFound when the video is gone.
  RatingCounts Rate(std::int64_t video_id, std::int64_t user_id, Rating rating, std::int64_t now_ms);
  Rating Of(std::int64_t video_id, std::int64_t user_id);
  // Removes every rating of the user, lowering the counts (account deletion).
  void RemoveAllOf(std::int64_t user_id);
  struct Entry {
    std::string video_public_id;
    Rating rating;
    std::int64_t created_at_ms;
  };
  std::vector<Entry> AllOf(std::int64_t user_id);

 private:
  db::Database& database_;
  const ActivityHook& activity_;
};

// --- subscriptions, the feed inbox, notifications ---

struct Subscription {
  auth::User channel;  // public_id, username, display_name, avatar_key
  std::int64_t channel_subscriber_count = 0;
  std::int64_t created_at_ms = 0;
};

struct SubscriptionPage {
  std::vector<Subscription> subscriptions;
  std::string next_cursor;
};

struct Notification {
  std::string public_id;
  std::string type;
  bool read = false;
  std::int64_t created_at_ms = 0;
  std::optional<auth::User> actor;  // public_id, username, display_name, avatar_key
  std::int64_t video_id = 0;        // 0 = none
};

struct NotificationPage {
  std::vector<Notification> notifications;
  std::string next_cursor;
};

class SubscriptionRepository {
 public:
  SubscriptionRepository(db::Database& database, const ActivityHook& activity);

  // Subscribes (true if it was new); the channel's recent public videos join the feed.
  bool Subscribe(std::int64_t subscriber_id, std::int64_t channel_id, std::int64_t now_ms);
  // Unsubscribes (true if there was a subscription); the channel leaves the feed.
  bool Unsubscribe(std::int64_t subscriber_id, std::int64_t channel_id);
  bool IsSubscribed(std::int64_t subscriber_id, std::int64_t channel_id);
  std::int64_t SubscriberCount(std::int64_t channel_id);
  // The channels a user follows, most recent first.
  SubscriptionPage ListOf(std::int64_t subscriber_id, int limit, std::string_view cursor);
  // Removes every subscription the user holds, lowering the channels' counts.
  void RemoveAllOf(std::int64_t subscriber_id);

  // A video became ready and public: the first time, it goes into every subscriber's feed
  // and each gets a notification. Returns how many were notified (0 after the first time).
  std::int64_t Publish(std::int64_t video_id, std::int64_t now_ms);

  NotificationPage Notifications(std::int64_t user_id, int limit, std::string_view cursor);
  std::int64_t UnreadCount(std::int64_t user_id);
  // Marks the given notifications (public ids; others' are ignored), or all, as read.
  void MarkRead(std::int64_t user_id, const std::vector<std::string>& public_ids, std::int64_t now_ms);
  void MarkAllRead(std::int64_t user_id, std::int64_t now_ms);

 private:
  db::Database& database_;
  const ActivityHook& activity_;
};

}  // namespace monotube::interactions
