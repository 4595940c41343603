// The interactions module's HTTP surface: comments, ratings, subscriptions, the feed,
// notifications and view reports. Handlers parse and check, then do blocking work on the
// worker pool.
#include <algorithm>
#include <cmath>

#include "monotube/errors.hpp"
#include "monotube/http/json_fields.hpp"
#include "monotube/http/paging.hpp"
#include "monotube/ids.hpp"
#include "modules/interactions/interactions_module.hpp"

namespace monotube::interactions {

using boost::asio::awaitable;
using http::RequestContext;
using http::Response;
using videos::Video;
using Field = http::bhttp::field;

namespace {

constexpr std::string_view kVisitorCookie = "monotube_visitor";
constexpr int kVisitorCookieDays = 365;
// A heartbeat adds at most this much watch time (players report every ~15 s).
constexpr double kMaxHeartbeatSeconds = 60;
constexpr std::size_t kMaxReadIds = 100;

NotFound VideoNotFound() { return NotFound("video_not_found", "This video does not exist or is not available."); }
NotFound CommentNotFound() { return NotFound("comment_not_found", "This comment does not exist or was deleted."); }

bool IsVisitorId(std::string_view id) {
  if (id.size() < 16 || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

// A number of seconds in a JSON body: absent/null = nullopt; else finite and >= 0.
std::optional<double> OptionalSeconds(const nlohmann::json& body, const std::string& field) {
  if (!body.contains(field) || body[field].is_null()) return std::nullopt;
  const auto& value = body[field];
  if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0)
    ThrowFieldError(field, InvalidInput("invalid_number", field + " must be a number of seconds, 0 or more."));
  return value.get<double>();
}

}  // namespace

class InteractionsRoutes {
 public:
  explicit InteractionsRoutes(InteractionsModule& module)
      : module_(module),
        comments_(module.comments_),
        ratings_(module.ratings_),
        subscriptions_(module.subscriptions_),
        views_(module.views_),
        videos_(module.videos_),
        auth_(module.auth_) {}

  void Register(http::Router& router) {
    router.Get("/api/videos/{video_id}/comments", [this](RequestContext& c) { return ListComments(c); });
    router.Post("/api/videos/{video_id}/comments", [this](RequestContext& c) { return PostComment(c); });
    router.Get("/api/comments/{comment_id}", [this](RequestContext& c) { return GetComment(c); });
    router.Patch("/api/comments/{comment_id}", [this](RequestContext& c) { return EditComment(c); });
    router.Delete("/api/comments/{comment_id}", [this](RequestContext& c) { return DeleteComment(c); });

    router.Post("/api/videos/{video_id}/like", [this](RequestContext& c) { return Rate(c, Rating::kLike); });
    router.Post("/api/videos/{video_id}/dislike", [this](RequestContext& c) { return Rate(c, Rating::kDislike); });
    router.Delete("/api/videos/{video_id}/rating", [this](RequestContext& c) { return Rate(c, Rating::kNone); });

    router.Post("/api/users/{user_id}/subscribe", [this](RequestContext& c) { return Subscribe(c, true); });
    router.Delete("/api/users/{user_id}/subscribe", [this](RequestContext& c) { return Subscribe(c, false); });
    router.Post("/api/users/{user_id}/unsubscribe", [this](RequestContext& c) { return Subscribe(c, false); });
    router.Delete("/api/users/{user_id}/unsubscribe", [this](RequestContext& c) { return Subscribe(c, false); });
    router.Get("/api/users/{user_id}/subscription", [this](RequestContext& c) { return GetSubscription(c); });
    router.Get("/api/me/subscriptions", [this](RequestContext& c) { return ListSubscriptions(c); });
    router.Get("/api/feed/subscriptions", [this](RequestContext& c) { return Feed(c); });

    router.Get("/api/me/notifications", [this](RequestContext& c) { return ListNotifications(c); });
    router.Get("/api/me/notifications/unread-count", [this](RequestContext& c) { return UnreadCount(c); });
    router.Post("/api/me/notifications/read", [this](RequestContext& c) { return MarkRead(c); });

    router.Post("/api/videos/{video_id}/views", [this](RequestContext& c) { return RecordView(c); });
  }

 private:
  std::int64_t Now() const { return module_.clock_.NowMs(); }

