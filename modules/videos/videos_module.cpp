#include "modules/videos/videos_module.hpp"

#include <algorithm>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "monotube/errors.hpp"

namespace monotube::videos {

VideosModule::VideosModule(db::Database& database, const Clock& clock, storage::ObjectStorage& storage,
                           jobs::JobQueue& queue, auth::AuthModule& auth, const SiteSettings& site,
                           VideosOptions options)
    : database_(database),
      clock_(clock),
      storage_(storage),
      queue_(queue),
      auth_(auth),
      site_(site),
      options_(std::move(options)),
      repository_(database) {
  // Account export and erasure include the user's videos.
  auth_.accounts().AddUserData({"videos",
                                [this](const auth::User& user) {
                                  nlohmann::json list = nlohmann::json::array();
                                  for (auto& item : VideoListJson(repository_.AllOfOwner(user.id), user))
                                    list.push_back(std::move(item));
                                  return list;
                                },
                                [this](const auth::User& user) {
                                  for (const Video& video : repository_.AllOfOwner(user.id)) DeleteVideo(video);
                                }});
}

VideosModule::~VideosModule() = default;

const MediaSigner& VideosModule::signer() {
  std::call_once(signer_once_, [this] {
    signer_ = std::make_unique<MediaSigner>(repository_.SiteSecret("media_url_key", clock_.NowMs()));
  });
  return *signer_;
}

bool VideosModule::CanEdit(const Video& video, const auth::User& user) {
  return video.owner_id == user.id || auth::HasRole(user, auth::Role::kAdmin);
}

bool VideosModule::CanView(const Video& video, const std::optional<auth::User>& viewer) {
  if (viewer && CanEdit(video, *viewer)) return true;
  if (video.status != kStatusReady || video.visibility == kPrivate) return false;
  // Hidden by a moderator, or its owner suspended: only staff still see it (to review it).
  if (IsWithdrawn(video)) return viewer && auth::HasRole(*viewer, auth::Role::kModerator);
  return true;
}

bool VideosModule::IsWithdrawn(const Video& video) { return video.hidden || video.owner_suspended; }

std::string VideosModule::MediaUrl(const Video& video, std::string_view file) {
  std::string url = "/media/" + video.public_id + "/" + std::string(file);
  if (video.visibility == kPublic && !IsWithdrawn(video)) return url;
  // Long enough to watch the whole video once, short enough that a shared link dies.
  std::int64_t now_seconds = clock_.NowMs() / 1000;
  std::int64_t duration = video.duration_ms.value_or(0) / 1000;
  std::int64_t ttl = options_.media_url_ttl.count();
  // Rounded up to the TTL's granularity so one page's URLs stay cacheable for a while.
  std::int64_t step = std::max<std::int64_t>(60, ttl / 10);
  std::int64_t expires = ((now_seconds + ttl + duration) / step + 1) * step;
  return url + "?" + signer().Query(video.public_id, expires);
}

nlohmann::json VideosModule::VideoJson(const Video& video, const std::optional<auth::User>& viewer) {
  nlohmann::json owner = nullptr;
  if (viewer && viewer->id == video.owner_id) {
    owner = auth::AuthModule::UserSummaryJson(*viewer);
  } else if (auto user = auth_.accounts().users().FindById(video.owner_id)) {
    owner = auth::AuthModule::UserSummaryJson(*user);
  }
  return VideoJsonWithOwner(video, viewer, std::move(owner));
}

bool VideosModule::IsListedPublicly(const Video& video) {
  return video.status == kStatusReady && video.visibility == kPublic && !IsWithdrawn(video);
}

std::vector<nlohmann::json> VideosModule::VideoListJson(const std::vector<Video>& videos,
                                                        const std::optional<auth::User>& viewer) {
  std::vector<std::int64_t> owner_ids;
  for (const Video& video : videos)
    if (!(viewer && viewer->id == video.owner_id)) owner_ids.push_back(video.owner_id);
  std::sort(owner_ids.begin(), owner_ids.end());
  owner_ids.erase(std::unique(owner_ids.begin(), owner_ids.end()), owner_ids.end());
  std::unordered_map<std::int64_t, nlohmann::json> owners;
  for (const auth::User& user : auth_.accounts().users().FindByIds(owner_ids))
    owners.emplace(user.id, auth::AuthModule::UserSummaryJson(user));
  if (viewer) owners.emplace(viewer->id, auth::AuthModule::UserSummaryJson(*viewer));
  std::vector<nlohmann::json> list;
  list.reserve(videos.size());
  for (const Video& video : videos) {
    auto owner = owners.find(video.owner_id);
    list.push_back(VideoJsonWithOwner(video, viewer, owner == owners.end() ? nlohmann::json(nullptr) : owner->second));
  }
  return list;
}

std::pair<std::vector<Video>, std::size_t> VideosModule::LoadInOrder(const std::vector<std::int64_t>& ids,
                                                                     std::size_t start, int limit,
                                                                     const std::function<bool(const Video&)>& keep) {
  std::vector<Video> kept;
  std::size_t position = std::min(start, ids.size());
  while (static_cast<int>(kept.size()) < limit && position < ids.size()) {
    // Ask for as many as are still missing: the position stays exact for the next page.
    const std::size_t count = std::min(ids.size() - position, static_cast<std::size_t>(limit) - kept.size());
    std::vector<std::int64_t> chunk(ids.begin() + static_cast<std::ptrdiff_t>(position),
                                    ids.begin() + static_cast<std::ptrdiff_t>(position + count));
    position += count;
    for (Video& video : repository_.FindByIds(chunk))
      if (keep(video)) kept.push_back(std::move(video));
  }
  return {std::move(kept), position};
}

nlohmann::json VideosModule::VideoJsonWithOwner(const Video& video, const std::optional<auth::User>& viewer,
                                                nlohmann::json owner) {
  bool ready = video.status == kStatusReady && !video.media_prefix.empty();
  bool editor = viewer && CanEdit(video, *viewer);
  nlohmann::json renditions = nlohmann::json::array();
  for (const Rendition& r : video.renditions)
    renditions.push_back({{"name", r.name}, {"width", r.width}, {"height", r.height}, {"bandwidth", r.bandwidth}});
  auto optional_number = [](bool present, auto value) -> nlohmann::json {
    if (!present) return nullptr;
    return value;
  };
  nlohmann::json json = {
      {"id", video.public_id},
      {"title", video.title},
      {"description", video.description},
      {"tags", video.tags},
      {"visibility", video.visibility},
      {"status", video.status},
      {"progress", video.status == kStatusReady ? 100 : video.progress},
      {"failure_reason", video.failure_reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(video.failure_reason)},
      {"duration", optional_number(video.duration_ms.has_value(), video.duration_ms.value_or(0) / 1000.0)},
      {"width", optional_number(video.width > 0, video.width)},
      {"height", optional_number(video.height > 0, video.height)},
      {"renditions", std::move(renditions)},
      {"hls_url", ready ? nlohmann::json(MediaUrl(video, "master.m3u8")) : nlohmann::json(nullptr)},
      {"thumbnail_url", ready ? nlohmann::json(MediaUrl(video, "thumbnail.jpg")) : nlohmann::json(nullptr)},
      {"previews_url", ready ? nlohmann::json(MediaUrl(video, "previews.vtt")) : nlohmann::json(nullptr)},
      {"owner", std::move(owner)},
      {"views", video.views},
      {"likes", video.likes},
      {"dislikes", video.dislikes},
      {"comment_count", video.comment_count},
      {"comments_enabled", video.comments_enabled},
      {"hidden", video.hidden},
      {"size_bytes", video.status == kStatusUploading ? video.upload_length : video.storage_bytes},
      {"created_at", FormatIso8601(video.created_at_ms)},
      {"updated_at", FormatIso8601(video.updated_at_ms)},
      {"published_at", video.published_at_ms ? nlohmann::json(FormatIso8601(*video.published_at_ms))
                                              : nlohmann::json(nullptr)},
      {"can_edit", editor},
  };
  if (editor) {
    json["original_filename"] = video.original_filename;
    if (video.status == kStatusUploading) {
      json["upload_offset"] = video.upload_offset;
      json["upload_length"] = video.upload_length;
    }
  }
  return json;
}

void VideosModule::AddChangeListener(std::function<void(const Video&)> listener) {
  change_listeners_.push_back(std::move(listener));
}

void VideosModule::SetTrendingOrder(std::function<std::vector<std::int64_t>()> order) {
  trending_order_ = std::move(order);
}

void VideosModule::SetViewerFields(std::function<void(const Video&, const auth::User&, nlohmann::json&)> fields) {
  viewer_fields_ = std::move(fields);
}

void VideosModule::NotifyChanged(const Video& video) {
  for (const auto& listener : change_listeners_) {
    try {
      listener(video);
    } catch (const std::exception& e) {
      spdlog::error("after a change of video {}: {}", video.public_id, e.what());
    }
  }
}

nlohmann::json VideosModule::VideoDetailJson(const Video& video, const std::optional<auth::User>& viewer) {
  nlohmann::json json = VideoJson(video, viewer);
  if (viewer && viewer_fields_) viewer_fields_(video, *viewer, json);
  return json;
}

void VideosModule::DeleteVideo(const Video& video) {
  repository_.Delete(video.id);
  PurgeStorage(StoragePrefix(video));
}

bool VideosModule::FailCancelledProcessing(const Video& video) {
  if (!repository_.MarkProcessingFailed(video.id, "Processing was cancelled by an administrator.", clock_.NowMs()))
    return false;
  if (video.original_key.empty()) {
    repository_.ClearChunks(video.id);
    PurgeStorage(StoragePrefix(video) + "upload/");
  }
  return true;
}

void VideosModule::PurgeStorage(const std::string& prefix) {
  try {
    storage_.DeletePrefix(prefix);
  } catch (const std::exception& e) {
    // The rows are gone already; the objects go as soon as storage answers again.
    spdlog::warn("deleting stored objects under {} failed ({}); a background job will retry", prefix, e.what());
    queue_.Enqueue(std::string(kPurgeStorageJob), {{"prefix", prefix}}, {.max_attempts = 20});
  }
}

void VideosModule::PruneExpiredUploads() {
  for (const Video& video : repository_.ExpiredUploads(clock_.NowMs(), 100)) {
    spdlog::info("removing the unfinished upload of video {} ({} of {} bytes arrived)", video.public_id,
                 video.upload_offset, video.upload_length);
    DeleteVideo(video);
  }
}

void VideosModule::RegisterJobs(jobs::JobRunner& transcoding, jobs::JobRunner& general) {
  transcoding.Register(std::string(kTranscodeJob), [this](jobs::JobContext& job) { Transcode(job); });
  general.Register(std::string(kPurgeStorageJob), [this](jobs::JobContext& job) {
    std::string prefix = job.payload().at("prefix").get<std::string>();
    storage::ValidatePrefix(prefix);
    if (!prefix.starts_with("videos/")) throw InvalidInput("only video folders are purged here");
    storage_.DeletePrefix(prefix);
  });
}

}  // namespace monotube::videos
