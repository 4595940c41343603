#pragma once
// Videos as stored: the row, its validation rules and the repository. Every repository
// call blocks on the database (worker threads only). Thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "monotube/db/database.hpp"

namespace monotube::videos {

inline constexpr std::string_view kStatusUploading = "uploading";
inline constexpr std::string_view kStatusProcessing = "processing";
inline constexpr std::string_view kStatusReady = "ready";
inline constexpr std::string_view kStatusFailed = "failed";

inline constexpr std::string_view kPublic = "public";
inline constexpr std::string_view kUnlisted = "unlisted";
inline constexpr std::string_view kPrivate = "private";

struct Rendition {
  std::string name;  // "720p"
  int width = 0;
  int height = 0;
  std::uint64_t bandwidth = 0;  // bits per second, as in the master playlist
};

struct Video {
  std::int64_t id = 0;  // never leaves the server
  std::string public_id;
  std::int64_t owner_id = 0;
  std::string title;
  std::string description;
  std::vector<std::string> tags;
  std::string visibility;
  std::string status;
  int progress = 0;
  std::string failure_reason;  // "" unless failed
  std::string original_filename;
  std::int64_t upload_length = 0;
  std::int64_t upload_offset = 0;
  std::optional<std::int64_t> upload_expires_at_ms;
  std::string original_key;  // "" until the whole file is stored
  std::string media_prefix;  // "" until published: "videos/<id>/r-<token>/"
  std::optional<std::int64_t> duration_ms;
  int width = 0;
  int height = 0;
  std::vector<Rendition> renditions;
  std::int64_t storage_bytes = 0;
  std::int64_t views = 0;
  std::int64_t likes = 0;
  std::int64_t dislikes = 0;
  std::int64_t comment_count = 0;
  bool comments_enabled = true;
  std::int64_t watch_time_ms = 0;  // summed over every viewer
  bool hidden = false;             // by a moderator: only its owner and staff see it
  bool owner_suspended = false;    // read with the row: the owner's account is suspended
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::optional<std::int64_t> published_at_ms;
};

// What a person may set. Each Validate* throws InvalidInput with a message for people.
struct VideoMetadata {
  std::string title;
  std::string description;
  std::vector<std::string> tags;
  std::string visibility = std::string(kPublic);
  bool comments_enabled = true;
};
void ValidateTitle(std::string_view title);              // 1-100 characters, no control characters
void ValidateDescription(std::string_view description);  // at most 5000 characters
void ValidateVisibility(std::string_view visibility);    // public, unlisted or private
// Trims each tag, drops empty ones and duplicates (case-insensitively); at most 15 of at most 30 characters.
std::vector<std::string> NormalizeTags(const std::vector<std::string>& tags);
// "a, b ,c" -> {"a", "b", "c"} (then NormalizeTags).
std::vector<std::string> SplitTags(std::string_view text);
// All of the above, with field errors (InvalidFields) naming title/description/tags/visibility.
void ValidateMetadata(VideoMetadata& metadata);
// A title from an uploaded file's name: without folders and extension, trimmed to 100
// characters; "Untitled video" when nothing is left.
std::string TitleFromFilename(std::string_view filename);

// The storage folder of a video: every object it owns starts with this.
std::string StoragePrefix(const Video& video);
std::string StoragePrefix(std::string_view public_id);

struct VideoPage {
  std::vector<Video> videos;
  std::string next_cursor;  // "" on the last page
};

enum class ListOrder { kLatest, kPopular };

// What the admin's list of every video may be narrowed to.
struct VideoFilter {
  std::string status;                    // "" = any
  std::optional<bool> hidden;            // nullopt = both
  std::optional<std::int64_t> owner_id;  // nullopt = anyone's
  std::string title_contains;            // "" = any title; case-insensitive for ASCII
};

class VideoRepository {
 public:
  explicit VideoRepository(db::Database& database);

