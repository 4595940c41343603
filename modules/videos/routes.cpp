// The videos module's HTTP surface: the video API, tus 1.0.0 resumable uploads, the
// one-request multipart upload, and media streaming. Handlers parse and check, then do
// blocking work (database, storage) on the worker pool.
#include <sodium.h>

#include "monotube/errors.hpp"
#include "monotube/http/error_mapping.hpp"
#include "monotube/http/json_fields.hpp"
#include "monotube/http/multipart.hpp"
#include "monotube/http/object_response.hpp"
#include "monotube/http/paging.hpp"
#include "monotube/http/conditional.hpp"
#include "monotube/ids.hpp"
#include "modules/videos/videos_module.hpp"

namespace monotube::videos {

using boost::asio::awaitable;
using http::RequestContext;
using http::Response;
using Field = http::bhttp::field;
using http::PageSize;
using http::ParseCount;

namespace {

constexpr std::string_view kTusVersion = "1.0.0";
constexpr std::size_t kCopyBuffer = 1024 * 1024;
constexpr std::size_t kMaxFormFieldBytes = 64 * 1024;

// "8 GiB", "700 MiB", or the exact byte count when it is not a whole number of either.
std::string SizeText(std::uint64_t bytes) {
  if (bytes >= (1ULL << 30) && bytes % (1ULL << 30) == 0) return std::to_string(bytes >> 30) + " GiB";
  if (bytes >= (1ULL << 20) && bytes % (1ULL << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

NotFound VideoNotFound() { return NotFound("video_not_found", "This video does not exist or is not available."); }

std::string Base64Decode(std::string_view text) {
  std::string out(text.size(), '\0');
  std::size_t length = 0;
  for (int variant : {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING}) {
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                          &length, nullptr, variant) == 0) {
      out.resize(length);
      return out;
    }
  }
  throw InvalidInput("invalid_upload_metadata", "Upload-Metadata values must be base64.");
}

// "key base64,key2 base64" (tus Upload-Metadata).
std::map<std::string, std::string> ParseUploadMetadata(std::string_view header) {
  std::map<std::string, std::string> values;
  std::size_t start = 0;
  while (start < header.size()) {
    std::size_t comma = header.find(',', start);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view pair = http::TrimWhitespace(header.substr(start, comma - start));
    start = comma + 1;
    if (pair.empty()) continue;
    std::size_t space = pair.find(' ');
    std::string key(pair.substr(0, space));
    if (key.empty() || key.size() > 64)
      throw InvalidInput("invalid_upload_metadata", "Upload-Metadata has an invalid key.");
    values[key] = space == std::string_view::npos ? std::string() : Base64Decode(http::TrimWhitespace(pair.substr(space + 1)));
  }
  return values;
}

std::string ContentDispositionFor(std::string_view filename) {
  std::string safe;
  for (char c : filename)
    safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  if (safe.empty() || safe.front() == '.') safe = "video" + safe;
  return "attachment; filename=\"" + safe + "\"";
}

// The pieces of an unfinished join, read one after another. The job may finish the join
// (and delete the pieces) while we stream: then the rest comes from the joined original.
class ChunkChain final : public http::BodySource {
 public:
  ChunkChain(storage::ObjectStorage& storage, std::vector<VideoRepository::Chunk> chunks, std::string original_key)
      : storage_(storage), chunks_(std::move(chunks)), original_key_(std::move(original_key)) {}
  std::size_t Read(char* buffer, std::size_t size) override {
    if (!original_) {
      try {
        std::size_t got = ReadChunks(buffer, size);
        position_ += got;
        return got;
      } catch (const NotFound&) {
        reader_.reset();
        original_ = true;
        if (position_ == 0) reader_ = storage_.OpenReader(original_key_);
        else reader_ = storage_.OpenReader(original_key_, storage::ByteRange::From(position_));
      }
    }
    std::size_t got = reader_->Read(buffer, size);
    position_ += got;
    return got;
  }

 private:
  std::size_t ReadChunks(char* buffer, std::size_t size) {
    for (;;) {
      if (reader_) {
        std::size_t got = reader_->Read(buffer, size);
        if (got > 0) return got;
        reader_.reset();
      }
      if (next_ == chunks_.size()) return 0;
      reader_ = storage_.OpenReader(chunks_[next_++].object_key);
    }
  }

  storage::ObjectStorage& storage_;
  std::vector<VideoRepository::Chunk> chunks_;
  std::string original_key_;
  std::size_t next_ = 0;
  std::uint64_t position_ = 0;
  bool original_ = false;
  std::unique_ptr<storage::ObjectReader> reader_;
};

}  // namespace

class VideosRoutes {
 public:
  explicit VideosRoutes(VideosModule& module)
      : module_(module), repository_(module.repository()), storage_(module.storage_), clock_(module.clock_) {}

