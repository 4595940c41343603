#pragma once
// The interactions module: comments with one level of replies, likes and dislikes,
// subscriptions with a feed and notifications, and views with watch time and resume
// positions. It hooks into the auth module (subscriber counts, GDPR export and erasure)
// and the videos module (viewer fields, new public videos). Thread-safe once routes are
// registered.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "monotube/clock.hpp"
#include "monotube/db/database.hpp"
#include "monotube/http/router.hpp"
#include "monotube/rate_limit.hpp"
#include "modules/auth/auth.hpp"
#include "modules/interactions/comments.hpp"
#include "modules/interactions/social.hpp"
#include "modules/interactions/views.hpp"
#include "modules/videos/videos_module.hpp"

namespace monotube::interactions {

struct InteractionsOptions {
  // The same viewer adds one view per video within this window.
  std::chrono::milliseconds view_window = std::chrono::minutes(30);
  // Comments one account may post.
  RateLimit comments_per_user{30, std::chrono::seconds(60)};
};

class InteractionsRoutes;

class InteractionsModule {
 public:
  // The references must outlive the module. Registers its hooks with auth and videos.
  InteractionsModule(db::Database& database, const Clock& clock, RateLimiter& rate_limiter, auth::AuthModule& auth,
                     videos::VideosModule& videos, InteractionsOptions options);
  ~InteractionsModule();

  void RegisterRoutes(http::Router& router, const std::function<void(std::string_view)>& add_page);

  // Blocking. The API view of a comment for a viewer (nullopt = anonymous).
  nlohmann::json CommentJson(const Comment& comment, const std::optional<auth::User>& viewer) const;
  static bool CanDelete(const Comment& comment, const auth::User& user);

  CommentRepository& comments() noexcept { return comments_; }
  RatingRepository& ratings() noexcept { return ratings_; }
  SubscriptionRepository& subscriptions() noexcept { return subscriptions_; }
  ViewRepository& views() noexcept { return views_; }
  // Hook for analytics: rating, comment and subscription changes, inside their transactions.
  // Set before the server starts.
  void SetActivityListener(ActivityListener listener) { activity_.Set(std::move(listener)); }

 private:
  friend class InteractionsRoutes;
  // The key that tells one anonymous visitor from another without an account.
  const std::string& VisitorSecret();

  const Clock& clock_;
  RateLimiter& rate_limiter_;
  auth::AuthModule& auth_;
  videos::VideosModule& videos_;
  InteractionsOptions options_;
  ActivityHook activity_;
  CommentRepository comments_;
  RatingRepository ratings_;
  SubscriptionRepository subscriptions_;
  ViewRepository views_;
  std::once_flag visitor_secret_once_;
  std::string visitor_secret_;
  std::shared_ptr<InteractionsRoutes> routes_;
};

}  // namespace monotube::interactions