  static std::optional<auth::User> UserOf(const std::optional<auth::Principal>& principal) {
    if (!principal) return std::nullopt;
    return principal->user;
  }

  // The video if this viewer may see it; 404 otherwise (never revealing private ones).
  awaitable<Video> LoadVisible(RequestContext& context, const std::optional<auth::User>& viewer) {
    const std::string& id = context.Param("video_id");
    auto video = co_await context.Blocking([&] { return videos_.repository().FindByPublicId(id); });
    if (!video || !videos::VideosModule::CanView(*video, viewer)) throw VideoNotFound();
    co_return std::move(*video);
  }

  // A comment whose video this viewer may see; 404 otherwise.
  awaitable<Comment> LoadComment(RequestContext& context, const std::optional<auth::User>& viewer) {
    const std::string& id = context.Param("comment_id");
    auto found = co_await context.Blocking([&]() -> std::optional<std::pair<Comment, Video>> {
      auto comment = comments_.FindByPublicId(id);
      if (!comment) return std::nullopt;
      auto video = videos_.repository().FindById(comment->video_id);
      if (!video) return std::nullopt;
      return std::make_pair(std::move(*comment), std::move(*video));
    });
    if (!found || !videos::VideosModule::CanView(found->second, viewer)) throw CommentNotFound();
    if (!found->second.comments_enabled && context.request.method != http::Verb::get)
      throw Forbidden("comments_disabled", "Comments are turned off for this video.");
    co_return std::move(found->first);
  }

  awaitable<auth::User> LoadChannel(RequestContext& context) {
    const std::string& id = context.Param("user_id");
    auto user = co_await context.Blocking([&] { return auth_.accounts().users().FindByPublicId(id); });
    if (!user || user->suspended) throw NotFound("user_not_found", "This channel does not exist.");
    co_return std::move(*user);
  }

  nlohmann::json CommentPageJson(const CommentPage& page, const Video& video, const std::optional<auth::User>& viewer) {
    nlohmann::json list = nlohmann::json::array();
    for (const Comment& comment : page.comments) list.push_back(module_.CommentJson(comment, viewer));
    return {{"comments", std::move(list)},
            {"next_cursor", http::CursorJson(page.next_cursor)},
            {"comment_count", video.comment_count},
            {"comments_enabled", video.comments_enabled}};
  }

  // ---------- comments ----------

  awaitable<Response> ListComments(RequestContext& context) {
    auto viewer = UserOf(co_await auth_.Authenticate(context));
    Video video = co_await LoadVisible(context, viewer);
    int limit = http::PageSize(context.request, 20);
    std::string cursor = context.request.Query("cursor").value_or("");
    auto parent = context.request.Query("parent_id");
    std::string sort = context.request.Query("sort").value_or(parent ? "oldest" : "newest");
    CommentOrder order;
    if (sort == "newest") order = CommentOrder::kNewest;
    else if (sort == "top") order = CommentOrder::kTop;
    else if (sort == "oldest") order = CommentOrder::kOldest;
    else throw InvalidInput("invalid_sort", "sort must be newest, top or oldest.");
    auto json = co_await context.Blocking([&] {
      // Comments turned off: none are shown; they come back if the owner turns them on again.
      if (!video.comments_enabled) return CommentPageJson({}, video, viewer);
      std::optional<std::int64_t> parent_id;
      if (parent) {
        auto comment = comments_.FindByPublicId(*parent);
        if (!comment || comment->video_id != video.id) throw CommentNotFound();
        parent_id = comment->id;
      }
      return CommentPageJson(comments_.List(video.id, parent_id, order, limit, cursor), video, viewer);
    });
    co_return Response::JsonNoStore(json);
  }

