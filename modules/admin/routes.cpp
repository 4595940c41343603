// The admin API (/api/admin/*): dashboard figures, users, videos, jobs and the audit log.
// Every endpoint needs a moderator or an admin; each write is recorded in the audit log
// with who, what, on what, when and why.
#include <soci/soci.h>

#include "monotube/db/binds.hpp"
#include "monotube/errors.hpp"
#include "monotube/http/json_fields.hpp"
#include "monotube/http/paging.hpp"
#include "monotube/text.hpp"
#include "modules/admin/admin_module.hpp"

namespace monotube::admin {

using boost::asio::awaitable;
using http::RequestContext;
using http::Response;
using Field = http::bhttp::field;

namespace {

constexpr std::size_t kMaxReasonCharacters = 500;
constexpr std::size_t kMaxQueryBytes = 200;

// The optional "reason" of a staff action.
std::string ReasonOf(const nlohmann::json& body) {
  std::string reason = http::OptionalString(body, "reason").value_or("");
  if (!IsValidUtf8(reason) || CountCharacters(reason) > kMaxReasonCharacters)
    ThrowFieldError("reason", InvalidInput("invalid_reason", "A reason can have at most 500 characters."));
  return reason;
}

std::string QueryText(const http::Request& request, const std::string& name) {
  std::string value = request.Query(name).value_or("");
  if (value.size() > kMaxQueryBytes || !IsValidUtf8(value))
    throw InvalidInput("invalid_" + name, name + " must be at most 200 characters of text.");
  return value;
}

std::optional<bool> BoolQuery(const http::Request& request, const std::string& name) {
  auto value = request.Query(name);
  if (!value || value->empty()) return std::nullopt;
  if (*value == "true" || *value == "1") return true;
  if (*value == "false" || *value == "0") return false;
  throw InvalidInput("invalid_" + name, name + " must be true or false.");
}

nlohmann::json JobJson(const jobs::JobRecord& job) {
  auto time = [](std::optional<std::int64_t> ms) { return ms ? nlohmann::json(FormatIso8601(*ms)) : nlohmann::json(nullptr); };
  return {{"id", std::to_string(job.id)},
          {"type", job.type},
          {"state", job.state},
          {"attempts", job.attempts},
          {"max_attempts", job.max_attempts},
          {"last_error", job.last_error ? nlohmann::json(*job.last_error) : nlohmann::json(nullptr)},
          {"payload", job.payload},
          {"run_at", FormatIso8601(job.run_at_ms)},
          {"lease_owner", job.lease_owner ? nlohmann::json(*job.lease_owner) : nlohmann::json(nullptr)},
          {"lease_expires_at", time(job.lease_expires_at_ms)},
          {"created_at", FormatIso8601(job.created_at_ms)},
          {"updated_at", FormatIso8601(job.updated_at_ms)}};
}

nlohmann::json ReportJson(const Report& report) {
  return {{"id", report.public_id},
          {"target", {{"type", report.target_type}, {"id", report.target_id}, {"label", report.target_label},
                      {"exists", report.target_type == "video" ? report.video_id.has_value() : report.comment_id.has_value()}}},
          {"category", report.category},
          {"text", report.text},
          {"state", report.state},
          {"action", report.action.empty() ? nlohmann::json(nullptr) : nlohmann::json(report.action)},
          {"reporter", {{"id", report.reporter_id}, {"username", report.reporter_username}}},
          {"resolved_by", report.resolved_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(report.resolved_by)},
          {"resolved_at", report.resolved_at_ms ? nlohmann::json(FormatIso8601(*report.resolved_at_ms)) : nlohmann::json(nullptr)},
          {"open_reports_on_target", report.open_on_target},
          {"created_at", FormatIso8601(report.created_at_ms)}};
}

// The category and text of a report from its body.
std::pair<std::string, std::string> ReportFields(const nlohmann::json& body) {
  FieldErrors errors;
  std::string category, text;
  errors.Check("category", [&] {
    category = http::RequiredString(body, "category");
    if (!IsReportCategory(category))
      throw InvalidInput("invalid_category",
                         "category must be spam, harassment, hate, violence, sexual, misinformation, copyright, "
                         "child_safety or other.");
  });
  errors.Check("text", [&] {
    text = http::OptionalString(body, "text").value_or(http::OptionalString(body, "reason").value_or(""));
    if (!IsValidUtf8(text) || CountCharacters(text) > 1000)
      throw InvalidInput("invalid_text", "The explanation can have at most 1000 characters.");
  });
  errors.ThrowIfAny();
  if (category == "other" && text.empty())
    ThrowFieldError("text", InvalidInput("text_required", "Say what is wrong when the category is \"other\"."));
  return {category, text};
}

nlohmann::json AuditJson(const AuditEntry& entry) {
  return {{"id", std::to_string(entry.id)},
          {"actor", {{"id", entry.actor_id}, {"username", entry.actor_username}, {"role", entry.actor_role}}},
          {"action", entry.action},
          {"target", {{"type", entry.target_type}, {"id", entry.target_id}, {"label", entry.target_label}}},
          {"reason", entry.reason},
          {"details", entry.details},
          {"created_at", FormatIso8601(entry.created_at_ms)}};
}

}  // namespace

class AdminRoutes {
 public:
  explicit AdminRoutes(AdminModule& module) : module_(module), auth_(module.auth_), videos_(module.videos_) {}