  void Register(http::Router& router) {
    std::size_t upload_body_limit = static_cast<std::size_t>(module_.options_.max_upload_bytes) + 1024 * 1024;
    router.Post("/api/videos", [this](RequestContext& c) { return Upload(c); }, {upload_body_limit, true});
    router.Get("/api/videos", [this](RequestContext& c) { return ListPublic(c); });
    router.Get("/api/videos/{video_id}", [this](RequestContext& c) { return GetVideo(c); });
    router.Put("/api/videos/{video_id}", [this](RequestContext& c) { return EditVideo(c, true); });
    router.Patch("/api/videos/{video_id}", [this](RequestContext& c) { return EditVideo(c, false); });
    router.Delete("/api/videos/{video_id}", [this](RequestContext& c) { return DeleteVideo(c); });
    router.Get("/api/videos/{video_id}/original", [this](RequestContext& c) { return GetOriginal(c); });
    router.Get("/api/me/videos", [this](RequestContext& c) { return ListMine(c); });
    router.Get("/api/users/{user_id}/videos", [this](RequestContext& c) { return ListChannel(c); });

    router.Add(http::Verb::options, "/api/uploads", [this](RequestContext& c) { return Tus(c, &VideosRoutes::TusOptions); });
    router.Post("/api/uploads", [this](RequestContext& c) { return Tus(c, &VideosRoutes::TusCreate); });
    router.Add(http::Verb::options, "/api/uploads/{video_id}",
               [this](RequestContext& c) { return Tus(c, &VideosRoutes::TusOptions); });
    router.Add(http::Verb::head, "/api/uploads/{video_id}", [this](RequestContext& c) { return Tus(c, &VideosRoutes::TusHead); });
    router.Patch("/api/uploads/{video_id}", [this](RequestContext& c) { return Tus(c, &VideosRoutes::TusPatch); },
                 {static_cast<std::size_t>(module_.options_.max_upload_bytes), true});
    router.Delete("/api/uploads/{video_id}", [this](RequestContext& c) { return Tus(c, &VideosRoutes::TusDelete); });

    router.Get("/media/{video_id}/{path...}", [this](RequestContext& c) { return Media(c); });
  }

 private:
  // ---------- helpers ----------

  std::int64_t Now() const { return clock_.NowMs(); }

  static std::optional<auth::User> UserOf(const std::optional<auth::Principal>& principal) {
    if (!principal) return std::nullopt;
    return principal->user;
  }

  // The video if this viewer may see it; 404 otherwise (never revealing private ones).
  awaitable<Video> LoadVisible(RequestContext& context, const std::optional<auth::User>& viewer) {
    const std::string& id = context.Param("video_id");
    auto video = co_await context.Blocking([&] { return repository_.FindByPublicId(id); });
    if (!video || !VideosModule::CanView(*video, viewer)) throw VideoNotFound();
    co_return std::move(*video);
  }

  // The video if this user may change it: 404 when they may not even see it, else 403.
  awaitable<Video> LoadEditable(RequestContext& context, const auth::User& user) {
    const std::string& id = context.Param("video_id");
    auto video = co_await context.Blocking([&] { return repository_.FindByPublicId(id); });
    if (!video || !VideosModule::CanView(*video, user)) throw VideoNotFound();
    if (!VideosModule::CanEdit(*video, user)) throw Forbidden("Only the video's owner or an admin may change it.");
    co_return std::move(*video);
  }

