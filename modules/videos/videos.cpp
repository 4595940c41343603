#include "modules/videos/videos.hpp"

#include <algorithm>
#include <span>
#include <unordered_map>
#include <utility>

#include <soci/soci.h>

#include "monotube/db/binds.hpp"
#include "monotube/errors.hpp"
#include "monotube/http/message.hpp"
#include "monotube/http/paging.hpp"
#include "monotube/ids.hpp"
#include "monotube/text.hpp"

namespace monotube::videos {

using db::Binds;
using db::Execute;
using http::TrimWhitespace;

namespace {

constexpr const char* kColumns =
    "v.id, v.public_id, v.owner_id, v.title, v.description, v.tags, v.visibility, v.status, v.progress, "
    "v.failure_reason, v.original_filename, v.upload_length, v.upload_offset, v.upload_expires_at, v.original_key, "
    "v.media_prefix, v.duration_ms, v.width, v.height, v.renditions, v.storage_bytes, v.views, v.likes, v.dislikes, "
    "v.comment_count, v.comments_enabled, v.watch_time_ms, v.hidden, "
    "(SELECT suspended FROM users WHERE id = v.owner_id), v.created_at, v.updated_at, v.published_at";

constexpr std::size_t kMaxTags = 15;
constexpr std::size_t kMaxTagCharacters = 30;

struct VideoRow {
  long long id = 0, owner_id = 0, upload_length = 0, upload_offset = 0, upload_expires_at = 0, duration_ms = 0,
            storage_bytes = 0, views = 0, likes = 0, dislikes = 0, comment_count = 0, watch_time_ms = 0, created_at = 0,
            updated_at = 0, published_at = 0;
  int progress = 0, width = 0, height = 0, comments_enabled = 1, hidden = 0, owner_suspended = 0;
  std::string public_id, title, description, tags, visibility, status, failure_reason, original_filename,
      original_key, media_prefix, renditions;
  soci::indicator failure_ind = soci::i_null, expires_ind = soci::i_null, original_ind = soci::i_null,
                  prefix_ind = soci::i_null, duration_ind = soci::i_null, width_ind = soci::i_null,
                  height_ind = soci::i_null, published_ind = soci::i_null;

  void ExchangeInto(soci::statement& s) {
    s.exchange(soci::into(id));
    s.exchange(soci::into(public_id));
    s.exchange(soci::into(owner_id));
    s.exchange(soci::into(title));
    s.exchange(soci::into(description));
    s.exchange(soci::into(tags));
    s.exchange(soci::into(visibility));
    s.exchange(soci::into(status));
    s.exchange(soci::into(progress));
    s.exchange(soci::into(failure_reason, failure_ind));
    s.exchange(soci::into(original_filename));
    s.exchange(soci::into(upload_length));
    s.exchange(soci::into(upload_offset));
    s.exchange(soci::into(upload_expires_at, expires_ind));
    s.exchange(soci::into(original_key, original_ind));
    s.exchange(soci::into(media_prefix, prefix_ind));
    s.exchange(soci::into(duration_ms, duration_ind));
    s.exchange(soci::into(width, width_ind));
    s.exchange(soci::into(height, height_ind));
    s.exchange(soci::into(renditions));
    s.exchange(soci::into(storage_bytes));
    s.exchange(soci::into(views));
    s.exchange(soci::into(likes));
    s.exchange(soci::into(dislikes));
    s.exchange(soci::into(comment_count));
    s.exchange(soci::into(comments_enabled));
    s.exchange(soci::into(watch_time_ms));
    s.exchange(soci::into(hidden));
    s.exchange(soci::into(owner_suspended));
    s.exchange(soci::into(created_at));
    s.exchange(soci::into(updated_at));
    s.exchange(soci::into(published_at, published_ind));
  }