  void Register(http::Router& router) {
    router.Get("/api/admin/stats", [this](RequestContext& c) { return Stats(c); });
    router.Get("/api/admin/users", [this](RequestContext& c) { return ListUsers(c); });
    router.Patch("/api/admin/users/{user_id}", [this](RequestContext& c) { return ChangeUser(c); });
    router.Delete("/api/admin/users/{user_id}", [this](RequestContext& c) { return DeleteUser(c); });
    router.Get("/api/admin/videos", [this](RequestContext& c) { return ListVideos(c); });
    router.Patch("/api/admin/videos/{video_id}", [this](RequestContext& c) { return ChangeVideo(c); });
    router.Delete("/api/admin/videos/{video_id}", [this](RequestContext& c) { return DeleteVideo(c); });
    router.Get("/api/admin/jobs", [this](RequestContext& c) { return ListJobs(c); });
    router.Post("/api/admin/jobs/{job_id}/retry", [this](RequestContext& c) { return JobAction(c, true); });
    router.Post("/api/admin/jobs/{job_id}/cancel", [this](RequestContext& c) { return JobAction(c, false); });
    router.Get("/api/admin/audit", [this](RequestContext& c) { return ListAudit(c); });
    router.Post("/api/admin/videos/{video_id}/retry", [this](RequestContext& c) { return RetryVideo(c); });
    router.Get("/api/admin/settings", [this](RequestContext& c) { return GetSettings(c); });
    router.Patch("/api/admin/settings", [this](RequestContext& c) { return ChangeSettings(c); });
    router.Get("/api/site", [this](RequestContext& c) { return Site(c); });

    router.Post("/api/videos/{video_id}/report", [this](RequestContext& c) { return ReportVideo(c); });
    router.Post("/api/comments/{comment_id}/report", [this](RequestContext& c) { return ReportComment(c); });
    router.Get("/api/admin/reports", [this](RequestContext& c) { return ListReports(c); });
    router.Patch("/api/admin/reports", [this](RequestContext& c) { return HandleReport(c); });
    router.Patch("/api/admin/reports/{report_id}", [this](RequestContext& c) { return HandleReport(c); });
  }

 private:
  awaitable<auth::User> Staff(RequestContext& context, auth::Role at_least = auth::Role::kModerator) {
    auto principal = co_await auth_.Require(context, at_least);
    co_return std::move(principal.user);
  }

  awaitable<auth::User> LoadUser(RequestContext& context) {
    const std::string& id = context.Param("user_id");
    auto user = co_await context.Blocking([&] { return auth_.accounts().users().FindByPublicId(id); });
    if (!user) throw NotFound("user_not_found", "There is no such user.");
    co_return std::move(*user);
  }

  awaitable<videos::Video> LoadVideo(RequestContext& context) {
    const std::string& id = context.Param("video_id");
    auto video = co_await context.Blocking([&] { return videos_.repository().FindByPublicId(id); });
    if (!video) throw NotFound("video_not_found", "There is no such video.");
    co_return std::move(*video);
  }

  nlohmann::json AdminUserJson(const auth::User& user) {
    nlohmann::json json = auth_.PrivateUserJson(user);
    json["video_count"] = module_.database_.WithSession([&](soci::session& session) {
      long long count = 0, id = user.id;
      session << "SELECT COUNT(*) FROM videos WHERE owner_id = :id", soci::into(count), soci::use(id);
      return count;
    });
    return json;
  }

  // ---------- dashboard ----------

  awaitable<Response> Stats(RequestContext& context) {
    co_await Staff(context);
    auto json = co_await context.Blocking([&] { return module_.Stats(); });
    co_return Response::JsonNoStore(json);
  }

  // ---------- users ----------