  awaitable<Response> PostComment(RequestContext& context) {
    auto principal = co_await auth_.Require(context);
    Video video = co_await LoadVisible(context, principal.user);
    nlohmann::json body = http::JsonObject(context.request);
    std::string content = NormalizeCommentContent(http::RequiredString(body, "content"));
    std::optional<std::string> parent = http::OptionalString(body, "parent_id");
    if (!video.comments_enabled) throw Forbidden("comments_disabled", "Comments are turned off for this video.");
    auto json = co_await context.Blocking([&] {
      std::optional<std::int64_t> parent_id;
      if (parent) {
        auto comment = comments_.FindByPublicId(*parent);
        if (!comment || comment->video_id != video.id) throw CommentNotFound();
        // One level of replies: a reply to a reply joins the same thread.
        parent_id = comment->parent_id.value_or(comment->id);
      }
      module_.rate_limiter_.Hit("comment:user:" + std::to_string(principal.user.id), module_.options_.comments_per_user,
                                "You are commenting too fast. Wait a moment and try again.");
      Comment comment = comments_.Insert(video.id, parent_id, principal.user.id, content, Now());
      return module_.CommentJson(comment, principal.user);
    });
    co_return Response::Json({{"comment", std::move(json)}}, http::Status::created);
  }

  awaitable<Response> GetComment(RequestContext& context) {
    auto viewer = UserOf(co_await auth_.Authenticate(context));
    Comment comment = co_await LoadComment(context, viewer);
    co_return Response::Json({{"comment", module_.CommentJson(comment, viewer)}});
  }

  awaitable<Response> EditComment(RequestContext& context) {
    auto principal = co_await auth_.Require(context);
    Comment comment = co_await LoadComment(context, principal.user);
    if (comment.author.id != principal.user.id) throw Forbidden("Only the comment's author may edit it.");
    nlohmann::json body = http::JsonObject(context.request);
    std::string content = NormalizeCommentContent(http::RequiredString(body, "content"));
    auto json = co_await context.Blocking([&] {
      if (content != comment.content && !comments_.UpdateContent(comment.id, content, Now())) throw CommentNotFound();
      auto updated = comments_.FindById(comment.id);
      if (!updated) throw CommentNotFound();
      return module_.CommentJson(*updated, principal.user);
    });
    co_return Response::Json({{"comment", std::move(json)}});
  }

  awaitable<Response> DeleteComment(RequestContext& context) {
    auto principal = co_await auth_.Require(context);
    const std::string& id = context.Param("comment_id");
    // Deleting stays possible with comments turned off, so it does not go through LoadComment.
    auto found = co_await context.Blocking([&] { return comments_.FindByPublicId(id); });
    if (!found) throw CommentNotFound();
    auto video = co_await context.Blocking([&] { return videos_.repository().FindById(found->video_id); });
    if (!video || !videos::VideosModule::CanView(*video, principal.user)) throw CommentNotFound();
    if (!InteractionsModule::CanDelete(*found, principal.user))
      throw Forbidden("Only the author, the video's owner or a moderator may delete this comment.");
    co_await context.Blocking([&] {
      if (!comments_.Delete(found->id)) throw CommentNotFound();
    });
    co_return Response::Empty();
  }

  // ---------- ratings ----------

  awaitable<Response> Rate(RequestContext& context, Rating rating) {
    auto principal = co_await auth_.Require(context);
    Video video = co_await LoadVisible(context, principal.user);
    if (video.status != videos::kStatusReady) throw Conflict("not_ready", "This video cannot be rated before it is ready.");
    auto counts = co_await context.Blocking([&] { return ratings_.Rate(video.id, principal.user.id, rating, Now()); });
    auto name = RatingName(counts.rating);
    co_return Response::Json({{"rating", name ? nlohmann::json(*name) : nlohmann::json(nullptr)},
                              {"likes", counts.likes},
                              {"dislikes", counts.dislikes}});
  }

  // ---------- subscriptions and the feed ----------

  awaitable<Response> Subscribe(RequestContext& context, bool subscribe) {
    auto principal = co_await auth_.Require(context);
    auth::User channel = co_await LoadChannel(context);
    if (channel.id == principal.user.id)
      throw InvalidInput("cannot_subscribe_to_self", "You cannot subscribe to your own channel.");
    auto count = co_await context.Blocking([&] {
      if (subscribe) subscriptions_.Subscribe(principal.user.id, channel.id, Now());
      else subscriptions_.Unsubscribe(principal.user.id, channel.id);
      return subscriptions_.SubscriberCount(channel.id);
    });
    co_return Response::Json({{"subscribed", subscribe}, {"subscriber_count", count}});
  }

  awaitable<Response> GetSubscription(RequestContext& context) {
    auto viewer = UserOf(co_await auth_.Authenticate(context));
    auth::User channel = co_await LoadChannel(context);
    auto json = co_await context.Blocking([&] {
      bool subscribed = viewer && subscriptions_.IsSubscribed(viewer->id, channel.id);
      return nlohmann::json{{"subscribed", subscribed}, {"subscriber_count", subscriptions_.SubscriberCount(channel.id)}};
    });
    co_return Response::JsonNoStore(json);
  }

