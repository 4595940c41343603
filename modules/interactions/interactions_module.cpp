#include "modules/interactions/interactions_module.hpp"

#include <spdlog/spdlog.h>

#include "monotube/log.hpp"

namespace monotube::interactions {

InteractionsModule::InteractionsModule(db::Database& database, const Clock& clock, RateLimiter& rate_limiter,
                                       auth::AuthModule& auth, videos::VideosModule& videos,
                                       InteractionsOptions options)
    : clock_(clock),
      rate_limiter_(rate_limiter),
      auth_(auth),
      videos_(videos),
      options_(options),
      comments_(database, activity_),
      ratings_(database, activity_),
      subscriptions_(database, activity_),
      views_(database, options.view_window.count()) {
  auth_.SetSubscriberCounter([this](std::int64_t user_id) { return subscriptions_.SubscriberCount(user_id); });

  // A video that is ready and public for the first time goes to its channel's subscribers.
  videos_.AddChangeListener([this](const videos::Video& video) {
    if (video.status != videos::kStatusReady || video.visibility != videos::kPublic) return;
    std::int64_t notified = subscriptions_.Publish(video.id, clock_.NowMs());
    if (notified > 0) spdlog::info("video {}: told {} subscriber(s)", video.public_id, notified);
  });

  videos_.SetViewerFields([this](const videos::Video& video, const auth::User& viewer, nlohmann::json& json) {
    auto rating = RatingName(ratings_.Of(video.id, viewer.id));
    json["my_rating"] = rating ? nlohmann::json(*rating) : nlohmann::json(nullptr);
    auto position = views_.ResumePosition(video.id, viewer.id);
    json["resume_position"] = position ? nlohmann::json(static_cast<double>(*position) / 1000.0) : nlohmann::json(nullptr);
  });

  auth_.accounts().AddUserData({"comments",
                                [this](const auth::User& user) {
                                  nlohmann::json list = nlohmann::json::array();
                                  for (const Comment& comment : comments_.AllOfAuthor(user.id))
                                    list.push_back(CommentJson(comment, user));
                                  return list;
                                },
                                [this](const auth::User& user) {
                                  // One by one, so the counts of every video and thread go down.
                                  for (const Comment& comment : comments_.AllOfAuthor(user.id))
                                    comments_.Delete(comment.id);
                                }});
  auth_.accounts().AddUserData({"ratings",
                                [this](const auth::User& user) {
                                  nlohmann::json list = nlohmann::json::array();
                                  for (const auto& entry : ratings_.AllOf(user.id))
                                    list.push_back({{"video_id", entry.video_public_id},
                                                    {"rating", RatingName(entry.rating).value_or("")},
                                                    {"created_at", FormatIso8601(entry.created_at_ms)}});
                                  return list;
                                },
                                [this](const auth::User& user) { ratings_.RemoveAllOf(user.id); }});
  auth_.accounts().AddUserData({"subscriptions",
                                [this](const auth::User& user) {
                                  nlohmann::json list = nlohmann::json::array();
                                  std::string cursor;
                                  do {
                                    auto page = subscriptions_.ListOf(user.id, 100, cursor);
                                    for (const auto& s : page.subscriptions)
                                      list.push_back({{"channel", auth::AuthModule::UserSummaryJson(s.channel)},
                                                      {"subscribed_at", FormatIso8601(s.created_at_ms)}});
                                    cursor = page.next_cursor;
                                  } while (!cursor.empty());
                                  return list;
                                },
                                [this](const auth::User& user) { subscriptions_.RemoveAllOf(user.id); }});
  auth_.accounts().AddUserData({"watch_history",
                                [this](const auth::User& user) {
                                  nlohmann::json list = nlohmann::json::array();
                                  for (const auto& entry : views_.HistoryOf(user.id))
                                    list.push_back(
                                        {{"video_id", entry.video_public_id},
                                         {"watch_time_seconds", static_cast<double>(entry.watch_time_ms) / 1000.0},
                                         {"position_seconds", entry.position_ms
                                                                  ? nlohmann::json(*entry.position_ms / 1000.0)
                                                                  : nlohmann::json(nullptr)},
                                         {"last_watched_at", FormatIso8601(entry.last_seen_at_ms)}});
                                  return list;
                                },
                                // The rows go with the account (ON DELETE CASCADE); the totals stay, anonymous.
                                nullptr});
}

InteractionsModule::~InteractionsModule() = default;

bool InteractionsModule::CanDelete(const Comment& comment, const auth::User& user) {
  return comment.author.id == user.id || comment.video_owner_id == user.id ||
         auth::HasRole(user, auth::Role::kModerator);
}

nlohmann::json InteractionsModule::CommentJson(const Comment& comment, const std::optional<auth::User>& viewer) const {
  bool author = viewer && viewer->id == comment.author.id;
  return {
      {"id", comment.public_id},
      {"video_id", comment.video_public_id},
      {"parent_id", comment.parent_public_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(comment.parent_public_id)},
      {"content", comment.content},
      {"author", auth::AuthModule::UserSummaryJson(comment.author)},
      {"by_video_owner", comment.author.id == comment.video_owner_id},
      {"created_at", FormatIso8601(comment.created_at_ms)},
      {"updated_at", FormatIso8601(comment.updated_at_ms)},
      {"edited", comment.edited_at_ms.has_value()},
      {"reply_count", comment.reply_count},
      {"can_edit", author},
      {"can_delete", viewer && CanDelete(comment, *viewer)},
  };
}

}  // namespace monotube::interactions