  awaitable<Response> ListUsers(RequestContext& context) {
    co_await Staff(context);
    const auto& request = context.request;
    std::string query = LowerAscii(QueryText(request, "query"));
    std::string role = QueryText(request, "role");
    if (!role.empty() && role != "viewer" && role != "creator" && role != "moderator" && role != "admin")
      throw InvalidInput("invalid_role", "role must be viewer, creator, moderator or admin.");
    auto suspended = BoolQuery(request, "suspended");
    int limit = http::PageSize(request, 50);
    std::string cursor = request.Query("cursor").value_or("");
    auto json = co_await context.Blocking([&] {
      // One query for the page: the users with their video and subscriber counts.
      std::string sql =
          "SELECT id, public_id, username, email, role, display_name, suspended, created_at, bio, avatar_key, "
          "updated_at, (SELECT COUNT(*) FROM videos v WHERE v.owner_id = users.id), "
          "(SELECT COUNT(*) FROM subscriptions s WHERE s.channel_id = users.id) FROM users WHERE 1 = 1";
      db::Binds binds;
      if (!query.empty()) {
        std::string pattern = "%" + db::EscapeLike(query, '!') + "%";
        sql += " AND (username_lower LIKE :q1 ESCAPE '!' OR email_lower LIKE :q2 ESCAPE '!' OR LOWER(display_name) "
               "LIKE :q3 ESCAPE '!')";
        binds.Text(pattern).Text(pattern).Text(pattern);
      }
      if (!role.empty()) {
        sql += " AND role = :role";
        binds.Text(role);
      }
      if (suspended) {
        sql += " AND suspended = :suspended";
        binds.Int(*suspended ? 1 : 0);
      }
      if (!cursor.empty()) {
        sql += " AND id < :cursor";
        binds.Int(http::ParseCursor(cursor).id);
      }
      sql += " ORDER BY id DESC LIMIT :limit";
      binds.Int(limit + 1);
      struct Listed {
        auth::User user;
        long long videos;
        long long subscribers;
      };
      std::vector<Listed> rows = module_.database_.WithSession([&](soci::session& session) {
        std::vector<Listed> found;
        long long id = 0, created_at = 0, updated_at = 0, videos = 0, subscribers = 0;
        int suspended_flag = 0;
        std::string public_id, username, email, user_role, display_name, bio, avatar_key;
        soci::indicator avatar_ind = soci::i_null, bio_ind = soci::i_null;
        soci::statement statement(session);
        binds.ExchangeInto(statement);
        statement.exchange(soci::into(id));
        statement.exchange(soci::into(public_id));
        statement.exchange(soci::into(username));
        statement.exchange(soci::into(email));
        statement.exchange(soci::into(user_role));
        statement.exchange(soci::into(display_name));
        statement.exchange(soci::into(suspended_flag));
        statement.exchange(soci::into(created_at));
        statement.exchange(soci::into(bio, bio_ind));
        statement.exchange(soci::into(avatar_key, avatar_ind));
        statement.exchange(soci::into(updated_at));
        statement.exchange(soci::into(videos));
        statement.exchange(soci::into(subscribers));
        statement.alloc();
        statement.prepare(sql);
        statement.define_and_bind();
        if (statement.execute(true)) {
          do {
            found.push_back({auth::User{id, public_id, username, email, user_role, display_name, suspended_flag != 0,
                                        created_at, bio_ind == soci::i_ok ? bio : std::string(),
                                        avatar_ind == soci::i_ok ? avatar_key : std::string(), updated_at},
                             videos, subscribers});
          } while (statement.fetch());
        }
        return found;
      });
      std::string next;
      if (static_cast<int>(rows.size()) > limit) {
        rows.resize(static_cast<std::size_t>(limit));
        next = http::MakeCursor(0, rows.back().user.id);
      }
      nlohmann::json list = nlohmann::json::array();
      for (const Listed& row : rows) {
        nlohmann::json item = auth_.PrivateUserJson(row.user, row.subscribers);
        item["video_count"] = row.videos;
        list.push_back(std::move(item));
      }
      return nlohmann::json{{"users", std::move(list)}, {"next_cursor", http::CursorJson(next)}};
    });
    co_return Response::JsonNoStore(json);
  }

