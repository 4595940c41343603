#pragma once
// The videos module: uploads (one multipart request, or tus 1.0.0 resumable), the
// processing job (probe, transcode, publish), metadata, listings and media streaming.
// Thread-safe once routes and jobs are registered.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "monotube/clock.hpp"
#include "monotube/db/database.hpp"
#include "monotube/http/router.hpp"
#include "monotube/jobs/job_queue.hpp"
#include "monotube/jobs/job_runner.hpp"
#include "monotube/site_settings.hpp"
#include "monotube/storage/storage.hpp"
#include "modules/auth/auth.hpp"
#include "modules/videos/media.hpp"
#include "modules/videos/videos.hpp"

namespace monotube::videos {

inline constexpr std::string_view kTranscodeJob = "transcode";
inline constexpr std::string_view kPurgeStorageJob = "purge_storage";

// The largest upload and the per-user quota in force are site settings (SiteSettings);
// max_upload_bytes here is the operator's ceiling, which sizes the upload routes' body limits.
struct VideosOptions {
  std::uint64_t max_upload_bytes = 8ULL << 30;
  double max_duration_seconds = 4 * 3600;
  std::chrono::milliseconds upload_expiry = std::chrono::hours(24);
  // The original of a failed video is kept this long for a retry, then removed.
  std::chrono::milliseconds failed_original_retention = std::chrono::hours(24 * 7);
  bool redirect_media = false;  // presigned storage URLs for segments, where the storage has them
  std::chrono::seconds media_url_ttl{3600};
  std::filesystem::path work_dir = "data/tmp/transcode";  // local scratch space for FFmpeg
};

class VideosRoutes;

class VideosModule {
 public:
  // The references must outlive the module.
  VideosModule(db::Database& database, const Clock& clock, storage::ObjectStorage& storage, jobs::JobQueue& queue,
               auth::AuthModule& auth, const SiteSettings& site, VideosOptions options);
  ~VideosModule();

  void RegisterRoutes(http::Router& router, const std::function<void(std::string_view)>& add_page);
  // transcoding: the pool that runs FFmpeg; general: other background jobs.
  void RegisterJobs(jobs::JobRunner& transcoding, jobs::JobRunner& general);

  // Blocking. Removes the row and every stored object (later, by a job, if storage is down);
  // a transcode in progress notices and stops.
  void DeleteVideo(const Video& video);
  // Blocking. Removes resumable uploads abandoned past their expiry.
  void PruneExpiredUploads();
  // Blocking. Removes the originals of videos failed longer ago than the retention (at most
  // 100 per call); returns how many.
  std::size_t PurgeFailedOriginals();

  // Blocking. A failed video back to processing (progress 0, reason cleared), to be
  // transcoded again from its kept original; the caller queues the job (EnqueueTranscode,
  // or a retry of its old job). Throws Conflict "not_failed" unless the video failed,
  // "original_missing" when its original is no longer stored.
  Video PrepareRetry(const Video& video);
  // Blocking. The transcode job of a processing video was cancelled (by an admin): the video
  // fails with that reason, keeping its original for a retry; an upload still in pieces
  // (never joined) is removed. False when the video was not processing.
  bool FailCancelledProcessing(const Video& video);
  // Blocking. Queues the processing of a video that is processing; returns the job id.
  std::int64_t EnqueueTranscode(const Video& video);

  // Blocking. The API view of a video for a viewer (nullopt = anonymous).
  nlohmann::json VideoJson(const Video& video, const std::optional<auth::User>& viewer);
  // Blocking. From ids[start] on, the first `limit` videos that exist and pass `keep`, read
  // in batches; with the position after the last id looked at (for the next page).
  std::pair<std::vector<Video>, std::size_t> LoadInOrder(const std::vector<std::int64_t>& ids, std::size_t start,
                                                         int limit, const std::function<bool(const Video&)>& keep);
  // Blocking. VideoJson of each video, in order, with their owners read in one query (a
  // listing, not one query per video).
  std::vector<nlohmann::json> VideoListJson(const std::vector<Video>& videos, const std::optional<auth::User>& viewer);
  // Whether the viewer may see the video at all (owner, admin, or not private/unfinished).
  static bool CanView(const Video& video, const std::optional<auth::User>& viewer);
  static bool CanEdit(const Video& video, const auth::User& user);
  // Hidden by a moderator or its owner suspended: gone for everyone but the owner and staff.
  static bool IsWithdrawn(const Video& video);
  // Ready, public and not withdrawn: what anyone may find in listings.
  static bool IsListedPublicly(const Video& video);

  // Hooks for the interactions module (register before the server starts).
  // Called (blocking, on the thread that made the change) after a video became ready or its
  // metadata changed, with the stored row, so subscribers can hear of a newly public video.
  void AddChangeListener(std::function<void(const Video&)> listener);
  // Adds the fields one viewer sees on one video (their rating, resume position) to the
  // answers of GET/PATCH /api/videos/{id}.
  void SetViewerFields(std::function<void(const Video&, const auth::User&, nlohmann::json&)> fields);
  // The trending order for GET /api/videos?sort=trending (analytics): video ids, best first,
  // blocking. Unset = that order falls back to the latest videos.
  void SetTrendingOrder(std::function<std::vector<std::int64_t>()> order);
  // Blocking. Tells the listeners; a listener's failure is logged, never passed on.
  void NotifyChanged(const Video& video);
  // Blocking. VideoJson plus the viewer's own fields.
  nlohmann::json VideoDetailJson(const Video& video, const std::optional<auth::User>& viewer);

  VideoRepository& repository() noexcept { return repository_; }
  const VideosOptions& options() const noexcept { return options_; }

 private:
  friend class VideosRoutes;
  // VideoJson with the owner's summary already known (null when the owner is gone).
  nlohmann::json VideoJsonWithOwner(const Video& video, const std::optional<auth::User>& viewer, nlohmann::json owner);
  void Transcode(jobs::JobContext& job);
  const MediaSigner& signer();
  // hls/thumbnail/previews URLs, signed unless the video is public.
  std::string MediaUrl(const Video& video, std::string_view file);
  void PurgeStorage(const std::string& prefix);
  // Every object under prefix but the original and the pieces of an upload (throws on storage errors).
  void RemoveDerived(const std::string& prefix);
  // Every object under prefix but `keep`; a storage failure is logged, not thrown.
  void RemoveAllBut(const std::string& prefix, const std::string& keep);

  db::Database& database_;
  const Clock& clock_;
  storage::ObjectStorage& storage_;
  jobs::JobQueue& queue_;
  auth::AuthModule& auth_;
  const SiteSettings& site_;
  VideosOptions options_;
  VideoRepository repository_;
  std::once_flag signer_once_;
  std::unique_ptr<MediaSigner> signer_;
  std::shared_ptr<VideosRoutes> routes_;
  std::vector<std::function<void(const Video&)>> change_listeners_;
  std::function<void(const Video&, const auth::User&, nlohmann::json&)> viewer_fields_;
  std::function<std::vector<std::int64_t>()> trending_order_;
};

}  // namespace monotube::videos
