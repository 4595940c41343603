#pragma once
// Site settings that admins change at run time (sign-ups open, the role of new sign-ups,
// the largest upload, the per-user quota). A setting no admin has saved yet takes its value
// from the config file. Every server keeps the values in memory: readers (auth, videos)
// never touch the database; Refresh reloads them (every ~2 s and right after this server's
// own Save), so replicas agree within a refresh interval. Thread-safe.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "monotube/clock.hpp"
#include "monotube/db/database.hpp"

namespace monotube {

struct SiteSettingValues {
  bool signup_open = true;
  std::string default_role = "creator";  // viewer or creator
  std::uint64_t max_upload_bytes = 8ULL << 30;
  std::uint64_t user_quota_bytes = 50ULL << 30;  // 0 = unlimited

  bool operator==(const SiteSettingValues&) const = default;
};

// The operator's bounds (limits in GET /api/admin/settings).
struct SiteSettingLimits {
  std::uint64_t max_upload_bytes;      // the config file's max_upload_bytes: the ceiling
  std::uint64_t min_upload_bytes;      // 1 MiB (or the ceiling, when that is smaller)
  std::uint64_t max_user_quota_bytes;  // 2^50
};

struct SiteSettingsSnapshot {
  SiteSettingValues values;
  std::optional<std::int64_t> updated_at_ms;  // nullopt until an admin first saved
  std::optional<std::int64_t> updated_by;     // user id; nullopt also when that user is gone
};

// Some of the settings, as a PATCH sends them.
struct SiteSettingChanges {
  std::optional<bool> signup_open;
  std::optional<std::string> default_role;
  std::optional<std::uint64_t> max_upload_bytes;
  std::optional<std::uint64_t> user_quota_bytes;
};

// What a Save changed: {field: {from, to}} for the changed fields only (empty: nothing).
struct SiteSettingsSaved {
  SiteSettingsSnapshot snapshot;
  nlohmann::json changes = nlohmann::json::object();
};

class SiteSettings {
 public:
  static constexpr std::uint64_t kMinUploadBytes = 1ULL << 20;
  static constexpr std::uint64_t kMaxUserQuotaBytes = 1ULL << 50;

  // defaults: the config file's values (also used for settings never saved). Reads the
  // stored values once (blocking). The database must outlive the service.
  SiteSettings(db::Database& database, const Clock& clock, SiteSettingValues defaults);

  // The cached values; never blocks on the database.
  SiteSettingValues Current() const;
  SiteSettingsSnapshot Snapshot() const;
  SiteSettingLimits Limits() const;

  // Blocking: reloads the stored values. A failure is thrown; the cache keeps the last values.
  void Refresh();

  // Reads the settings of a PATCH body (JSON object): the four settings by name, plus
  // "reason", which is ignored here. Throws InvalidFields with code invalid_setting for
  // each unknown field, wrong type or value out of range.
  SiteSettingChanges ParseChanges(const nlohmann::json& body) const;

  // Blocking. Stores the changed values (one transaction) and refreshes the cache; values
  // equal to the current ones are not written. Validates like ParseChanges.
  SiteSettingsSaved Save(const SiteSettingChanges& changes, std::int64_t actor_id);

 private:
  SiteSettingsSnapshot Load();
  void Validate(const SiteSettingChanges& changes) const;

  db::Database& database_;
  const Clock& clock_;
  const SiteSettingValues defaults_;
  mutable std::mutex mutex_;
  SiteSettingsSnapshot current_;
};

}  // namespace monotube