  // Throws 413 when adding `bytes` would take the user past the quota (a site setting).
  void CheckQuota(const auth::User& user, std::uint64_t bytes) {
    std::uint64_t quota = module_.site_.Current().user_quota_bytes;
    if (quota == 0) return;
    auto used = static_cast<std::uint64_t>(repository_.StorageUsedBy(user.id));
    if (used + bytes > quota)
      throw PayloadTooLarge("quota_exceeded",
                            "This upload does not fit in your storage quota (" + std::to_string(used >> 20) + " of " +
                                std::to_string(quota >> 20) + " MiB used). Delete videos to make room.");
  }

  // The router's body limits stop anything past the operator's ceiling; this checks the
  // largest upload in force now (a site setting, at most that ceiling).
  void CheckUploadSize(std::uint64_t bytes) const {
    std::uint64_t limit = module_.site_.Current().max_upload_bytes;
    if (bytes > limit)
      throw PayloadTooLarge("file_too_large", "The file is larger than the " + SizeText(limit) +
                                                  " this site accepts (max_upload_bytes = " + std::to_string(limit) +
                                                  ").");
  }

  void EnqueueTranscode(const Video& video) { module_.EnqueueTranscode(video); }

  nlohmann::json TrendingPage(long long offset, int limit, const std::optional<auth::User>& viewer) {
    auto ids = module_.trending_order_();
    const std::size_t start = static_cast<std::size_t>(std::clamp<long long>(offset, 0, static_cast<long long>(ids.size())));
    // The order may be some seconds old: what was hidden or made private since stays out.
    auto [videos, position] = module_.LoadInOrder(ids, start, limit, &VideosModule::IsListedPublicly);
    nlohmann::json list = nlohmann::json::array();
    for (auto& item : module_.VideoListJson(videos, viewer)) list.push_back(std::move(item));
    std::string next = position < ids.size() ? http::MakeCursor(static_cast<long long>(position), 0) : "";
    return {{"videos", std::move(list)}, {"next_cursor", http::CursorJson(next)}};
  }

  nlohmann::json PageJson(const VideoPage& page, const std::optional<auth::User>& viewer) {
    nlohmann::json list = nlohmann::json::array();
    for (auto& item : module_.VideoListJson(page.videos, viewer)) list.push_back(std::move(item));
    return {{"videos", std::move(list)},
            {"next_cursor", http::CursorJson(page.next_cursor)}};
  }

  // ---------- the video API ----------

  awaitable<Response> GetVideo(RequestContext& context) {
    auto viewer = UserOf(co_await module_.auth_.Authenticate(context));
    Video video = co_await LoadVisible(context, viewer);
    auto json = co_await context.Blocking([&] { return module_.VideoDetailJson(video, viewer); });
    co_return Response::JsonNoStore({{"video", std::move(json)}});
  }

  awaitable<Response> EditVideo(RequestContext& context, bool replace) {
    auto principal = co_await module_.auth_.Require(context);
    Video video = co_await LoadEditable(context, principal.user);
    nlohmann::json body = http::JsonObject(context.request);
    VideoMetadata metadata{video.title, video.description, video.tags, video.visibility, video.comments_enabled};
    FieldErrors errors;
    auto text = [&](const char* name, std::string& into) {
      if (!body.contains(name)) {
        if (replace) errors.Add(name, InvalidInput("missing_field", std::string(name) + " is required."));
        return;
      }
      if (!body[name].is_string()) {
        errors.Add(name, InvalidInput("invalid_type", std::string(name) + " must be a string."));
        return;
      }
      into = body[name].get<std::string>();
    };
    text("title", metadata.title);
    if (body.contains("description") || !replace) text("description", metadata.description);
    else metadata.description.clear();
    text("visibility", metadata.visibility);
    if (body.contains("tags")) {
      const auto& tags = body["tags"];
      if (tags.is_string()) {
        errors.Check("tags", [&] { metadata.tags = SplitTags(tags.get<std::string>()); });
      } else if (tags.is_array() && std::all_of(tags.begin(), tags.end(), [](const auto& t) { return t.is_string(); })) {
        metadata.tags = tags.get<std::vector<std::string>>();
      } else {
        errors.Add("tags", InvalidInput("invalid_type", "tags must be a list of strings."));
      }
    } else if (replace) {
      metadata.tags.clear();
    }
    if (body.contains("comments_enabled")) {
      if (body["comments_enabled"].is_boolean()) metadata.comments_enabled = body["comments_enabled"].get<bool>();
      else errors.Add("comments_enabled", InvalidInput("invalid_type", "comments_enabled must be true or false."));
    }
    errors.ThrowIfAny();
    ValidateMetadata(metadata);
    auto json = co_await context.Blocking([&] {
      if (!repository_.UpdateMetadata(video.id, metadata, Now())) throw VideoNotFound();
      auto updated = repository_.FindById(video.id);
      if (!updated) throw VideoNotFound();
      module_.NotifyChanged(*updated);
      return module_.VideoDetailJson(*updated, principal.user);
    });
    co_return Response::Json({{"video", std::move(json)}});
  }