  awaitable<Response> ListSubscriptions(RequestContext& context) {
    auto principal = co_await auth_.Require(context);
    int limit = http::PageSize(context.request);
    std::string cursor = context.request.Query("cursor").value_or("");
    auto json = co_await context.Blocking([&] {
      auto page = subscriptions_.ListOf(principal.user.id, limit, cursor);
      nlohmann::json list = nlohmann::json::array();
      for (const auto& s : page.subscriptions) {
        nlohmann::json channel = auth::AuthModule::UserSummaryJson(s.channel);
        channel["subscriber_count"] = s.channel_subscriber_count;
        list.push_back({{"channel", std::move(channel)}, {"subscribed_at", FormatIso8601(s.created_at_ms)}});
      }
      return nlohmann::json{{"subscriptions", std::move(list)}, {"next_cursor", http::CursorJson(page.next_cursor)}};
    });
    co_return Response::Json(json);
  }

  awaitable<Response> Feed(RequestContext& context) {
    auto principal = co_await auth_.Require(context);
    int limit = http::PageSize(context.request);
    std::string cursor = context.request.Query("cursor").value_or("");
    auto json = co_await context.Blocking([&] {
      auto page = videos_.repository().ListSubscriptionFeed(principal.user.id, limit, cursor);
      nlohmann::json list = nlohmann::json::array();
      for (auto& item : videos_.VideoListJson(page.videos, principal.user)) list.push_back(std::move(item));
      return nlohmann::json{{"videos", std::move(list)}, {"next_cursor", http::CursorJson(page.next_cursor)}};
    });
    co_return Response::JsonNoStore(json);
  }

  // ---------- notifications ----------

  awaitable<Response> ListNotifications(RequestContext& context) {
    auto principal = co_await auth_.Require(context);
    int limit = http::PageSize(context.request, 20);
    std::string cursor = context.request.Query("cursor").value_or("");
    auto json = co_await context.Blocking([&] {
      auto page = subscriptions_.Notifications(principal.user.id, limit, cursor);
      nlohmann::json list = nlohmann::json::array();
      for (const Notification& n : page.notifications) {
        nlohmann::json video = nullptr;
        if (n.video_id != 0) {
          auto found = videos_.repository().FindById(n.video_id);
          // A video that is no longer visible takes its notification out of view.
          if (!found || !videos::VideosModule::CanView(*found, principal.user)) continue;
          auto full = videos_.VideoJson(*found, principal.user);
          video = {{"id", full["id"]},
                   {"title", full["title"]},
                   {"thumbnail_url", full["thumbnail_url"]},
                   {"duration", full["duration"]}};
        }
        list.push_back({{"id", n.public_id},
                        {"type", n.type},
                        {"read", n.read},
                        {"created_at", FormatIso8601(n.created_at_ms)},
                        {"actor", n.actor ? auth::AuthModule::UserSummaryJson(*n.actor) : nlohmann::json(nullptr)},
                        {"video", std::move(video)}});
      }
      return nlohmann::json{{"notifications", std::move(list)},
                            {"next_cursor", http::CursorJson(page.next_cursor)},
                            {"unread_count", subscriptions_.UnreadCount(principal.user.id)}};
    });
    co_return Response::JsonNoStore(json);
  }

  awaitable<Response> UnreadCount(RequestContext& context) {
    auto principal = co_await auth_.Require(context);
    auto count = co_await context.Blocking([&] { return subscriptions_.UnreadCount(principal.user.id); });
    co_return Response::JsonNoStore({{"unread_count", count}});
  }