  Video ToVideo() const {
    Video v;
    v.id = id;
    v.public_id = public_id;
    v.owner_id = owner_id;
    v.title = title;
    v.description = description;
    auto parsed_tags = nlohmann::json::parse(tags, nullptr, false);
    if (parsed_tags.is_array()) v.tags = parsed_tags.get<std::vector<std::string>>();
    v.visibility = visibility;
    v.status = status;
    v.progress = progress;
    if (failure_ind == soci::i_ok) v.failure_reason = failure_reason;
    v.original_filename = original_filename;
    v.upload_length = upload_length;
    v.upload_offset = upload_offset;
    if (expires_ind == soci::i_ok) v.upload_expires_at_ms = upload_expires_at;
    if (original_ind == soci::i_ok) v.original_key = original_key;
    if (prefix_ind == soci::i_ok) v.media_prefix = media_prefix;
    if (duration_ind == soci::i_ok) v.duration_ms = duration_ms;
    if (width_ind == soci::i_ok) v.width = width;
    if (height_ind == soci::i_ok) v.height = height;
    auto parsed = nlohmann::json::parse(renditions, nullptr, false);
    if (parsed.is_array()) {
      for (const auto& r : parsed)
        v.renditions.push_back(
            {r.value("name", ""), r.value("width", 0), r.value("height", 0), r.value("bandwidth", std::uint64_t{0})});
    }
    v.storage_bytes = storage_bytes;
    v.views = views;
    v.likes = likes;
    v.dislikes = dislikes;
    v.comment_count = comment_count;
    v.comments_enabled = comments_enabled != 0;
    v.watch_time_ms = watch_time_ms;
    v.hidden = hidden != 0;
    v.owner_suspended = owner_suspended != 0;
    v.created_at_ms = created_at;
    v.updated_at_ms = updated_at;
    if (published_ind == soci::i_ok) v.published_at_ms = published_at;
    return v;
  }
};

// SELECT kColumns FROM videos v <tail>, binds in placeholder order.
std::vector<Video> SelectVideos(db::Database& database, const std::string& tail, Binds binds) {
  return database.WithSession([&](soci::session& session) {
    VideoRow row;
    soci::statement statement(session);
    binds.ExchangeInto(statement);
    row.ExchangeInto(statement);
    statement.alloc();
    statement.prepare(std::string("SELECT ") + kColumns + " FROM videos v " + tail);
    statement.define_and_bind();
    std::vector<Video> videos;
    if (statement.execute(true)) {
      do {
        videos.push_back(row.ToVideo());
        row = VideoRow{};
      } while (statement.fetch());
    }
    return videos;
  });
}


std::string RenditionsJson(const std::vector<Rendition>& renditions) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : renditions)
    list.push_back({{"name", r.name}, {"width", r.width}, {"height", r.height}, {"bandwidth", r.bandwidth}});
  return list.dump();
}

VideoPage Page(std::vector<Video> videos, int limit, long long (*key)(const Video&)) {
  VideoPage page;
  if (static_cast<int>(videos.size()) > limit) {
    videos.resize(static_cast<std::size_t>(limit));
    const Video& last = videos.back();
    page.next_cursor = http::MakeCursor(key(last), last.id);
  }
  page.videos = std::move(videos);
  return page;
}

long long PublishedKey(const Video& v) { return v.published_at_ms.value_or(0); }
long long ViewsKey(const Video& v) { return v.views; }
long long CreatedKey(const Video& v) { return v.created_at_ms; }

bool HasControlCharacter(std::string_view text, bool allow_newlines) {
  return std::any_of(text.begin(), text.end(), [allow_newlines](char c) {
    return std::iscntrl(static_cast<unsigned char>(c)) && !(allow_newlines && (c == '\n' || c == '\t' || c == '\r'));
  });
}

}  // namespace

void ValidateTitle(std::string_view title) {
  std::size_t characters = CountCharacters(title);
  if (!IsValidUtf8(title) || characters < 1 || characters > 100 || HasControlCharacter(title, false) ||
      TrimWhitespace(title).empty())
    throw InvalidInput("invalid_title", "A title must be 1 to 100 characters long, without control characters.");
}

void ValidateDescription(std::string_view description) {
  if (!IsValidUtf8(description) || HasControlCharacter(description, true))
    throw InvalidInput("invalid_description", "The description must be plain text.");
  if (CountCharacters(description) > 5000)
    throw InvalidInput("invalid_description", "A description must be at most 5000 characters long.");
}

