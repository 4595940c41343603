#pragma once
// Settings, read once at start-up into a typed struct and validated. Sources, each
// overriding the one before: built-in defaults → TOML config file → MONOTUBE_*
// environment variables → command-line flags. Every setting has one name used in all
// four places: key `max_body_bytes`, env `MONOTUBE_MAX_BODY_BYTES`, flag
// `--max-body-bytes`. Nothing outside this file reads the environment.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace monotube {

struct Config {
  // Network
  std::string listen_host = "0.0.0.0";
  std::uint16_t listen_port = 8080;
  std::string public_url;
  std::string tls_cert;
  std::string tls_key;
  std::string http_redirect_host;
  std::uint16_t http_redirect_port = 0;  // 0 = no redirect listener
  std::int64_t hsts_max_age_seconds = 31536000;

  // Where things live
  std::filesystem::path data_dir = "data";
  std::filesystem::path static_dir;  // resolved at load time when not given
  std::string database_url;          // empty = SQLite in data_dir
  std::size_t database_pool_size = 8;
  std::string storage_url;           // empty = local disk in data_dir
  std::string s3_access_key;
  std::string s3_secret_key;
  std::string smtp_url;
  std::string mail_from;             // empty = "monotube <no-reply@HOST of public_url>"

  // Threads
  unsigned io_threads = 0;      // 0 = number of cores
  unsigned worker_threads = 0;  // 0 = max(4, 2 × cores)
  unsigned job_workers = 1;

  // Limits
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::int64_t header_timeout_seconds = 10;
  std::int64_t idle_timeout_seconds = 60;
  std::int64_t body_timeout_seconds = 60;
  std::int64_t shutdown_timeout_seconds = 10;
  std::size_t max_requests_per_connection = 1000;
  std::size_t max_connections = 10000;

  std::string log_level = "info";

  // Accounts
  bool signup_open = true;                  // false = only admins (CLI, admin API) create accounts
  std::string signup_role = "creator";      // role of self-registered accounts: viewer or creator
  std::int64_t session_ttl_days = 30;       // a session unused this long expires
  std::size_t login_max_failures = 10;      // failed log-ins per account per minute
  std::size_t login_max_failures_per_address = 30;  // failed log-ins per client address per minute
  std::size_t signup_max_per_address = 20;  // sign-ups per client address per hour
  std::size_t reset_max_per_address = 10;   // reset requests per client address per hour
  std::string trusted_proxies;              // load balancers whose X-Forwarded-For is believed
  std::string admin_username;               // first admin, made on start when there is no admin
  std::string admin_email;
  std::string admin_password;

  // Videos
  std::uint64_t max_upload_bytes = 8ULL << 30;       // largest video file accepted
  std::uint64_t user_quota_bytes = 50ULL << 30;      // storage per user (originals + streams); 0 = unlimited
  std::int64_t max_video_duration_seconds = 4 * 3600;
  unsigned transcode_workers = 0;                    // 0 = cores − 1, at least 1
  std::int64_t job_lease_seconds = 30;               // a dead worker's job is taken over after this
  std::int64_t upload_expiry_hours = 24;             // an abandoned resumable upload is removed after this
  std::int64_t failed_original_retention_days = 7;  // a failed video's original is kept this long for a retry
  std::string media_delivery = "proxy";              // proxy | redirect (presigned storage URLs, S3 only)
  std::int64_t media_url_ttl_seconds = 3600;         // signed media URLs stay valid this long (+ the video's length)

  // Search
  std::filesystem::path search_dir;                  // this replica's index; empty = data_dir/search

  // Analytics
  std::int64_t analytics_retention_days = 90;          // raw view events are kept this long (rolled up before)
  std::int64_t analytics_rollup_interval_seconds = 20; // how often the roll-up runs (0 = only `monotube analytics rollup`)

  // Where the values came from, for `monotube config` style diagnostics.
  std::filesystem::path config_file;
};

// One entry per setting; drives the config file keys, environment names and flags.
struct SettingInfo {
  std::string key;          // e.g. "max_body_bytes"
  std::string env;          // e.g. "MONOTUBE_MAX_BODY_BYTES"
  std::string flag;         // e.g. "--max-body-bytes"
  std::string description;
  bool secret = false;      // never printed
};
const std::vector<SettingInfo>& Settings();

struct ConfigSources {
  std::filesystem::path config_file;                 // empty = none (unless MONOTUBE_CONFIG is set)
  std::map<std::string, std::string> environment;    // usually from ReadEnvironment()
  std::map<std::string, std::string> flags;          // key → value from the command line
  std::filesystem::path executable_dir;              // to find the bundled static/ folder
};

// Only the MONOTUBE_* variables of this process.
std::map<std::string, std::string> ReadEnvironment();

// Throws ConfigError naming the setting (and its source) on any bad value or unknown key.
Config LoadConfig(const ConfigSources& sources);

// Effective configuration with secrets masked, one "key = value" per line.
std::string DescribeConfig(const Config& config);

}  // namespace monotube