  awaitable<Response> ChangeUser(RequestContext& context) {
    auth::User actor = co_await Staff(context);
    auth::User target = co_await LoadUser(context);
    nlohmann::json body = http::JsonObject(context.request);
    std::string reason = ReasonOf(body);
    std::optional<std::string> role = http::OptionalString(body, "role");
    std::optional<bool> suspended;
    if (body.contains("suspended")) {
      if (!body["suspended"].is_boolean())
        ThrowFieldError("suspended", InvalidInput("invalid_type", "suspended must be true or false."));
      suspended = body["suspended"].get<bool>();
    }
    if (!role && !suspended) throw InvalidInput("missing_field", "Send role and/or suspended.");
    if (target.id == actor.id)
      throw Forbidden("not_yourself", "You cannot change your own role or suspend yourself here.");
    bool is_admin = auth::HasRole(actor, auth::Role::kAdmin);
    if (role && !is_admin) throw Forbidden("Only admins change roles.");
    // Moderators act on viewers and creators only; staff answer to admins.
    if (!is_admin && auth::HasRole(target, auth::Role::kModerator))
      throw Forbidden("Only admins act on moderators and admins.");
    auto json = co_await context.Blocking([&] {
      auto& accounts = auth_.accounts();
      if (role && *role != target.role) {
        accounts.SetRole(target, *role);
        module_.audit_.Record(actor, "user.role", "user", target.public_id, target.username, reason,
                              {{"from", target.role}, {"to", *role}});
      }
      if (suspended && *suspended != target.suspended) {
        if (*suspended && target.role == "admin" && accounts.users().CountWithRole("admin") <= 1)
          throw Conflict("last_admin", "The site's only admin cannot be suspended.");
        accounts.SetSuspended(target, *suspended);
        module_.audit_.Record(actor, *suspended ? "user.suspend" : "user.unsuspend", "user", target.public_id,
                              target.username, reason);
      }
      auto updated = accounts.users().FindById(target.id);
      if (!updated) throw NotFound("user_not_found", "There is no such user.");
      return AdminUserJson(*updated);
    });
    co_return Response::Json({{"user", std::move(json)}});
  }

  awaitable<Response> DeleteUser(RequestContext& context) {
    auth::User actor = co_await Staff(context, auth::Role::kAdmin);
    auth::User target = co_await LoadUser(context);
    if (target.id == actor.id) throw Forbidden("not_yourself", "Delete your own account from your settings.");
    nlohmann::json body = http::JsonObject(context.request);
    std::string reason = ReasonOf(body);
    co_await context.Blocking([&] {
      auth_.accounts().DeleteUser(target);
      module_.audit_.Record(actor, "user.delete", "user", target.public_id, target.username, reason,
                            {{"email", target.email}, {"role", target.role}});
    });
    co_return Response::Empty();
  }

  // ---------- videos ----------

  awaitable<Response> ListVideos(RequestContext& context) {
    auth::User actor = co_await Staff(context);
    const auto& request = context.request;
    videos::VideoFilter filter;
    filter.status = QueryText(request, "status");
    if (!filter.status.empty() && filter.status != videos::kStatusUploading &&
        filter.status != videos::kStatusProcessing && filter.status != videos::kStatusReady &&
        filter.status != videos::kStatusFailed)
      throw InvalidInput("invalid_status", "status must be uploading, processing, ready or failed.");
    filter.hidden = BoolQuery(request, "hidden");
    filter.title_contains = QueryText(request, "query");
    std::string owner = QueryText(request, "owner");
    int limit = http::PageSize(request, 50);
    std::string cursor = request.Query("cursor").value_or("");
    auto json = co_await context.Blocking([&] {
      if (!owner.empty()) {
        auto user = auth_.accounts().users().FindByPublicId(owner);
        if (!user) user = auth_.accounts().users().FindByLogin(owner);
        if (!user) throw NotFound("user_not_found", "There is no such user.");
        filter.owner_id = user->id;
      }
      auto page = videos_.repository().ListFiltered(filter, limit, cursor);
      nlohmann::json list = nlohmann::json::array();
      auto items = videos_.VideoListJson(page.videos, actor);
      for (std::size_t i = 0; i < page.videos.size(); ++i) {
        const auto& video = page.videos[i];
        nlohmann::json& item = items[i];
        item["owner_suspended"] = video.owner_suspended;
        item["can_retry"] = video.status == videos::kStatusFailed && !video.original_key.empty();
        list.push_back(std::move(item));
      }
      return nlohmann::json{{"videos", std::move(list)}, {"next_cursor", http::CursorJson(page.next_cursor)}};
    });
    co_return Response::JsonNoStore(json);
  }