void ValidateVisibility(std::string_view visibility) {
  if (visibility != kPublic && visibility != kUnlisted && visibility != kPrivate)
    throw InvalidInput("invalid_visibility", "The visibility must be public, unlisted or private.");
}

std::vector<std::string> NormalizeTags(const std::vector<std::string>& tags) {
  std::vector<std::string> out;
  std::vector<std::string> seen;
  for (const std::string& raw : tags) {
    std::string tag(TrimWhitespace(raw));
    if (tag.empty()) continue;
    if (!IsValidUtf8(tag) || HasControlCharacter(tag, false) || tag.find(',') != std::string::npos)
      throw InvalidInput("invalid_tags", "A tag must be plain text without commas.");
    if (CountCharacters(tag) > kMaxTagCharacters)
      throw InvalidInput("invalid_tags", "A tag must be at most 30 characters long (\"" +
                                             tag.substr(0, 40) + "\" is longer).");
    std::string lower = LowerAscii(tag);
    if (std::find(seen.begin(), seen.end(), lower) != seen.end()) continue;
    seen.push_back(lower);
    out.push_back(std::move(tag));
  }
  if (out.size() > kMaxTags) throw InvalidInput("invalid_tags", "A video can have at most 15 tags.");
  return out;
}

std::vector<std::string> SplitTags(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    parts.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return NormalizeTags(parts);
}

void ValidateMetadata(VideoMetadata& metadata) {
  FieldErrors errors;
  errors.Check("title", [&] { ValidateTitle(metadata.title); });
  errors.Check("description", [&] { ValidateDescription(metadata.description); });
  errors.Check("tags", [&] { metadata.tags = NormalizeTags(metadata.tags); });
  errors.Check("visibility", [&] { ValidateVisibility(metadata.visibility); });
  errors.ThrowIfAny();
}

std::string TitleFromFilename(std::string_view filename) {
  auto slash = filename.find_last_of("/\\");
  if (slash != std::string_view::npos) filename.remove_prefix(slash + 1);
  auto dot = filename.rfind('.');
  if (dot != std::string_view::npos && dot > 0) filename = filename.substr(0, dot);
  std::string title;
  std::size_t characters = 0;
  for (std::size_t i = 0; i < filename.size() && characters < 100;) {
    auto c = static_cast<unsigned char>(filename[i]);
    std::size_t length = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
    std::string_view piece = filename.substr(i, length);
    if (c < 0x80 && std::iscntrl(c)) piece = " ";
    title += piece;
    i += length;
    ++characters;
  }
  title = std::string(TrimWhitespace(title));
  if (title.empty() || !IsValidUtf8(title)) return "Untitled video";
  return title;
}

std::string StoragePrefix(std::string_view public_id) { return "videos/" + std::string(public_id) + "/"; }
std::string StoragePrefix(const Video& video) { return StoragePrefix(video.public_id); }

VideoRepository::VideoRepository(db::Database& database) : database_(database) {}

Video VideoRepository::Insert(Video video) {
  video.public_id = NewPublicId();
  long long id = database_.WithSession([&](soci::session& session) {
    long long new_id = 0;
    std::string tags = nlohmann::json(video.tags).dump();
    std::string renditions = RenditionsJson(video.renditions);
    long long upload_length = video.upload_length, upload_offset = video.upload_offset,
              expires = video.upload_expires_at_ms.value_or(0), storage_bytes = video.storage_bytes,
              created = video.created_at_ms, updated = video.updated_at_ms, owner = video.owner_id;
    soci::indicator expires_ind = video.upload_expires_at_ms ? soci::i_ok : soci::i_null;
    std::string original = video.original_key;
    soci::indicator original_ind = video.original_key.empty() ? soci::i_null : soci::i_ok;
    session << "INSERT INTO videos (public_id, owner_id, title, description, tags, visibility, status, progress, "
               "original_filename, upload_length, upload_offset, upload_expires_at, original_key, renditions, "
               "storage_bytes, created_at, updated_at) VALUES (:public_id, :owner_id, :title, :description, :tags, "
               ":visibility, :status, 0, :original_filename, :upload_length, :upload_offset, :upload_expires_at, "
               ":original_key, :renditions, :storage_bytes, :created_at, :updated_at) RETURNING id",
        soci::use(video.public_id), soci::use(owner), soci::use(video.title), soci::use(video.description),
        soci::use(tags), soci::use(video.visibility), soci::use(video.status), soci::use(video.original_filename),
        soci::use(upload_length), soci::use(upload_offset), soci::use(expires, expires_ind),
        soci::use(original, original_ind), soci::use(renditions), soci::use(storage_bytes), soci::use(created),
        soci::use(updated), soci::into(new_id);
    return new_id;
  });
  video.id = id;
  return video;
}