  awaitable<Response> DeleteVideo(RequestContext& context) {
    auto principal = co_await module_.auth_.Require(context);
    Video video = co_await LoadEditable(context, principal.user);
    co_await context.Blocking([&] { module_.DeleteVideo(video); });
    co_return Response::Empty();
  }

  awaitable<Response> GetOriginal(RequestContext& context) {
    auto principal = co_await module_.auth_.Require(context);
    Video video = co_await LoadEditable(context, principal.user);
    if (video.status == kStatusUploading) throw Conflict("still_uploading", "The upload is not complete yet.");
    if (video.status == kStatusFailed && video.original_key.empty())
      throw NotFound("original_removed", "The file of this failed video is no longer kept.");
    auto response = co_await context.Blocking([&] {
      std::vector<VideoRepository::Chunk> chunks;
      if (video.original_key.empty()) {
        chunks = repository_.Chunks(video.id);
        // No pieces left: the job has just joined them; the row now names the original.
        if (chunks.empty()) {
          auto joined = repository_.FindById(video.id);
          if (!joined || joined->original_key.empty()) throw VideoNotFound();
          video.original_key = joined->original_key;
        }
      }
      if (!video.original_key.empty())
        return http::ObjectResponse(storage_, video.original_key, context.request, "application/octet-stream",
                                    "private, no-store");
      // Just completed by tus: the pieces are not joined yet, so send them one after another.
      Response chained;
      chained.headers.set(Field::content_type, "application/octet-stream");
      chained.headers.set(Field::cache_control, "private, no-store");
      chained.stream_length = static_cast<std::uint64_t>(video.upload_length);
      chained.stream = std::make_shared<ChunkChain>(storage_, std::move(chunks),
                                                   StoragePrefix(video) + "original");
      return chained;
    });
    response.headers.set(Field::content_disposition, ContentDispositionFor(video.original_filename));
    co_return response;
  }

  awaitable<Response> ListPublic(RequestContext& context) {
    auto viewer = UserOf(co_await module_.auth_.Authenticate(context));
    std::string sort = context.request.Query("sort").value_or("latest");
    ListOrder order = ListOrder::kLatest;
    if (sort == "popular") order = ListOrder::kPopular;
    else if (sort != "latest" && sort != "trending")
      throw InvalidInput("invalid_sort", "sort must be latest, popular or trending.");
    int limit = PageSize(context.request);
    std::string cursor = context.request.Query("cursor").value_or("");
    if (sort == "trending" && module_.trending_order_) {
      // A position in the ranking ("<offset>.0"): the order itself moves as views come in.
      long long offset = cursor.empty() ? 0 : http::ParseCursor(cursor).key;
      auto json = co_await context.Blocking([&] { return TrendingPage(offset, limit, viewer); });
      co_return Response::Json(json);
    }
    auto json = co_await context.Blocking(
        [&] { return PageJson(repository_.ListPublic(order, limit, cursor), viewer); });
    co_return Response::Json(json);
  }

  awaitable<Response> ListMine(RequestContext& context) {
    auto principal = co_await module_.auth_.Require(context);
    int limit = PageSize(context.request);
    std::string cursor = context.request.Query("cursor").value_or("");
    auto json = co_await context.Blocking([&] {
      auto page = PageJson(repository_.ListByOwner(principal.user.id, true, limit, cursor), principal.user);
      SiteSettingValues site = module_.site_.Current();
      page["quota"] = {{"used_bytes", repository_.StorageUsedBy(principal.user.id)},
                       {"limit_bytes", site.user_quota_bytes},
                       {"max_upload_bytes", site.max_upload_bytes}};
      return page;
    });
    co_return Response::JsonNoStore(json);
  }