  awaitable<Response> ChangeVideo(RequestContext& context) {
    auth::User actor = co_await Staff(context);
    videos::Video video = co_await LoadVideo(context);
    nlohmann::json body = http::JsonObject(context.request);
    std::string reason = ReasonOf(body);
    if (!body.contains("hidden") || !body["hidden"].is_boolean())
      ThrowFieldError("hidden", InvalidInput("invalid_type", "hidden must be true or false."));
    bool hidden = body["hidden"].get<bool>();
    auto json = co_await context.Blocking([&] {
      if (hidden != video.hidden) {
        if (!videos_.repository().SetHidden(video.id, hidden, module_.clock_.NowMs()))
          throw NotFound("video_not_found", "There is no such video.");
        module_.audit_.Record(actor, hidden ? "video.hide" : "video.unhide", "video", video.public_id, video.title,
                              reason);
      }
      auto updated = videos_.repository().FindById(video.id);
      if (!updated) throw NotFound("video_not_found", "There is no such video.");
      videos_.NotifyChanged(*updated);
      return videos_.VideoJson(*updated, actor);
    });
    co_return Response::Json({{"video", std::move(json)}});
  }

  awaitable<Response> DeleteVideo(RequestContext& context) {
    auth::User actor = co_await Staff(context, auth::Role::kAdmin);
    videos::Video video = co_await LoadVideo(context);
    nlohmann::json body = http::JsonObject(context.request);
    std::string reason = ReasonOf(body);
    co_await context.Blocking([&] {
      videos_.DeleteVideo(video);
      auto owner = auth_.accounts().users().FindById(video.owner_id);
      module_.audit_.Record(actor, "video.delete", "video", video.public_id, video.title, reason,
                            {{"owner", owner ? owner->username : ""}});
    });
    co_return Response::Empty();
  }

  // ---------- jobs ----------

  awaitable<Response> ListJobs(RequestContext& context) {
    co_await Staff(context, auth::Role::kAdmin);
    std::string state = QueryText(context.request, "state");
    if (!state.empty() && state != jobs::kStateQueued && state != jobs::kStateRunning &&
        state != jobs::kStateSucceeded && state != jobs::kStateFailed && state != jobs::kStateCancelled)
      throw InvalidInput("invalid_state", "state must be queued, running, succeeded, failed or cancelled.");
    int limit = http::PageSize(context.request, 50);
    std::string cursor = context.request.Query("cursor").value_or("");
    auto json = co_await context.Blocking([&] {
      std::int64_t before = cursor.empty() ? 0 : http::ParseCursor(cursor).id;
      auto list = module_.queue_.List(state, limit + 1, before);
      std::string next;
      if (static_cast<int>(list.size()) > limit) {
        list.resize(static_cast<std::size_t>(limit));
        next = http::MakeCursor(0, list.back().id);
      }
      nlohmann::json items = nlohmann::json::array();
      for (const auto& job : list) items.push_back(JobJson(job));
      nlohmann::json counts = nlohmann::json::object();
      for (const auto& [name, count] : module_.queue_.CountByState()) counts[name] = count;
      return nlohmann::json{{"jobs", std::move(items)}, {"next_cursor", http::CursorJson(next)}, {"counts", counts}};
    });
    co_return Response::JsonNoStore(json);
  }

  awaitable<Response> JobAction(RequestContext& context, bool retry) {
    auth::User actor = co_await Staff(context, auth::Role::kAdmin);
    auto id = http::ParseCount(context.Param("job_id"));
    if (!id) throw NotFound("job_not_found", "There is no such job.");
    nlohmann::json body = http::JsonObject(context.request);
    std::string reason = ReasonOf(body);
    auto json = co_await context.Blocking([&] {
      auto job = module_.queue_.Get(*id);
      if (!job) throw NotFound("job_not_found", "There is no such job.");
      auto refused = [&] {
        return Conflict("job_state", retry ? "Only failed or cancelled jobs can be retried (this one is " + job->state + ")."
                                           : "Only queued or running jobs can be cancelled (this one is " + job->state + ").");
      };
      nlohmann::json details = nlohmann::json::object();
      if (retry && job->type == videos::kTranscodeJob) {
        if (job->state != jobs::kStateFailed && job->state != jobs::kStateCancelled) throw refused();
        details = PrepareTranscodeRetry(*job);
      }
      bool done = retry ? module_.queue_.Retry(*id) : module_.queue_.Cancel(*id);
      if (!done) throw refused();
      if (!retry && job->type == videos::kTranscodeJob) details = FailCancelledTranscode(*job);
      module_.audit_.Record(actor, retry ? "job.retry" : "job.cancel", "job", std::to_string(*id), job->type, reason,
                            details);
      return JobJson(module_.queue_.Get(*id).value());
    });
    co_return Response::Json({{"job", std::move(json)}});
  }

  // A cancelled transcode leaves no video processing for ever: it fails, and can be retried
  // while its original is kept. Returns details for the audit entry.
  nlohmann::json FailCancelledTranscode(const jobs::JobRecord& job) {
    auto video = videos_.repository().FindById(VideoIdOf(job));
    if (!video || !videos_.FailCancelledProcessing(*video)) return nlohmann::json::object();
    return {{"video", video->public_id}, {"video_status", {{"from", "processing"}, {"to", "failed"}}}};
  }