  awaitable<Response> MarkRead(RequestContext& context) {
    auto principal = co_await auth_.Require(context);
    nlohmann::json body = http::JsonObject(context.request);
    bool all = false;
    std::vector<std::string> ids;
    if (body.contains("all")) {
      if (!body["all"].is_boolean()) ThrowFieldError("all", InvalidInput("invalid_type", "all must be true or false."));
      all = body["all"].get<bool>();
    }
    if (body.contains("ids")) {
      const auto& list = body["ids"];
      if (!list.is_array() || list.size() > kMaxReadIds ||
          !std::all_of(list.begin(), list.end(), [](const auto& id) { return id.is_string(); }))
        ThrowFieldError("ids", InvalidInput("invalid_type", "ids must be a list of at most 100 notification ids."));
      ids = list.get<std::vector<std::string>>();
    }
    if (!all && ids.empty())
      throw InvalidInput("missing_field", "Send {\"ids\": [...]} or {\"all\": true}.");
    auto count = co_await context.Blocking([&] {
      if (all) subscriptions_.MarkAllRead(principal.user.id, Now());
      else subscriptions_.MarkRead(principal.user.id, ids, Now());
      return subscriptions_.UnreadCount(principal.user.id);
    });
    co_return Response::Json({{"unread_count", count}});
  }

  // ---------- views ----------

  awaitable<Response> RecordView(RequestContext& context) {
    auto viewer = UserOf(co_await auth_.Authenticate(context));
    Video video = co_await LoadVisible(context, viewer);
    if (video.status != videos::kStatusReady) throw Conflict("not_ready", "This video is not ready to be watched.");
    nlohmann::json body = http::JsonObject(context.request);
    auto watched = OptionalSeconds(body, "watch_time_seconds");
    auto position = OptionalSeconds(body, "position_seconds");

    ViewReport report;
    report.video_id = video.id;
    std::string set_cookie;
    if (viewer) {
      report.user_id = viewer->id;
      report.viewer_key = "u:" + std::to_string(viewer->id);
    } else {
      auto cookie = http::CookieValue(context.request.Header("Cookie"), kVisitorCookie);
      std::string visitor;
      if (cookie && IsVisitorId(*cookie)) {
        visitor = std::string(*cookie);
      } else {
        // No cookie (yet): the same address and browser are the same visitor, and get the
        // same id as a cookie, so a browser that keeps it stays one visitor.
        visitor = co_await context.Blocking([&] {
          return HmacSha256Base64Url(module_.VisitorSecret(), context.request.client_address + "\n" +
                                                                  std::string(context.request.Header("User-Agent")));
        });
        visitor.resize(22);
        set_cookie = std::string(kVisitorCookie) + "=" + visitor + "; Path=/; Max-Age=" +
                     std::to_string(kVisitorCookieDays * 86400) + "; HttpOnly; SameSite=Lax";
        if (context.request.secure) set_cookie += "; Secure";
      }
      report.viewer_key = "a:" + visitor;
    }
    // In whole milliseconds, capped at the video's own length: a player at the very end
    // reports exactly duration_ms (truncating seconds * 1000 could land 1 ms short, and the
    // retention curve would miss the view at 100 %).
    const std::int64_t duration_ms = video.duration_ms.value_or(0);
    auto to_ms = [](double seconds) { return static_cast<std::int64_t>(std::llround(std::min(seconds, 1e12) * 1000)); };
    report.start = !watched.has_value();
    if (watched)
      report.watch_time_ms = std::min({to_ms(*watched), to_ms(kMaxHeartbeatSeconds), duration_ms});
    if (position) report.position_ms = std::min(to_ms(*position), duration_ms);
    auto result = co_await context.Blocking([&] { return views_.Record(report, Now()); });
    auto response = Response::Json({{"counted", result.counted}, {"views", result.views}});
    response.headers.set(Field::cache_control, "no-store");
    if (!set_cookie.empty()) response.headers.insert(Field::set_cookie, set_cookie);
    co_return response;
  }

  InteractionsModule& module_;
  CommentRepository& comments_;
  RatingRepository& ratings_;
  SubscriptionRepository& subscriptions_;
  ViewRepository& views_;
  videos::VideosModule& videos_;
  auth::AuthModule& auth_;
};

void InteractionsModule::RegisterRoutes(http::Router& router, const std::function<void(std::string_view)>& add_page) {
  routes_ = std::make_shared<InteractionsRoutes>(*this);
  routes_->Register(router);
  add_page("/feed/subscriptions");
}

const std::string& InteractionsModule::VisitorSecret() {
  std::call_once(visitor_secret_once_,
                 [this] { visitor_secret_ = videos_.repository().SiteSecret("visitor_key", clock_.NowMs()); });
  return visitor_secret_;
}

}  // namespace monotube::interactions