  awaitable<Response> ListChannel(RequestContext& context) {
    auto viewer = UserOf(co_await module_.auth_.Authenticate(context));
    const std::string& user_id = context.Param("user_id");
    int limit = PageSize(context.request);
    std::string cursor = context.request.Query("cursor").value_or("");
    auto json = co_await context.Blocking([&] {
      auto owner = module_.auth_.accounts().users().FindByPublicId(user_id);
      if (!owner) throw NotFound("user_not_found", "There is no such user.");
      bool everything = viewer && (viewer->id == owner->id || auth::HasRole(*viewer, auth::Role::kAdmin));
      if (owner->suspended && !everything) return PageJson(VideoPage{}, viewer);
      return PageJson(repository_.ListByOwner(owner->id, everything, limit, cursor), viewer);
    });
    co_return Response::Json(json);
  }

  // One request: the file streams from the form straight into storage.
  awaitable<Response> Upload(RequestContext& context) {
    auto principal = co_await module_.auth_.Require(context, auth::Role::kCreator);
    const auth::User& user = principal.user;
    std::string boundary = http::MultipartReader::BoundaryOf(context.request.Header("Content-Type"));
    if (auto length = context.body_reader->content_length()) {
      std::uint64_t file_bytes = *length > 64 * 1024 ? *length - 64 * 1024 : 0;  // less the form around the file
      CheckUploadSize(file_bytes);
      co_await context.Blocking([&] { CheckQuota(user, file_bytes); });
    }
    http::MultipartReader form(context, boundary);
    VideoMetadata metadata;
    bool title_given = false;
    std::optional<Video> video;
    std::uint64_t size = 0;
    std::exception_ptr failure;
    try {
      for (;;) {
        auto part = co_await form.NextPart();
        if (!part) break;
        if (part->name == "file" && part->filename) {
          if (video) throw InvalidInput("too_many_files", "Upload one file per request.");
          std::string filename = *part->filename;
          video = co_await context.Blocking([&] {
            Video fresh;
            fresh.owner_id = user.id;
            fresh.title = TitleFromFilename(filename);
            fresh.visibility = std::string(kPrivate);  // until the form is complete and valid
            fresh.status = std::string(kStatusUploading);
            fresh.original_filename = filename.substr(0, 255);
            fresh.upload_expires_at_ms = Now() + module_.options_.upload_expiry.count();
            fresh.created_at_ms = fresh.updated_at_ms = Now();
            return repository_.Insert(fresh);
          });
          size = co_await StreamFormFile(context, form, user, StoragePrefix(*video) + "original");
        } else if (part->name == "title" || part->name == "description" || part->name == "tags" ||
                   part->name == "visibility") {
          std::string value = co_await form.ReadText(kMaxFormFieldBytes);
          if (part->name == "title") {
            metadata.title = value;
            title_given = true;
          } else if (part->name == "description") {
            metadata.description = value;
          } else if (part->name == "visibility") {
            metadata.visibility = value;
          } else {
            FieldErrors errors;
            errors.Check("tags", [&] { metadata.tags = SplitTags(value); });
            errors.ThrowIfAny();
          }
        }
      }
      if (!video) ThrowFieldError("file", InvalidInput("missing_file", "Choose a video file to upload."));
      if (!title_given || http::TrimWhitespace(metadata.title).empty()) metadata.title = video->title;
      ValidateMetadata(metadata);
    } catch (...) {
      failure = std::current_exception();
    }
    if (failure) {
      // Nothing of a refused upload stays behind (no await inside a handler: C++ rule).
      if (video) co_await context.Blocking([&] { module_.DeleteVideo(*video); });
      std::rethrow_exception(failure);
    }
    auto json = co_await context.Blocking([&] {
      repository_.UpdateMetadata(video->id, metadata, Now());
      repository_.MarkUploaded(video->id, StoragePrefix(*video) + "original", static_cast<std::int64_t>(size), Now());
      EnqueueTranscode(*video);
      return module_.VideoJson(*repository_.FindById(video->id), user);
    });
    co_return Response::Json({{"video", std::move(json)}}, http::Status::created);
  }