  static std::int64_t VideoIdOf(const jobs::JobRecord& job) {
    if (job.payload.is_object() && job.payload.contains("video_id") && job.payload["video_id"].is_number_integer())
      return job.payload["video_id"].get<std::int64_t>();
    return 0;
  }

  // A transcode job runs only for a video that is processing: before its job is queued
  // again, a failed video goes back to processing (the same as retrying the video), a video
  // that is ready or gone is refused. Returns details for the audit entry.
  nlohmann::json PrepareTranscodeRetry(const jobs::JobRecord& job) {
    auto video = videos_.repository().FindById(VideoIdOf(job));
    if (!video) throw Conflict("video_gone", "The video of this job was deleted; there is nothing to process.");
    if (video->status == videos::kStatusProcessing) return {{"video", video->public_id}};
    if (video->status != videos::kStatusFailed)
      throw Conflict("not_failed", "The video of this job is " + video->status + "; there is nothing to retry.");
    videos_.PrepareRetry(*video);
    return {{"video", video->public_id}, {"video_status", {{"from", "failed"}, {"to", "processing"}}}};
  }

  // A failed video is processed again from its kept original, by a new job.
  awaitable<Response> RetryVideo(RequestContext& context) {
    auth::User actor = co_await Staff(context, auth::Role::kAdmin);
    videos::Video video = co_await LoadVideo(context);
    nlohmann::json body = http::JsonObject(context.request);
    std::string reason = ReasonOf(body);
    auto json = co_await context.Blocking([&] {
      videos::Video updated = videos_.PrepareRetry(video);
      std::int64_t job = videos_.EnqueueTranscode(updated);
      module_.audit_.Record(actor, "video.retry", "video", video.public_id, video.title, reason,
                            {{"failure_reason", video.failure_reason}, {"job", std::to_string(job)}});
      nlohmann::json item = videos_.VideoJson(updated, actor);
      item["owner_suspended"] = updated.owner_suspended;
      item["can_retry"] = false;
      return item;
    });
    co_return Response::Json({{"video", std::move(json)}}, http::Status::accepted);
  }

  // ---------- site settings ----------

  nlohmann::json SettingsJson(const SiteSettingsSnapshot& snapshot) {
    const SiteSettingValues& v = snapshot.values;
    SiteSettingLimits limits = module_.settings_.Limits();
    nlohmann::json updated_by = nullptr;
    if (snapshot.updated_by)
      if (auto user = auth_.accounts().users().FindById(*snapshot.updated_by))
        updated_by = {{"id", user->public_id}, {"username", user->username}};
    return {{"settings",
             {{"signup_open", v.signup_open},
              {"default_role", v.default_role},
              {"max_upload_bytes", v.max_upload_bytes},
              {"user_quota_bytes", v.user_quota_bytes}}},
            {"limits",
             {{"max_upload_bytes", limits.max_upload_bytes},
              {"min_upload_bytes", limits.min_upload_bytes},
              {"max_user_quota_bytes", limits.max_user_quota_bytes}}},
            {"updated_at", snapshot.updated_at_ms ? nlohmann::json(*snapshot.updated_at_ms) : nlohmann::json(nullptr)},
            {"updated_by", std::move(updated_by)}};
  }

  awaitable<Response> GetSettings(RequestContext& context) {
    co_await Staff(context, auth::Role::kAdmin);
    // From the database, not this server's cache: an admin sees what another server just saved.
    auto json = co_await context.Blocking([&] {
      module_.settings_.Refresh();
      return SettingsJson(module_.settings_.Snapshot());
    });
    co_return Response::JsonNoStore(json);
  }

  awaitable<Response> ChangeSettings(RequestContext& context) {
    auth::User actor = co_await Staff(context, auth::Role::kAdmin);
    nlohmann::json body = http::JsonObject(context.request);
    SiteSettingChanges changes = module_.settings_.ParseChanges(body);
    std::string reason = ReasonOf(body);
    auto json = co_await context.Blocking([&] {
      SiteSettingsSaved saved = module_.settings_.Save(changes, actor.id);
      if (!saved.changes.empty())
        module_.audit_.Record(actor, "settings.update", "site", "settings", "Site settings", reason, saved.changes);
      return SettingsJson(saved.snapshot);
    });
    co_return Response::JsonNoStore(json);
  }

  // Public: what the sign-up and upload pages need to know.
  awaitable<Response> Site(RequestContext&) {
    SiteSettingValues v = module_.settings_.Current();
    co_return Response::JsonNoStore(
        {{"signup_open", v.signup_open}, {"default_role", v.default_role}, {"max_upload_bytes", v.max_upload_bytes}});
  }

