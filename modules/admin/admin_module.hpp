#pragma once
// The admin module: the dashboard figures, user and content management for moderators
// and admins, the job queue, and the append-only audit log of every staff action.
// Any logged-in user reports a video or a comment. Moderators: dashboard, user list,
// suspending viewers and creators, video list, hiding videos, the report queue, the audit log. Admins: all of that
// plus roles, deleting users and videos, retrying failed videos, jobs, and the site settings.
// Anyone: GET /api/site, the public part of the site settings.
// Thread-safe once routes are registered.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "monotube/clock.hpp"
#include "monotube/db/database.hpp"
#include "monotube/http/router.hpp"
#include "monotube/jobs/job_queue.hpp"
#include "monotube/site_settings.hpp"
#include "modules/admin/reports.hpp"
#include "modules/auth/auth.hpp"
#include "modules/interactions/interactions_module.hpp"
#include "modules/videos/videos_module.hpp"

namespace monotube::admin {

struct AuditEntry {
  std::int64_t id = 0;
  std::string actor_id;  // public id
  std::string actor_username;
  std::string actor_role;
  std::string action;       // "user.suspend", "video.hide", …
  std::string target_type;  // "user", "video", "job"
  std::string target_id;
  std::string target_label;  // the name or title at the time
  std::string reason;
  nlohmann::json details = nlohmann::json::object();
  std::int64_t created_at_ms = 0;
};

struct AuditFilter {
  std::string actor_id;
  std::string action;
  std::string target_type;
  std::string target_id;
};

struct AuditPage {
  std::vector<AuditEntry> entries;
  std::string next_cursor;
};

// Append-only: there is Record and List, nothing else, and no endpoint writes to it.
class AuditLog {
 public:
  AuditLog(db::Database& database, const Clock& clock);
  void Record(const auth::User& actor, std::string_view action, std::string_view target_type,
              std::string_view target_id, std::string_view target_label, std::string_view reason,
              const nlohmann::json& details = nlohmann::json::object());
  AuditPage List(const AuditFilter& filter, int limit, std::string_view cursor);

 private:
  db::Database& database_;
  const Clock& clock_;
};

class AdminRoutes;

class AdminModule {
 public:
  // The references must outlive the module.
  AdminModule(db::Database& database, const Clock& clock, auth::AuthModule& auth, videos::VideosModule& videos,
              interactions::InteractionsModule& interactions, jobs::JobQueue& queue, SiteSettings& settings);
  ~AdminModule();

  void RegisterRoutes(http::Router& router, const std::function<void(std::string_view)>& add_page);

  // Blocking. The dashboard figures (GET /api/admin/stats).
  nlohmann::json Stats();
  AuditLog& audit() noexcept { return audit_; }
  ReportRepository& reports() noexcept { return reports_; }

 private:
  friend class AdminRoutes;
  db::Database& database_;
  const Clock& clock_;
  auth::AuthModule& auth_;
  videos::VideosModule& videos_;
  interactions::InteractionsModule& interactions_;
  jobs::JobQueue& queue_;
  SiteSettings& settings_;
  AuditLog audit_;
  ReportRepository reports_;
  std::shared_ptr<AdminRoutes> routes_;
};

}  // namespace monotube::admin