  // Inserts a new video (id and public_id are filled in).
  Video Insert(Video video);
  std::optional<Video> FindByPublicId(std::string_view public_id);
  std::optional<Video> FindById(std::int64_t id);
  // The videos of these ids that exist, in the order asked (one query per 100 ids).
  std::vector<Video> FindByIds(const std::vector<std::int64_t>& ids);
  // Public, ready videos of owners in good standing, newest or most viewed first.
  VideoPage ListPublic(ListOrder order, int limit, std::string_view cursor);
  // One owner's videos, newest first; all of them, or only the public ready ones.
  VideoPage ListByOwner(std::int64_t owner_id, bool everything, int limit, std::string_view cursor);
  std::vector<Video> AllOfOwner(std::int64_t owner_id);
  // Every video (any status and visibility) matching the filter, newest first.
  VideoPage ListFiltered(const VideoFilter& filter, int limit, std::string_view cursor);
  // A user's subscriptions feed: public ready videos in their feed inbox (feed_items, kept
  // by the interactions module), newest first.
  VideoPage ListSubscriptionFeed(std::int64_t user_id, int limit, std::string_view cursor);

  // Metadata edit; false when the video is gone.
  bool UpdateMetadata(std::int64_t id, const VideoMetadata& metadata, std::int64_t now_ms);
  // A moderator hides or shows a video again; false when the video is gone.
  bool SetHidden(std::int64_t id, bool hidden, std::int64_t now_ms);
  // Deletes the row (its upload chunks go with it); false when it was gone already.
  bool Delete(std::int64_t id);

  // Bytes a user's videos take or will take (stored bytes, plus the announced size of
  // uploads in progress).
  std::int64_t StorageUsedBy(std::int64_t owner_id);

  // --- resumable uploads ---
  struct Chunk {
    std::int64_t offset;
    std::int64_t length;
    std::string object_key;
  };
  // Records a piece received at `offset` if the upload is still at that offset; the new
  // offset is returned, nullopt when another request moved it (or the video is gone).
  // The piece that completes the upload also sets the status to processing.
  std::optional<std::int64_t> AppendChunk(std::int64_t id, std::int64_t offset, std::int64_t length,
                                          const std::string& object_key, std::int64_t expires_at_ms,
                                          std::int64_t now_ms);
  std::vector<Chunk> Chunks(std::int64_t id);
  // The original is stored whole (a multipart upload, or tus pieces joined): processing.
  bool MarkUploaded(std::int64_t id, const std::string& original_key, std::int64_t size, std::int64_t now_ms);
  void ClearChunks(std::int64_t id);
  // Uploads in progress whose expiry passed.
  std::vector<Video> ExpiredUploads(std::int64_t now_ms, int limit);

  // --- processing ---
  // processing, with progress; false when the video is gone.
  bool SetProgress(std::int64_t id, int progress, std::int64_t now_ms);
  // failed, with the reason. keep_original: the original stays (and counts in
  // storage_bytes) so an admin can retry; otherwise nothing of the video is stored.
  bool MarkFailed(std::int64_t id, const std::string& reason, bool keep_original, std::int64_t now_ms);
  // processing -> failed with the reason, the original kept when it is whole; false unless
  // the video was processing (a transcode that finished first keeps it ready).
  bool MarkProcessingFailed(std::int64_t id, const std::string& reason, std::int64_t now_ms);
  // failed -> processing (progress 0, reason cleared) for a retry; false unless the video
  // is failed with its original kept.
  bool MarkRetrying(std::int64_t id, std::int64_t now_ms);
  // Failed videos whose original is still kept, failed before the given time.
  std::vector<Video> FailedWithOriginalBefore(std::int64_t before_ms, int limit);
  // The original of a failed video was removed: no retry any more, nothing stored.
  bool ForgetOriginal(std::int64_t id, std::int64_t now_ms);
  struct Published {
    std::string media_prefix;
    std::int64_t duration_ms;
    int width;
    int height;
    std::vector<Rendition> renditions;
    std::int64_t storage_bytes;
  };
  // ready, with the published outputs; false when the video is gone.
  bool MarkReady(std::int64_t id, const Published& published, std::int64_t now_ms);

  // A named secret shared by every replica, made on first use.
  std::string SiteSecret(std::string_view name, std::int64_t now_ms);

 private:
  db::Database& database_;
};

}  // namespace monotube::videos