  // Copies the current form part into a new object; returns its size.
  awaitable<std::uint64_t> StreamFormFile(RequestContext& context, http::MultipartReader& form, const auth::User& user,
                                          const std::string& key) {
    auto writer = co_await context.Blocking([&] { return storage_.OpenWriter(key); });
    std::vector<char> buffer(kCopyBuffer);
    std::uint64_t total = 0;
    std::uint64_t checked = 0;
    for (;;) {
      std::size_t filled = 0;
      while (filled < buffer.size()) {
        std::size_t got = co_await form.Read(buffer.data() + filled, buffer.size() - filled);
        if (got == 0) break;
        filled += got;
      }
      if (filled == 0) break;
      total += filled;
      CheckUploadSize(total);
      co_await context.Blocking([&] {
        // Without a Content-Length the quota is checked as the file grows.
        if (total - checked >= 64 * kCopyBuffer) {
          CheckQuota(user, total);
          checked = total;
        }
        writer->Write(buffer.data(), filled);
      });
    }
    co_await context.Blocking([&] {
      CheckQuota(user, total);  // the row of this upload counts 0 bytes until it is complete
      writer->Commit();
    });
    co_return total;
  }

  // ---------- tus 1.0.0 ----------

  using TusHandler = awaitable<Response> (VideosRoutes::*)(RequestContext&);

  // Every tus answer, errors included, carries Tus-Resumable; requests must speak 1.0.0.
  awaitable<Response> Tus(RequestContext& context, TusHandler handler) {
    Response response;
    try {
      if (context.request.method != http::Verb::options &&
          context.request.Header("Tus-Resumable") != kTusVersion) {
        response = Response::Error(http::Status::precondition_failed, "tus_version",
                                   "This server speaks tus 1.0.0 (send Tus-Resumable: 1.0.0).");
        response.headers.set("Tus-Version", kTusVersion);
      } else {
        response = co_await (this->*handler)(context);
      }
    } catch (...) {
      response = http::ErrorToResponse(std::current_exception(), context.request_id);
    }
    response.headers.set("Tus-Resumable", kTusVersion);
    co_return response;
  }

  awaitable<Response> TusOptions(RequestContext&) {
    Response response = Response::Empty();
    response.headers.set("Tus-Version", kTusVersion);
    response.headers.set("Tus-Extension", "creation,termination,expiration");
    response.headers.set("Tus-Max-Size", std::to_string(module_.site_.Current().max_upload_bytes));
    co_return response;
  }

  void SetExpires(const Video& video, Response& response) {
    if (video.status == kStatusUploading && video.upload_expires_at_ms)
      response.headers.set("Upload-Expires", http::FormatHttpDate(*video.upload_expires_at_ms / 1000));
  }

  awaitable<Response> TusCreate(RequestContext& context) {
    auto principal = co_await module_.auth_.Require(context, auth::Role::kCreator);
    const auth::User& user = principal.user;
    if (!context.request.Header("Upload-Defer-Length").empty())
      throw InvalidInput("defer_length_unsupported", "Send Upload-Length: uploads of unknown size are not supported.");
    auto length = ParseCount(context.request.Header("Upload-Length"));
    if (!length) throw InvalidInput("invalid_upload_length", "Upload-Length must be the file size in bytes.");
    CheckUploadSize(static_cast<std::uint64_t>(*length));
    auto meta = ParseUploadMetadata(context.request.Header("Upload-Metadata"));
    std::string filename = meta.count("filename") ? meta["filename"] : meta.count("name") ? meta["name"] : "";
    VideoMetadata metadata;
    metadata.title = meta.count("title") && !http::TrimWhitespace(meta["title"]).empty() ? meta["title"]
                                                                                        : TitleFromFilename(filename);
    metadata.description = meta.count("description") ? meta["description"] : "";
    if (meta.count("visibility")) metadata.visibility = meta["visibility"];
    if (meta.count("tags")) {
      FieldErrors errors;
      errors.Check("tags", [&] { metadata.tags = SplitTags(meta["tags"]); });
      errors.ThrowIfAny();
    }
    ValidateMetadata(metadata);
    auto created = co_await context.Blocking([&] {
      CheckQuota(user, static_cast<std::uint64_t>(*length));
      Video fresh;
      fresh.owner_id = user.id;
      fresh.title = metadata.title;
      fresh.description = metadata.description;
      fresh.tags = metadata.tags;
      fresh.visibility = metadata.visibility;
      fresh.status = std::string(kStatusUploading);
      fresh.original_filename = filename.substr(0, 255);
      fresh.upload_length = *length;
      fresh.upload_expires_at_ms = Now() + module_.options_.upload_expiry.count();
      fresh.created_at_ms = fresh.updated_at_ms = Now();
      Video video = repository_.Insert(fresh);
      if (*length == 0) {
        // Nothing will ever be sent: the (empty) upload is complete now; processing says why it fails.
        storage_.Put(StoragePrefix(video) + "original", "");
        repository_.MarkUploaded(video.id, StoragePrefix(video) + "original", 0, Now());
        EnqueueTranscode(video);
        video = *repository_.FindById(video.id);
      }
      return std::make_pair(video, module_.VideoJson(video, user));
    });
    Response response = Response::Json({{"video", created.second}}, http::Status::created);
    response.headers.set(Field::location, "/api/uploads/" + created.first.public_id);
    response.headers.set("Upload-Offset", "0");
    SetExpires(created.first, response);
    co_return response;
  }

