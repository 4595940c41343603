// The search module's HTTP surface and wiring:
//   GET /api/search/videos   full-text search with filters, sorts and pages
//   GET /api/search/suggest  completions of what is being typed
//   /search                  the results page of the web UI
#include <spdlog/spdlog.h>

#include "modules/auth/auth.hpp"
#include "modules/search/engine.hpp"
#include "modules/videos/videos_module.hpp"
#include "monotube/errors.hpp"
#include "monotube/http/context.hpp"

namespace monotube::search {

using boost::asio::awaitable;
using http::RequestContext;
using http::Response;

namespace {

constexpr std::size_t kMaxSuggestQueryBytes = 100;
constexpr int kDefaultSuggestions = 8;

nlohmann::json SegmentsJson(const std::vector<Segment>& segments) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& segment : segments) list.push_back({{"text", segment.text}, {"highlight", segment.highlight}});
  return list;
}

awaitable<Response> SearchVideos(SearchModule& module, RequestContext& context) {
  auto principal = co_await module.auth().Authenticate(context);
  std::optional<auth::User> viewer;
  if (principal) viewer = principal->user;
  SearchQuery query = ParseSearchParameters(
      [&](std::string_view name) { return context.request.Query(name); }, module.clock().NowMs());
  auto json = co_await context.Blocking([&] {
    SearchResult result = module.Search(query);
    auto& videos = module.videos();
    // The index can be a moment behind the database: check the videos again before
    // showing them (an owner's suspension reaches the index within the same 2 s). All
    // hits' rows and owners are read in two queries.
    std::vector<std::int64_t> ids;
    for (const auto& hit : result.hits) ids.push_back(hit.video_id);
    std::vector<videos::Video> found =
        videos.LoadInOrder(ids, 0, static_cast<int>(ids.size()), &videos::VideosModule::IsListedPublicly).first;
    std::vector<nlohmann::json> items = videos.VideoListJson(found, viewer);
    nlohmann::json list = nlohmann::json::array();
    std::size_t next = 0;
    for (const auto& hit : result.hits) {
      if (next == found.size() || found[next].id != hit.video_id) continue;  // gone since it was indexed
      auto& item = items[next++];
      item["highlighted_title"] = SegmentsJson(hit.title);
      item["snippet"] = SegmentsJson(hit.snippet);
      list.push_back(std::move(item));
    }
    const int next_offset = query.offset + query.limit;
    const bool more = static_cast<int>(result.hits.size()) == query.limit && next_offset < result.total_estimate &&
                      next_offset + query.limit <= kMaxResultWindow;
    return nlohmann::json{
        {"videos", std::move(list)},
        {"total_estimate", result.total_estimate},
        {"page", query.offset / query.limit + 1},
        {"limit", query.limit},
        {"next_page", more && query.offset % query.limit == 0 ? nlohmann::json(query.offset / query.limit + 2)
                                                              : nlohmann::json(nullptr)},
        {"next_cursor", more ? nlohmann::json("o" + std::to_string(next_offset)) : nlohmann::json(nullptr)},
        {"did_you_mean", result.did_you_mean.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.did_you_mean)},
    };
  });
  co_return Response::Json(json);
}

awaitable<Response> SuggestVideos(SearchModule& module, RequestContext& context) {
  std::string text = context.request.Query("query").value_or("");
  CheckQueryText(text, "query", kMaxSuggestQueryBytes);
  int limit = kDefaultSuggestions;
  if (auto value = context.request.Query("limit")) {
    if (value->empty() || value->size() > 2 || value->find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(*value) < 1 || std::stoi(*value) > 20)
      throw InvalidInput("invalid_limit", "limit must be a number from 1 to 20.");
    limit = std::stoi(*value);
  }
  // An in-memory lookup of a few microseconds: no need to leave the IO thread.
  nlohmann::json list = nlohmann::json::array();
  for (const auto& suggestion : module.Suggest(text, limit))
    list.push_back({{"text", suggestion.text}, {"type", suggestion.kind}});
  auto response = Response::Json({{"query", text}, {"suggestions", std::move(list)}});
  response.headers.set(http::bhttp::field::cache_control, "public, max-age=30");
  co_return response;
}

}  // namespace

SearchModule::SearchModule(db::Database& database, const Clock& clock, videos::VideosModule& videos,
                           auth::AuthModule& auth, SearchOptions options)
    : database_(database),
      clock_(clock),
      videos_(videos),
      auth_(auth),
      options_(std::move(options)),
      engine_(std::make_unique<SearchEngine>(database_, options_)) {}

SearchModule::~SearchModule() { Stop(); }

void SearchModule::RegisterRoutes(http::Router& router, const std::function<void(std::string_view)>& add_page) {
  router.Get("/api/search/videos", [this](RequestContext& c) { return SearchVideos(*this, c); });
  router.Get("/api/search/suggest", [this](RequestContext& c) { return SuggestVideos(*this, c); });
  add_page("/search");
}

void SearchModule::Start() { engine_->Start(); }
void SearchModule::Stop() { engine_->Stop(); }
SearchResult SearchModule::Search(const SearchQuery& query) { return engine_->Search(query); }
std::vector<Suggestion> SearchModule::Suggest(std::string_view prefix, int limit) {
  return engine_->Suggest(prefix, limit);
}
std::int64_t SearchModule::Rebuild() { return engine_->Rebuild(); }
std::int64_t SearchModule::applied_seq() const { return engine_->applied_seq(); }

}  // namespace monotube::search