  // ---------- reports ----------

  awaitable<Response> ReportVideo(RequestContext& context) {
    auto principal = co_await auth_.Require(context);
    videos::Video video = co_await LoadVideo(context);
    if (!videos::VideosModule::CanView(video, principal.user)) throw NotFound("video_not_found", "There is no such video.");
    if (video.owner_id == principal.user.id)
      throw InvalidInput("cannot_report_own", "You cannot report your own video; edit or delete it instead.");
    auto [category, text] = ReportFields(http::JsonObject(context.request));
    auto json = co_await context.Blocking([&] {
      NewReport report{principal.user.id, "video", video.public_id, video.title, video.id, std::nullopt, category, text};
      return ReportJson(module_.reports_.Insert(report, module_.clock_.NowMs()));
    });
    co_return Response::Json({{"report", std::move(json)}}, http::Status::created);
  }

  awaitable<Response> ReportComment(RequestContext& context) {
    auto principal = co_await auth_.Require(context);
    const std::string& id = context.Param("comment_id");
    auto found = co_await context.Blocking([&]() -> std::optional<std::pair<interactions::Comment, videos::Video>> {
      auto comment = module_.interactions_.comments().FindByPublicId(id);
      if (!comment) return std::nullopt;
      auto video = videos_.repository().FindById(comment->video_id);
      if (!video) return std::nullopt;
      return std::make_pair(std::move(*comment), std::move(*video));
    });
    if (!found || !videos::VideosModule::CanView(found->second, principal.user))
      throw NotFound("comment_not_found", "This comment does not exist or was deleted.");
    const interactions::Comment& comment = found->first;
    if (comment.author.id == principal.user.id)
      throw InvalidInput("cannot_report_own", "You cannot report your own comment; edit or delete it instead.");
    auto [category, text] = ReportFields(http::JsonObject(context.request));
    auto json = co_await context.Blocking([&] {
      NewReport report{principal.user.id, "comment", comment.public_id, comment.content.substr(0, 500),
                       comment.video_id, comment.id, category, text};
      return ReportJson(module_.reports_.Insert(report, module_.clock_.NowMs()));
    });
    co_return Response::Json({{"report", std::move(json)}}, http::Status::created);
  }

  awaitable<Response> ListReports(RequestContext& context) {
    co_await Staff(context);
    std::string state = context.request.Query("state").value_or(std::string(kReportOpen));
    if (state == "all") state.clear();
    if (!state.empty() && state != kReportOpen && state != kReportResolved && state != kReportDismissed)
      throw InvalidInput("invalid_state", "state must be open, resolved, dismissed or all.");
    std::string type = QueryText(context.request, "target_type");
    if (!type.empty() && type != "video" && type != "comment")
      throw InvalidInput("invalid_target_type", "target_type must be video or comment.");
    int limit = http::PageSize(context.request, 50);
    std::string cursor = context.request.Query("cursor").value_or("");
    auto json = co_await context.Blocking([&] {
      auto page = module_.reports_.List(state, type, limit, cursor);
      nlohmann::json list = nlohmann::json::array();
      for (const auto& report : page.reports) list.push_back(ReportJson(report));
      return nlohmann::json{{"reports", std::move(list)}, {"next_cursor", http::CursorJson(page.next_cursor)}};
    });
    co_return Response::JsonNoStore(json);
  }