  awaitable<Response> TusHead(RequestContext& context) {
    auto principal = co_await module_.auth_.Require(context);
    Video video = co_await LoadEditable(context, principal.user);
    Response response = Response::Empty(http::Status::ok);
    bool uploading = video.status == kStatusUploading;
    response.headers.set("Upload-Offset", std::to_string(uploading ? video.upload_offset : video.upload_length));
    response.headers.set("Upload-Length", std::to_string(video.upload_length));
    response.headers.set(Field::cache_control, "no-store");
    SetExpires(video, response);
    co_return response;
  }

  awaitable<Response> TusDelete(RequestContext& context) {
    auto principal = co_await module_.auth_.Require(context);
    Video video = co_await LoadEditable(context, principal.user);
    co_await context.Blocking([&] { module_.DeleteVideo(video); });
    co_return Response::Empty();
  }

  awaitable<Response> TusPatch(RequestContext& context) {
    auto principal = co_await module_.auth_.Require(context, auth::Role::kCreator);
    Video video = co_await LoadEditable(context, principal.user);
    std::string_view type = context.request.Header("Content-Type");
    if (http::TrimWhitespace(type.substr(0, type.find(';'))) != "application/offset+octet-stream")
      throw UnsupportedMedia("A tus PATCH must have Content-Type: application/offset+octet-stream.");
    auto offset = ParseCount(context.request.Header("Upload-Offset"));
    if (!offset) throw InvalidInput("invalid_upload_offset", "Upload-Offset must be a byte offset.");
    if (video.status != kStatusUploading) throw Conflict("upload_complete", "This upload is already complete.");
    if (*offset != video.upload_offset)
      throw Conflict("offset_mismatch", "The upload is at byte " + std::to_string(video.upload_offset) +
                                            ", not " + std::to_string(*offset) + "; resume from there.");
    std::int64_t room = video.upload_length - video.upload_offset;
    if (auto length = context.body_reader->content_length(); length && static_cast<std::int64_t>(*length) > room)
      throw InvalidInput("beyond_upload_length", "The data goes past the Upload-Length of the upload.");

    char zeros[17];
    std::snprintf(zeros, sizeof zeros, "%016lld", static_cast<long long>(*offset));
    std::string key = StoragePrefix(video) + "upload/" + zeros + "-" + RandomToken(6);
    auto writer = co_await context.Blocking([&] { return storage_.OpenWriter(key); });
    std::vector<char> buffer(kCopyBuffer);
    std::int64_t received = 0;
    std::exception_ptr interrupted;
    try {
      for (;;) {
        std::size_t filled = 0;
        try {
          while (filled < buffer.size()) {
            std::size_t got = co_await context.ReadBody(buffer.data() + filled, buffer.size() - filled);
            if (got == 0) break;
            filled += got;
          }
        } catch (const http::BodyInterrupted&) {
          // The connection broke: keep what arrived, so the client resumes after it.
          interrupted = std::current_exception();
        }
        if (received + static_cast<std::int64_t>(filled) > room)
          throw InvalidInput("beyond_upload_length", "The data goes past the Upload-Length of the upload.");
        if (filled > 0) {
          co_await context.Blocking([&] { writer->Write(buffer.data(), filled); });
          received += static_cast<std::int64_t>(filled);
        }
        if (filled < buffer.size() || interrupted) break;
      }
    } catch (...) {
      writer->Abort();
      throw;
    }
    if (received == 0) {
      writer->Abort();
      if (interrupted) std::rethrow_exception(interrupted);
      Response response = Response::Empty();
      response.headers.set("Upload-Offset", std::to_string(*offset));
      SetExpires(video, response);
      co_return response;
    }
    auto new_offset = co_await context.Blocking([&]() -> std::optional<std::int64_t> {
      writer->Commit();
      auto moved = repository_.AppendChunk(video.id, *offset, received, key,
                                           Now() + module_.options_.upload_expiry.count(), Now());
      if (!moved) {
        storage_.Delete(key);
        return std::nullopt;
      }
      if (*moved == video.upload_length) EnqueueTranscode(video);
      return moved;
    });
    if (interrupted) std::rethrow_exception(interrupted);
    if (!new_offset)
      throw Conflict("offset_mismatch", "Another request moved this upload on; ask for its offset and resume.");
    Response response = Response::Empty();
    response.headers.set("Upload-Offset", std::to_string(*new_offset));
    if (*new_offset < video.upload_length) {
      video.upload_expires_at_ms = Now() + module_.options_.upload_expiry.count();
      SetExpires(video, response);
    }
    co_return response;
  }

