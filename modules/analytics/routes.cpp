// The analytics API (/api/analytics/*): per-video figures for the owner and admins, the
// channel dashboard for its owner (admins: any channel), site figures for admins, and the
// public trending list. Handlers check who asks and parse the parameters; the figures come
// from AnalyticsModule.
#include "modules/analytics/analytics.hpp"

#include <unordered_map>

#include "monotube/errors.hpp"
#include "monotube/http/paging.hpp"

namespace monotube::analytics {

using boost::asio::awaitable;
using http::RequestContext;
using http::Response;

class AnalyticsRoutes {
 public:
  explicit AnalyticsRoutes(AnalyticsModule& module) : module_(module) {}

  void Register(http::Router& router) {
    router.Get("/api/analytics/videos/{video_id}", [this](RequestContext& c) { return VideoReport(c); });
    router.Get("/api/analytics/channel", [this](RequestContext& c) { return ChannelReport(c); });
    router.Get("/api/analytics/site", [this](RequestContext& c) { return SiteReport(c); });
    router.Get("/api/analytics/trending", [this](RequestContext& c) { return Trending(c); });
  }

 private:
  Range RangeOf(RequestContext& context) {
    return ParseRange([&](std::string_view name) { return context.request.Query(name); }, module_.clock_.NowMs());
  }

  awaitable<Response> VideoReport(RequestContext& context) {
    auto principal = co_await module_.auth_.Require(context);
    Range range = RangeOf(context);
    const std::string& video_id = context.Param("video_id");
    auto json = co_await context.Blocking([&] {
      auto video = module_.videos_.repository().FindByPublicId(video_id);
      if (!video) throw NotFound("video_not_found", "There is no such video.");
      if (video->owner_id != principal.user.id && !auth::HasRole(principal.user, auth::Role::kAdmin))
        throw Forbidden("forbidden", "Only the video's owner (or an admin) sees its analytics.");
      return module_.VideoReport(*video, range);
    });
    co_return Response::JsonNoStore(json);
  }

  awaitable<Response> ChannelReport(RequestContext& context) {
    auto principal = co_await module_.auth_.Require(context);
    Range range = RangeOf(context);
    auto user_id = context.request.Query("user_id");
    bool admin = auth::HasRole(principal.user, auth::Role::kAdmin);
    if (user_id && *user_id != principal.user.public_id && !admin)
      throw Forbidden("forbidden", "Only admins see another channel's analytics.");
    auto json = co_await context.Blocking([&] {
      auth::User channel = principal.user;
      if (user_id && *user_id != principal.user.public_id) {
        auto found = module_.auth_.accounts().users().FindByPublicId(*user_id);
        if (!found) throw NotFound("user_not_found", "There is no such user.");
        channel = *found;
      }
      return module_.ChannelReport(channel, range);
    });
    co_return Response::JsonNoStore(json);
  }

  awaitable<Response> SiteReport(RequestContext& context) {
    co_await module_.auth_.Require(context, auth::Role::kAdmin);
    Range range = RangeOf(context);
    auto json = co_await context.Blocking([&] { return module_.SiteReport(range); });
    co_return Response::JsonNoStore(json);
  }

  awaitable<Response> Trending(RequestContext& context) {
    auto principal = co_await module_.auth_.Authenticate(context);
    std::optional<auth::User> viewer;
    if (principal) viewer = principal->user;
    std::string window = context.request.Query("window").value_or("24h");
    std::int64_t window_ms = 0;
    if (window == "1h") window_ms = kHourMs;
    else if (window == "24h") window_ms = 24 * kHourMs;
    else if (window == "7d") window_ms = 7 * kDayMs;
    else throw InvalidInput("invalid_window", "window must be 1h, 24h or 7d.");
    int limit = http::PageSize(context.request, 20, 50);
    auto json = co_await context.Blocking([&] {
      auto entries = module_.Trending(window_ms);
      std::vector<std::int64_t> ids;
      std::unordered_map<std::int64_t, const TrendingEntry*> by_id;
      for (const auto& entry : entries) {
        ids.push_back(entry.video_id);
        by_id.emplace(entry.video_id, &entry);
      }
      // The list may be some seconds old: what was hidden or made private since stays out.
      auto found = module_.videos_.LoadInOrder(ids, 0, limit, &videos::VideosModule::IsListedPublicly).first;
      auto items = module_.videos_.VideoListJson(found, viewer);
      nlohmann::json list = nlohmann::json::array();
      for (std::size_t i = 0; i < found.size(); ++i) {
        const TrendingEntry& entry = *by_id.at(found[i].id);
        items[i]["trending_score"] = entry.score;
        items[i]["recent_views"] = entry.recent_views;
        list.push_back(std::move(items[i]));
      }
      return nlohmann::json{{"window", window}, {"videos", std::move(list)}};
    });
    co_return Response::Json(json);
  }

  AnalyticsModule& module_;
};

void AnalyticsModule::RegisterRoutes(http::Router& router, const std::function<void(std::string_view)>& add_page) {
  routes_ = std::make_shared<AnalyticsRoutes>(*this);
  routes_->Register(router);
  // The studio (a creator's channel and video analytics), trending, the admin's site analytics.
  add_page("/studio");
  add_page("/studio/videos/{video_id}");
  add_page("/trending");
  add_page("/admin/analytics");
}

}  // namespace monotube::analytics