std::optional<Video> VideoRepository::FindByPublicId(std::string_view public_id) {
  if (!IsValidPublicId(public_id)) return std::nullopt;
  auto found = SelectVideos(database_, "WHERE v.public_id = :public_id", Binds().Text(std::string(public_id)));
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::optional<Video> VideoRepository::FindById(std::int64_t id) {
  auto found = SelectVideos(database_, "WHERE v.id = :id", Binds().Int(id));
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<Video> VideoRepository::FindByIds(const std::vector<std::int64_t>& ids) {
  std::unordered_map<std::int64_t, Video> found;
  db::ForEachIdList(ids, [&](std::span<const std::int64_t> chunk, const std::string& list) {
    Binds binds;
    for (std::int64_t id : chunk) binds.Int(id);
    for (Video& video : SelectVideos(database_, "WHERE v.id IN " + list, std::move(binds))) {
      const std::int64_t id = video.id;
      found.emplace(id, std::move(video));
    }
  });
  std::vector<Video> videos;
  videos.reserve(found.size());
  for (std::int64_t id : ids) {
    auto it = found.find(id);
    if (it != found.end()) videos.push_back(it->second);  // a copy: an id may be asked for twice
  }
  return videos;
}

VideoPage VideoRepository::ListPublic(ListOrder order, int limit, std::string_view cursor) {
  std::string key = order == ListOrder::kLatest ? "v.published_at" : "v.views";
  std::string sql =
      "JOIN users u ON u.id = v.owner_id WHERE v.status = 'ready' AND v.visibility = 'public' AND v.hidden = 0 AND "
      "u.suspended = 0";
  Binds binds;
  if (!cursor.empty()) {
    auto after = http::ParseCursor(cursor);
    db::AppendKeysetBefore(sql, binds, key, "v.id", after.key, after.id);
  }
  sql += " ORDER BY " + key + " DESC, v.id DESC LIMIT :limit";
  binds.Int(limit + 1);
  return Page(SelectVideos(database_, sql, std::move(binds)), limit,
              order == ListOrder::kLatest ? &PublishedKey : &ViewsKey);
}

VideoPage VideoRepository::ListSubscriptionFeed(std::int64_t user_id, int limit, std::string_view cursor) {
  std::string sql =
      "JOIN feed_items f ON f.video_id = v.id JOIN users u ON u.id = v.owner_id WHERE f.user_id = :user AND "
      "v.status = 'ready' AND v.visibility = 'public' AND v.hidden = 0 AND u.suspended = 0";
  Binds binds;
  binds.Int(user_id);
  if (!cursor.empty()) {
    auto after = http::ParseCursor(cursor);
    db::AppendKeysetBefore(sql, binds, "f.published_at", "f.video_id", after.key, after.id);
  }
  sql += " ORDER BY f.published_at DESC, f.video_id DESC LIMIT :limit";
  binds.Int(limit + 1);
  return Page(SelectVideos(database_, sql, std::move(binds)), limit, &PublishedKey);
}

VideoPage VideoRepository::ListFiltered(const VideoFilter& filter, int limit, std::string_view cursor) {
  std::string sql = "WHERE 1 = 1";
  Binds binds;
  if (!filter.status.empty()) {
    sql += " AND v.status = :status";
    binds.Text(filter.status);
  }
  if (filter.hidden) {
    sql += " AND v.hidden = :hidden";
    binds.Int(*filter.hidden ? 1 : 0);
  }
  if (filter.owner_id) {
    sql += " AND v.owner_id = :owner";
    binds.Int(*filter.owner_id);
  }
  if (!filter.title_contains.empty()) {
    sql += " AND LOWER(v.title) LIKE :title ESCAPE '!'";
    binds.Text("%" + db::EscapeLike(LowerAscii(filter.title_contains), '!') + "%");
  }
  if (!cursor.empty()) {
    auto after = http::ParseCursor(cursor);
    db::AppendKeysetBefore(sql, binds, "v.created_at", "v.id", after.key, after.id);
  }
  sql += " ORDER BY v.created_at DESC, v.id DESC LIMIT :limit";
  binds.Int(limit + 1);
  return Page(SelectVideos(database_, sql, std::move(binds)), limit, &CreatedKey);
}

VideoPage VideoRepository::ListByOwner(std::int64_t owner_id, bool everything, int limit, std::string_view cursor) {
  std::string sql = "WHERE v.owner_id = :owner";
  Binds binds;
  binds.Int(owner_id);
  if (!everything) sql += " AND v.status = 'ready' AND v.visibility = 'public' AND v.hidden = 0";
  if (!cursor.empty()) {
    auto after = http::ParseCursor(cursor);
    db::AppendKeysetBefore(sql, binds, "v.created_at", "v.id", after.key, after.id);
  }
  sql += " ORDER BY v.created_at DESC, v.id DESC LIMIT :limit";
  binds.Int(limit + 1);
  return Page(SelectVideos(database_, sql, std::move(binds)), limit, &CreatedKey);
}

std::vector<Video> VideoRepository::AllOfOwner(std::int64_t owner_id) {
  return SelectVideos(database_, "WHERE v.owner_id = :owner ORDER BY v.id", Binds().Int(owner_id));
}

bool VideoRepository::UpdateMetadata(std::int64_t id, const VideoMetadata& metadata, std::int64_t now_ms) {
  return database_.WithSession([&](soci::session& session) {
    return Execute(session,
                   "UPDATE videos SET title = :title, description = :description, tags = :tags, visibility = "
                   ":visibility, comments_enabled = :comments, updated_at = :now WHERE id = :id",
                   Binds()
                       .Text(metadata.title)
                       .Text(metadata.description)
                       .Text(nlohmann::json(metadata.tags).dump())
                       .Text(metadata.visibility)
                       .Int(metadata.comments_enabled ? 1 : 0)
                       .Int(now_ms)
                       .Int(id)) == 1;
  });
}

bool VideoRepository::SetHidden(std::int64_t id, bool hidden, std::int64_t now_ms) {
  return database_.WithSession([&](soci::session& session) {
    return Execute(session, "UPDATE videos SET hidden = :hidden, updated_at = :now WHERE id = :id",
                   Binds().Int(hidden ? 1 : 0).Int(now_ms).Int(id)) == 1;
  });
}

bool VideoRepository::Delete(std::int64_t id) {
  return database_.InTransaction([&](soci::session& session) {
    // SQLite enforces ON DELETE CASCADE only with foreign keys on; delete children explicitly.
    Execute(session, "DELETE FROM upload_chunks WHERE video_id = :id", Binds().Int(id));
    return Execute(session, "DELETE FROM videos WHERE id = :id", Binds().Int(id)) == 1;
  });
}

std::int64_t VideoRepository::StorageUsedBy(std::int64_t owner_id) {
  return database_.WithSession([&](soci::session& session) {
    long long used = 0;
    soci::indicator ind = soci::i_null;
    long long owner = owner_id;
    session << "SELECT SUM(CASE WHEN status = 'uploading' THEN upload_length ELSE storage_bytes END) FROM videos "
               "WHERE owner_id = :owner",
        soci::use(owner), soci::into(used, ind);
    return ind == soci::i_ok ? static_cast<std::int64_t>(used) : std::int64_t{0};
  });
}

std::optional<std::int64_t> VideoRepository::AppendChunk(std::int64_t id, std::int64_t offset, std::int64_t length,
                                                         const std::string& object_key, std::int64_t expires_at_ms,
                                                         std::int64_t now_ms) {
  std::int64_t new_offset = offset + length;
  return database_.InTransaction([&](soci::session& session) -> std::optional<std::int64_t> {
    // The last piece also hands the video to processing, in the same statement, so a
    // complete upload can never be left behind as "uploading".
    long long moved = Execute(
        session,
        "UPDATE videos SET upload_offset = :new_offset, "
        "status = CASE WHEN :n2 = upload_length THEN 'processing' ELSE 'uploading' END, "
        "upload_expires_at = CASE WHEN :n3 = upload_length THEN NULL ELSE CAST(:expires AS BIGINT) END, "
        "storage_bytes = CASE WHEN :n4 = upload_length THEN upload_length ELSE 0 END, progress = 0, "
        "updated_at = :now WHERE id = :id AND upload_offset = :offset AND status = 'uploading' AND "
        ":n5 <= upload_length",
        Binds()
            .Int(new_offset)
            .Int(new_offset)
            .Int(new_offset)
            .Int(new_offset)
            .Int(expires_at_ms)
            .Int(now_ms)
            .Int(id)
            .Int(offset)
            .Int(new_offset));
    if (moved != 1) return std::nullopt;
    Execute(session,
            "INSERT INTO upload_chunks (video_id, offset_bytes, length_bytes, object_key) VALUES (:id, :offset, "
            ":length, :key)",
            Binds().Int(id).Int(offset).Int(length).Text(object_key));
    return new_offset;
  });
}

std::vector<VideoRepository::Chunk> VideoRepository::Chunks(std::int64_t id) {
  return database_.WithSession([&](soci::session& session) {
    std::vector<Chunk> chunks;
    long long chunk_offset = 0, chunk_length = 0, video_id = id;
    std::string key;
    soci::statement statement = (session.prepare << "SELECT offset_bytes, length_bytes, object_key FROM "
                                                    "upload_chunks WHERE video_id = :id ORDER BY offset_bytes",
                                 soci::use(video_id), soci::into(chunk_offset), soci::into(chunk_length),
                                 soci::into(key));
    if (statement.execute(true)) {
      do chunks.push_back({chunk_offset, chunk_length, key});
      while (statement.fetch());
    }
    return chunks;
  });
}

bool VideoRepository::MarkUploaded(std::int64_t id, const std::string& original_key, std::int64_t size,
                                   std::int64_t now_ms) {
  return database_.WithSession([&](soci::session& session) {
    return Execute(session,
                   "UPDATE videos SET status = 'processing', progress = 0, original_key = :key, upload_offset = "
                   ":size, upload_length = :size2, storage_bytes = :size3, upload_expires_at = NULL, updated_at = "
                   ":now WHERE id = :id AND status IN ('uploading', 'processing')",
                   Binds().Text(original_key).Int(size).Int(size).Int(size).Int(now_ms).Int(id)) == 1;
  });
}

void VideoRepository::ClearChunks(std::int64_t id) {
  database_.WithSession(
      [&](soci::session& session) { Execute(session, "DELETE FROM upload_chunks WHERE video_id = :id", Binds().Int(id)); });
}

std::vector<Video> VideoRepository::ExpiredUploads(std::int64_t now_ms, int limit) {
  return SelectVideos(database_,
                      "WHERE v.status = 'uploading' AND v.upload_expires_at IS NOT NULL AND v.upload_expires_at < "
                      ":now ORDER BY v.upload_expires_at LIMIT :limit",
                      Binds().Int(now_ms).Int(limit));
}

bool VideoRepository::SetProgress(std::int64_t id, int progress, std::int64_t now_ms) {
  return database_.WithSession([&](soci::session& session) {
    return Execute(session,
                   "UPDATE videos SET status = 'processing', progress = :progress, updated_at = :now WHERE id = :id",
                   Binds().Int(progress).Int(now_ms).Int(id)) == 1;
  });
}

bool VideoRepository::MarkFailed(std::int64_t id, const std::string& reason, bool keep_original,
                                 std::int64_t now_ms) {
  return database_.WithSession([&](soci::session& session) {
    // The original's size is its upload_length (set when it was stored whole).
    const char* kept = keep_original ? "storage_bytes = upload_length"
                                     : "original_key = NULL, storage_bytes = 0";
    return Execute(session,
                   std::string("UPDATE videos SET status = 'failed', failure_reason = :reason, progress = 0, "
                               "media_prefix = NULL, ") +
                       kept + ", failed_at = :now, updated_at = :now2 WHERE id = :id",
                   Binds().Text(reason).Int(now_ms).Int(now_ms).Int(id)) == 1;
  });
}

bool VideoRepository::MarkProcessingFailed(std::int64_t id, const std::string& reason, std::int64_t now_ms) {
  return database_.WithSession([&](soci::session& session) {
    return Execute(session,
                   "UPDATE videos SET status = 'failed', failure_reason = :reason, progress = 0, media_prefix = NULL, "
                   "storage_bytes = CASE WHEN original_key IS NULL THEN 0 ELSE upload_length END, failed_at = :now, "
                   "updated_at = :now2 WHERE id = :id AND status = 'processing'",
                   Binds().Text(reason).Int(now_ms).Int(now_ms).Int(id)) == 1;
  });
}

bool VideoRepository::MarkRetrying(std::int64_t id, std::int64_t now_ms) {
  return database_.WithSession([&](soci::session& session) {
    return Execute(session,
                   "UPDATE videos SET status = 'processing', progress = 0, failure_reason = NULL, failed_at = NULL, "
                   "updated_at = :now WHERE id = :id AND status = 'failed' AND original_key IS NOT NULL",
                   Binds().Int(now_ms).Int(id)) == 1;
  });
}

std::vector<Video> VideoRepository::FailedWithOriginalBefore(std::int64_t before_ms, int limit) {
  return SelectVideos(database_,
                      "WHERE v.status = 'failed' AND v.failed_at < :before AND v.original_key IS NOT NULL "
                      "ORDER BY v.failed_at LIMIT :limit",
                      Binds().Int(before_ms).Int(limit));
}

bool VideoRepository::ForgetOriginal(std::int64_t id, std::int64_t now_ms) {
  return database_.WithSession([&](soci::session& session) {
    return Execute(session,
                   "UPDATE videos SET original_key = NULL, storage_bytes = 0, updated_at = :now WHERE id = :id AND "
                   "status = 'failed'",
                   Binds().Int(now_ms).Int(id)) == 1;
  });
}

bool VideoRepository::MarkReady(std::int64_t id, const Published& published, std::int64_t now_ms) {
  return database_.WithSession([&](soci::session& session) {
    return Execute(session,
                   "UPDATE videos SET status = 'ready', progress = 100, failure_reason = NULL, media_prefix = :prefix, "
                   "duration_ms = :duration, width = :width, height = :height, renditions = :renditions, "
                   "storage_bytes = :bytes, published_at = COALESCE(published_at, :now), updated_at = :now2 WHERE id "
                   "= :id",
                   Binds()
                       .Text(published.media_prefix)
                       .Int(published.duration_ms)
                       .Int(published.width)
                       .Int(published.height)
                       .Text(RenditionsJson(published.renditions))
                       .Int(published.storage_bytes)
                       .Int(now_ms)
                       .Int(now_ms)
                       .Int(id)) == 1;
  });
}

std::string VideoRepository::SiteSecret(std::string_view name, std::int64_t now_ms) {
  return database_.WithSession([&](soci::session& session) {
    std::string key(name);
    std::string candidate = RandomToken(32);
    long long now = now_ms;
    // Every replica may race to make it: the first insert wins, everyone reads the winner.
    session << "INSERT INTO site_secrets (name, value, created_at) VALUES (:name, :value, :now) ON CONFLICT (name) "
               "DO NOTHING",
        soci::use(key), soci::use(candidate), soci::use(now);
    std::string value;
    session << "SELECT value FROM site_secrets WHERE name = :name", soci::use(key), soci::into(value);
    return value;
  });
}

}  // namespace monotube::videos