  // ---------- media ----------

  awaitable<Response> Media(RequestContext& context) {
    const std::string& id = context.Param("video_id");
    const std::string& path = context.Param("path");
    auto content_type = MediaContentType(path);
    if (!content_type || path.find("..") != std::string::npos || path.starts_with("original") ||
        path.starts_with("upload"))
      throw NotFound("There is nothing at this address.");
    auto video = co_await context.Blocking([&] { return repository_.FindByPublicId(id); });
    if (!video || video->status != kStatusReady || video->media_prefix.empty())
      throw NotFound("video_not_found", "This video does not exist or is not available.");
    bool is_public = video->visibility == kPublic && !VideosModule::IsWithdrawn(*video);
    std::string query;
    if (!is_public) {
      auto expires = context.request.Query("expires");
      auto sig = context.request.Query("sig");
      if (!module_.signer().Verify(video->public_id, expires, sig, Now() / 1000))
        throw Forbidden("media_link_invalid",
                        "This media link is not valid or has expired; reload the video page for a fresh one.");
      query = "expires=" + *expires + "&sig=" + *sig;
    }
    std::string key = video->media_prefix + path;
    storage::ValidateKey(key);
    bool playlist = path.ends_with(".m3u8");
    std::string cache = is_public ? (playlist ? "public, max-age=60" : "public, max-age=31536000, immutable")
                                  : (playlist ? "private, max-age=60" : "private, max-age=31536000, immutable");
    Response response = co_await context.Blocking([&] {
      if (playlist) {
        std::string text = storage_.GetString(key);
        if (!query.empty()) text = AppendQueryToPlaylist(text, query);
        Response answer = Response::Text(std::move(text), *content_type);
        answer.headers.set(Field::cache_control, cache);
        return answer;
      }
      if (module_.options_.redirect_media) {
        if (auto url = storage_.PresignedGetUrl(key, module_.options_.media_url_ttl)) {
          Response redirect = Response::Empty(http::Status::found);
          redirect.headers.set(Field::location, *url);
          redirect.headers.set(Field::cache_control, "private, max-age=60");
          return redirect;
        }
      }
      return http::ObjectResponse(storage_, key, context.request, *content_type, cache);
    });
    // Players on other origins (embeds, ffmpeg, VLC) may read public media.
    if (is_public) response.headers.set(Field::access_control_allow_origin, "*");
    co_return response;
  }

  VideosModule& module_;
  VideoRepository& repository_;
  storage::ObjectStorage& storage_;
  const Clock& clock_;
};

void VideosModule::RegisterRoutes(http::Router& router, const std::function<void(std::string_view)>& add_page) {
  routes_ = std::make_shared<VideosRoutes>(*this);
  routes_->Register(router);
  add_page("/upload");
  add_page("/watch/{video_id}");
  add_page("/my/videos");
}

}  // namespace monotube::videos