  // Resolves (with an action on the target) or dismisses a report, and with it every other
  // open report of the same target.
  awaitable<Response> HandleReport(RequestContext& context) {
    auth::User actor = co_await Staff(context);
    nlohmann::json body = http::JsonObject(context.request);
    std::string id = context.params.contains("report_id") ? context.Param("report_id") : http::RequiredString(body, "id");
    std::string reason = ReasonOf(body);
    std::string state = http::RequiredString(body, "state");
    std::string action = http::OptionalString(body, "action").value_or("none");
    if (state != kReportResolved && state != kReportDismissed)
      ThrowFieldError("state", InvalidInput("invalid_state", "state must be resolved or dismissed."));
    if (action != "none" && action != "hide_video" && action != "delete_comment" && action != "suspend_user")
      ThrowFieldError("action", InvalidInput("invalid_action",
                                             "action must be none, hide_video, delete_comment or suspend_user."));
    if (state == kReportDismissed && action != "none")
      ThrowFieldError("action", InvalidInput("invalid_action", "A dismissed report takes no action."));
    auto report = co_await context.Blocking([&] { return module_.reports_.FindByPublicId(id); });
    if (!report) throw NotFound("report_not_found", "There is no such report.");
    if (report->state != kReportOpen) throw Conflict("report_closed", "This report was already " + report->state + ".");
    if (action == "hide_video" && report->target_type != "video")
      ThrowFieldError("action", InvalidInput("invalid_action", "hide_video applies to reports of videos."));
    if (action == "delete_comment" && report->target_type != "comment")
      ThrowFieldError("action", InvalidInput("invalid_action", "delete_comment applies to reports of comments."));
    std::string why = reason.empty() ? "report " + report->public_id + " (" + report->category + ")" : reason;
    auto json = co_await context.Blocking([&] {
      auto& audit = module_.audit_;
      if (action == "hide_video" || action == "suspend_user" || action == "delete_comment") {
        if (!report->video_id) throw Conflict("target_gone", "The reported video no longer exists.");
      }
      std::optional<videos::Video> video =
          report->video_id ? videos_.repository().FindById(*report->video_id) : std::nullopt;
      if (action == "hide_video") {
        if (!video) throw Conflict("target_gone", "The reported video no longer exists.");
        if (!video->hidden) {
          videos_.repository().SetHidden(video->id, true, module_.clock_.NowMs());
          audit.Record(actor, "video.hide", "video", video->public_id, video->title, why);
        }
      } else if (action == "delete_comment") {
        if (!report->comment_id) throw Conflict("target_gone", "The reported comment was already deleted.");
        module_.interactions_.comments().Delete(*report->comment_id);
        audit.Record(actor, "comment.delete", "comment", report->target_id, report->target_label, why);
      } else if (action == "suspend_user") {
        std::optional<std::int64_t> user_id;
        if (report->target_type == "video" && video) user_id = video->owner_id;
        if (report->target_type == "comment" && report->comment_id)
          if (auto comment = module_.interactions_.comments().FindById(*report->comment_id))
            user_id = comment->author.id;
        auto user = user_id ? auth_.accounts().users().FindById(*user_id) : std::nullopt;
        if (!user) throw Conflict("target_gone", "The reported content no longer exists.");
        if (user->id == actor.id) throw Forbidden("not_yourself", "You cannot suspend yourself.");
        if (auth::HasRole(*user, auth::Role::kModerator) && !auth::HasRole(actor, auth::Role::kAdmin))
          throw Forbidden("Only admins act on moderators and admins.");
        if (!user->suspended) {
          auth_.accounts().SetSuspended(*user, true);
          audit.Record(actor, "user.suspend", "user", user->public_id, user->username, why);
        }
      }
      std::int64_t closed = module_.reports_.CloseTarget(report->target_type, report->target_id, state,
                                                         action == "none" ? "" : action, actor.username,
                                                         module_.clock_.NowMs());
      audit.Record(actor, state == kReportResolved ? "report.resolve" : "report.dismiss", "report",
                   report->public_id, report->target_type + " " + report->target_id, reason,
                   {{"action", action}, {"reports_closed", closed}, {"category", report->category}});
      return ReportJson(module_.reports_.FindByPublicId(report->public_id).value());
    });
    co_return Response::Json({{"report", std::move(json)}});
  }

  // ---------- audit log ----------

  awaitable<Response> ListAudit(RequestContext& context) {
    co_await Staff(context);
    AuditFilter filter;
    filter.actor_id = QueryText(context.request, "actor");
    filter.action = QueryText(context.request, "action");
    filter.target_type = QueryText(context.request, "target_type");
    filter.target_id = QueryText(context.request, "target_id");
    int limit = http::PageSize(context.request, 50);
    std::string cursor = context.request.Query("cursor").value_or("");
    auto json = co_await context.Blocking([&] {
      auto page = module_.audit_.List(filter, limit, cursor);
      nlohmann::json list = nlohmann::json::array();
      for (const auto& entry : page.entries) list.push_back(AuditJson(entry));
      return nlohmann::json{{"entries", std::move(list)}, {"next_cursor", http::CursorJson(page.next_cursor)}};
    });
    co_return Response::JsonNoStore(json);
  }

  AdminModule& module_;
  auth::AuthModule& auth_;
  videos::VideosModule& videos_;
};

void AdminModule::RegisterRoutes(http::Router& router, const std::function<void(std::string_view)>& add_page) {
  routes_ = std::make_shared<AdminRoutes>(*this);
  routes_->Register(router);
  // The admin area's pages (the UI tells people who may not use them so).
  for (std::string_view page :
       {"/admin", "/admin/users", "/admin/videos", "/admin/reports", "/admin/jobs", "/admin/audit", "/admin/settings"})
    add_page(page);
}

}  // namespace monotube::admin
