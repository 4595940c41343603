#include "monotube/site_settings.hpp"

#include <algorithm>

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include "monotube/db/binds.hpp"
#include "monotube/errors.hpp"

namespace monotube {
namespace {

constexpr const char* kSignupOpen = "signup_open";
constexpr const char* kDefaultRole = "default_role";
constexpr const char* kMaxUploadBytes = "max_upload_bytes";
constexpr const char* kUserQuotaBytes = "user_quota_bytes";

std::string Mib(std::uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

// The stored rows over the defaults. A stored value that does not parse (edited by hand)
// is skipped with a warning: the default applies.
SiteSettingsSnapshot ReadStored(soci::session& session, const SiteSettingValues& defaults) {
  SiteSettingsSnapshot snapshot;
  snapshot.values = defaults;
  std::string name, value;
  long long updated_at = 0, updated_by = 0;
  soci::indicator by_ind = soci::i_null;
  soci::statement statement =
      (session.prepare << "SELECT name, value, updated_at, updated_by FROM site_settings", soci::into(name),
       soci::into(value), soci::into(updated_at), soci::into(updated_by, by_ind));
  if (!statement.execute(true)) return snapshot;
  do {
    try {
      nlohmann::json json = nlohmann::json::parse(value);
      SiteSettingValues& v = snapshot.values;
      if (name == kSignupOpen) v.signup_open = json.get<bool>();
      else if (name == kDefaultRole) v.default_role = json.get<std::string>();
      else if (name == kMaxUploadBytes) v.max_upload_bytes = json.get<std::uint64_t>();
      else if (name == kUserQuotaBytes) v.user_quota_bytes = json.get<std::uint64_t>();
      else continue;
    } catch (const nlohmann::json::exception& e) {
      spdlog::warn("site setting {} has an unreadable stored value ({}); using the config file's", name, e.what());
      continue;
    }
    if (!snapshot.updated_at_ms || updated_at >= *snapshot.updated_at_ms) {
      snapshot.updated_at_ms = updated_at;
      snapshot.updated_by = by_ind == soci::i_ok ? std::optional<std::int64_t>(updated_by) : std::nullopt;
    }
  } while (statement.fetch());
  SiteSettingValues& v = snapshot.values;
  if (v.default_role != "viewer" && v.default_role != "creator") v.default_role = defaults.default_role;
  // The config file's limit is the ceiling, also when the operator lowered it after an admin saved more.
  v.max_upload_bytes = std::min(v.max_upload_bytes, defaults.max_upload_bytes);
  return snapshot;
}

}  // namespace

SiteSettings::SiteSettings(db::Database& database, const Clock& clock, SiteSettingValues defaults)
    : database_(database), clock_(clock), defaults_(std::move(defaults)) {
  current_ = Load();
}

SiteSettingValues SiteSettings::Current() const {
  std::lock_guard lock(mutex_);
  return current_.values;
}

SiteSettingsSnapshot SiteSettings::Snapshot() const {
  std::lock_guard lock(mutex_);
  return current_;
}

SiteSettingLimits SiteSettings::Limits() const {
  return {defaults_.max_upload_bytes, std::min(kMinUploadBytes, defaults_.max_upload_bytes), kMaxUserQuotaBytes};
}

SiteSettingsSnapshot SiteSettings::Load() {
  return database_.WithSession([&](soci::session& session) { return ReadStored(session, defaults_); });
}

void SiteSettings::Refresh() {
  SiteSettingsSnapshot loaded = Load();
  std::lock_guard lock(mutex_);
  if (!(loaded.values == current_.values))
    spdlog::info("site settings changed: sign-ups {}, new accounts are {}s, uploads up to {}, quota {}",
                 loaded.values.signup_open ? "open" : "closed", loaded.values.default_role,
                 Mib(loaded.values.max_upload_bytes),
                 loaded.values.user_quota_bytes ? Mib(loaded.values.user_quota_bytes) : "unlimited");
  current_ = std::move(loaded);
}

SiteSettingChanges SiteSettings::ParseChanges(const nlohmann::json& body) const {
  SiteSettingChanges changes;
  FieldErrors errors;
  if (!body.is_object()) throw InvalidInput("invalid_setting", "Send the settings as a JSON object.");
  auto bytes = [](const nlohmann::json& value, const std::string& name) {
    if (!value.is_number_integer())
      throw InvalidInput("invalid_setting", name + " must be a whole number of bytes.");
    if (value.is_number_unsigned()) return value.get<std::uint64_t>();
    std::int64_t signed_value = value.get<std::int64_t>();
    if (signed_value < 0) throw InvalidInput("invalid_setting", name + " cannot be negative.");
    return static_cast<std::uint64_t>(signed_value);
  };
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::json& value = it.value();
    if (name == "reason") continue;
    errors.Check(name, [&] {
      if (name == kSignupOpen) {
        if (!value.is_boolean()) throw InvalidInput("invalid_setting", "signup_open must be true or false.");
        changes.signup_open = value.get<bool>();
      } else if (name == kDefaultRole) {
        if (!value.is_string() || (value != "viewer" && value != "creator"))
          throw InvalidInput("invalid_setting", "default_role must be \"viewer\" or \"creator\".");
        changes.default_role = value.get<std::string>();
      } else if (name == kMaxUploadBytes) {
        changes.max_upload_bytes = bytes(value, name);
      } else if (name == kUserQuotaBytes) {
        changes.user_quota_bytes = bytes(value, name);
      } else {
        throw InvalidInput("invalid_setting", "There is no setting called \"" + name.substr(0, 100) +
                                                  "\" (there are signup_open, default_role, max_upload_bytes "
                                                  "and user_quota_bytes).");
      }
    });
  }
  errors.ThrowIfAny();
  Validate(changes);
  return changes;
}

void SiteSettings::Validate(const SiteSettingChanges& changes) const {
  FieldErrors errors;
  SiteSettingLimits limits = Limits();
  if (changes.default_role && *changes.default_role != "viewer" && *changes.default_role != "creator")
    errors.Add(kDefaultRole, InvalidInput("invalid_setting", "default_role must be \"viewer\" or \"creator\"."));
  if (changes.max_upload_bytes &&
      (*changes.max_upload_bytes < limits.min_upload_bytes || *changes.max_upload_bytes > limits.max_upload_bytes))
    errors.Add(kMaxUploadBytes,
               InvalidInput("invalid_setting", "max_upload_bytes must be between " +
                                                   std::to_string(limits.min_upload_bytes) + " and " +
                                                   std::to_string(limits.max_upload_bytes) +
                                                   " bytes (the server's configured ceiling, " +
                                                   Mib(limits.max_upload_bytes) + ")."));
  if (changes.user_quota_bytes && *changes.user_quota_bytes != 0 &&
      (*changes.user_quota_bytes < kMinUploadBytes || *changes.user_quota_bytes > limits.max_user_quota_bytes))
    errors.Add(kUserQuotaBytes, InvalidInput("invalid_setting",
                                             "user_quota_bytes must be 0 (unlimited) or between " +
                                                 std::to_string(kMinUploadBytes) + " and " +
                                                 std::to_string(limits.max_user_quota_bytes) + " bytes."));
  errors.ThrowIfAny();
}

SiteSettingsSaved SiteSettings::Save(const SiteSettingChanges& changes, std::int64_t actor_id) {
  Validate(changes);
  std::int64_t now = clock_.NowMs();
  SiteSettingsSaved saved;
  database_.InTransaction([&](soci::session& session) {
    // PostgreSQL: one admin's save at a time, so each audit entry's "from" is what it replaced
    // (SQLite's BEGIN IMMEDIATE serialises writers already).
    if (database_.dialect() == db::Dialect::kPostgresql) session << "LOCK TABLE site_settings IN EXCLUSIVE MODE";
    SiteSettingValues before = ReadStored(session, defaults_).values;
    auto store = [&](const char* name, const nlohmann::json& from, const nlohmann::json& to) {
      if (from == to) return;
      db::Execute(session,
                  "INSERT INTO site_settings (name, value, updated_at, updated_by) VALUES (:name, :value, :at, :by) "
                  "ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, "
                  "updated_by = excluded.updated_by",
                  db::Binds().Text(name).Text(to.dump()).Int(now).Int(actor_id));
      saved.changes[name] = {{"from", from}, {"to", to}};
    };
    if (changes.signup_open) store(kSignupOpen, before.signup_open, *changes.signup_open);
    if (changes.default_role) store(kDefaultRole, before.default_role, *changes.default_role);
    if (changes.max_upload_bytes) store(kMaxUploadBytes, before.max_upload_bytes, *changes.max_upload_bytes);
    if (changes.user_quota_bytes) store(kUserQuotaBytes, before.user_quota_bytes, *changes.user_quota_bytes);
  });
  if (!saved.changes.empty())
    spdlog::info("site settings changed by user {}: {}", actor_id, saved.changes.dump());
  Refresh();
  saved.snapshot = Snapshot();
  return saved;
}

}  // namespace monotube
