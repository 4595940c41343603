#include "monotube/config.hpp"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include "monotube/errors.hpp"
#include "monotube/mail.hpp"

extern char** environ;

namespace monotube {
namespace {

using Setter = std::function<void(Config&, const std::string& value)>;

struct SettingDef {
  SettingInfo info;
  Setter set;
  std::function<std::string(const Config&)> get;
};

[[noreturn]] void Invalid(const std::string& why) { throw std::invalid_argument(why); }

std::uint64_t ParseUnsigned(const std::string& value, std::uint64_t min, std::uint64_t max) {
  std::uint64_t out = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size())
    Invalid("'" + value + "' is not a whole number");
  if (out < min || out > max)
    Invalid(std::to_string(out) + " is out of range (" + std::to_string(min) + " to " + std::to_string(max) + ")");
  return out;
}

// "host:port", "[v6]:port" or ":port"; "localhost" means 127.0.0.1.
std::pair<std::string, std::uint16_t> ParseListen(const std::string& value) {
  auto colon = value.rfind(':');
  if (colon == std::string::npos) Invalid("'" + value + "' is not host:port (for example 0.0.0.0:8080)");
  std::string host = value.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  bool ipv4 = host.find_first_not_of("0123456789.") == std::string::npos && !host.empty();
  bool ipv6 = host.find(':') != std::string::npos && host.find_first_not_of("0123456789abcdefABCDEF:.") == std::string::npos;
  if (!ipv4 && !ipv6) Invalid("'" + host + "' is not an IP address (use e.g. 0.0.0.0, 127.0.0.1 or [::])");
  auto port = static_cast<std::uint16_t>(ParseUnsigned(value.substr(colon + 1), 0, 65535));
  return {host, port};
}

std::string FormatListen(const std::string& host, std::uint16_t port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

void RequirePrefix(const std::string& value, std::initializer_list<std::string_view> prefixes, std::string_view what) {
  if (value.empty()) return;
  for (auto prefix : prefixes)
    if (value.starts_with(prefix) && value.size() > prefix.size()) return;
  std::string list;
  for (auto prefix : prefixes) list += (list.empty() ? "" : ", ") + std::string(prefix) + "…";
  Invalid("'" + value + "' is not " + std::string(what) + " (expected " + list + ")");
}

template <class T>
SettingDef Number(std::string key, std::string description, T Config::*member, std::uint64_t min, std::uint64_t max) {
  return {{std::move(key), "", "", std::move(description)},
          [member, min, max](Config& c, const std::string& v) { c.*member = static_cast<T>(ParseUnsigned(v, min, max)); },
          [member](const Config& c) { return std::to_string(c.*member); }};
}

SettingDef Text(std::string key, std::string description, std::string Config::*member,
                std::function<void(const std::string&)> check = nullptr, bool secret = false) {
  return {{std::move(key), "", "", std::move(description), secret},
          [member, check](Config& c, const std::string& v) {
            if (check) check(v);
            c.*member = v;
          },
          [member](const Config& c) { return c.*member; }};
}

SettingDef Path(std::string key, std::string description, std::filesystem::path Config::*member) {
  return {{std::move(key), "", "", std::move(description)},
          [member](Config& c, const std::string& v) {
            if (v.empty()) Invalid("the path must not be empty");
            c.*member = v;
          },
          [member](const Config& c) { return (c.*member).string(); }};
}

SettingDef Bool(std::string key, std::string description, bool Config::*member) {
  return {{std::move(key), "", "", std::move(description)},
          [member](Config& c, const std::string& v) {
            if (v == "true" || v == "1" || v == "yes" || v == "on") c.*member = true;
            else if (v == "false" || v == "0" || v == "no" || v == "off") c.*member = false;
            else Invalid("'" + v + "' is not true or false");
          },
          [member](const Config& c) { return std::string(c.*member ? "true" : "false"); }};
}

const std::vector<SettingDef>& Definitions() {
  static const std::vector<SettingDef> defs = [] {
    constexpr std::uint64_t kMaxInt = std::numeric_limits<std::int32_t>::max();
    std::vector<SettingDef> d;
    d.push_back({{"listen", "", "", "address and port to serve on (host:port)"},
                 [](Config& c, const std::string& v) { std::tie(c.listen_host, c.listen_port) = ParseListen(v); },
                 [](const Config& c) { return FormatListen(c.listen_host, c.listen_port); }});
    d.push_back(Path("data_dir", "folder for the SQLite database, local objects, index and temp files",
                     &Config::data_dir));
    d.push_back(Path("static_dir", "folder of the web UI files", &Config::static_dir));
    d.push_back(Path("search_dir", "this server's own search index folder (empty = data_dir/search)",
                     &Config::search_dir));
    d.push_back(Text("database_url", "empty = SQLite in data_dir; postgresql://user:pass@host:port/db",
                     &Config::database_url,
                     [](const std::string& v) { RequirePrefix(v, {"postgresql://", "postgres://", "sqlite:"}, "a database URL"); },
                     /*secret=*/true));
    d.push_back(Number("database_pool_size", "database connections per process", &Config::database_pool_size, 1, 256));
    d.push_back(Text("storage_url", "empty = local disk in data_dir; s3://bucket?endpoint=…&region=…",
                     &Config::storage_url,
                     [](const std::string& v) { RequirePrefix(v, {"file://", "s3://"}, "a storage URL"); }));
    d.push_back(Text("s3_access_key", "S3 access key id", &Config::s3_access_key, nullptr, true));
    d.push_back(Text("s3_secret_key", "S3 secret access key", &Config::s3_secret_key, nullptr, true));
    d.push_back(Text("public_url", "the site's public base URL, used in e-mails and absolute links",
                     &Config::public_url,
                     [](const std::string& v) { RequirePrefix(v, {"http://", "https://"}, "an http(s) URL"); }));
    d.push_back(Text("smtp_url", "SMTP server for e-mail (smtp://host:port); empty = mails go to the log",
                     &Config::smtp_url,
                     [](const std::string& v) { RequirePrefix(v, {"smtp://", "smtps://"}, "an SMTP URL"); }, true));
    d.push_back(Text("mail_from", "sender of e-mails (\"Name <address>\"); empty = monotube <no-reply@HOST of public_url>",
                     &Config::mail_from, [](const std::string& v) {
                       if (v.empty()) return;
                       try {
                         ParseMailbox(v);
                       } catch (const InvalidInput& e) {
                         Invalid(e.what());
                       }
                     }));
    d.push_back(Text("tls_cert", "PEM certificate chain file; with tls_key the server speaks HTTPS", &Config::tls_cert));
    d.push_back(Text("tls_key", "PEM private key file", &Config::tls_key));
    d.push_back({{"http_redirect_listen", "", "", "with TLS: a plain-HTTP host:port that redirects to HTTPS"},
                 [](Config& c, const std::string& v) {
                   if (v.empty()) {
                     c.http_redirect_host.clear();
                     c.http_redirect_port = 0;
                     return;
                   }
                   std::tie(c.http_redirect_host, c.http_redirect_port) = ParseListen(v);
                   if (c.http_redirect_port == 0) Invalid("the redirect listener needs a fixed port");
                 },
                 [](const Config& c) {
                   return c.http_redirect_port ? FormatListen(c.http_redirect_host, c.http_redirect_port) : "";
                 }});
    d.push_back(Number("hsts_max_age_seconds", "Strict-Transport-Security max-age on HTTPS (0 = no header)",
                       &Config::hsts_max_age_seconds, 0, 2 * 31536000));
    d.push_back(Number("io_threads", "threads running network IO (0 = one per core)", &Config::io_threads, 0, 256));
    d.push_back(Number("worker_threads", "threads for blocking work: database, files (0 = auto)",
                       &Config::worker_threads, 0, 1024));
    d.push_back(Number("job_workers", "background jobs run at once by this process", &Config::job_workers, 0, 256));
    d.push_back(Number("max_header_bytes", "largest request head accepted", &Config::max_header_bytes, 1024,
                       1024 * 1024));
    d.push_back(Number("max_body_bytes", "largest request body accepted by ordinary endpoints", &Config::max_body_bytes,
                       1024, 1024ull * 1024 * 1024));
    d.push_back(Number("header_timeout_seconds", "time a client has to send a request head",
                       &Config::header_timeout_seconds, 1, 3600));
    d.push_back(Number("idle_timeout_seconds", "how long an idle keep-alive connection stays open",
                       &Config::idle_timeout_seconds, 1, 3600));
    d.push_back(Number("body_timeout_seconds", "time a client has to send an ordinary request body",
                       &Config::body_timeout_seconds, 1, 3600));
    d.push_back(Number("shutdown_timeout_seconds", "time in-flight requests get to finish on SIGTERM",
                       &Config::shutdown_timeout_seconds, 0, 3600));
    d.push_back(Number("max_requests_per_connection", "requests served on one connection before it is closed",
                       &Config::max_requests_per_connection, 1, kMaxInt));
    d.push_back(Number("max_connections", "open connections accepted at once", &Config::max_connections, 1, 1000000));
    d.push_back(Text("log_level", "trace, debug, info, warn, error or off", &Config::log_level, [](const std::string& v) {
      for (auto level : {"trace", "debug", "info", "warn", "error", "off"})
        if (v == level) return;
      Invalid("'" + v + "' is not one of trace, debug, info, warn, error, off");
    }));
    d.push_back(Bool("signup_open", "whether anyone may create an account from the sign-up page", &Config::signup_open));
    d.push_back(Text("signup_role", "role of accounts made by sign-up: creator or viewer", &Config::signup_role,
                     [](const std::string& v) {
                       if (v != "creator" && v != "viewer") Invalid("'" + v + "' is not creator or viewer");
                     }));
    d.push_back(Number("session_ttl_days", "days an unused log-in session stays valid", &Config::session_ttl_days, 1,
                       3650));
    d.push_back(Number("login_max_failures", "failed log-ins allowed per account per minute",
                       &Config::login_max_failures, 1, 1000000));
    d.push_back(Number("login_max_failures_per_address", "failed log-ins allowed per client address per minute",
                       &Config::login_max_failures_per_address, 1, 1000000));
    d.push_back(Number("signup_max_per_address", "sign-ups allowed per client address per hour",
                       &Config::signup_max_per_address, 1, 1000000));
    d.push_back(Number("reset_max_per_address", "password-reset requests allowed per client address per hour",
                       &Config::reset_max_per_address, 1, 1000000));
    d.push_back(Text("trusted_proxies",
                     "comma-separated IPs/CIDR blocks of load balancers whose X-Forwarded-For is believed",
                     &Config::trusted_proxies));
    d.push_back(Text("admin_username", "with admin_email and admin_password: the admin made on start if none exists",
                     &Config::admin_username));
    d.push_back(Text("admin_email", "e-mail address of that first admin", &Config::admin_email));
    d.push_back(Text("admin_password", "password of that first admin", &Config::admin_password, nullptr, true));
    d.push_back(Number("max_upload_bytes", "largest video file accepted for upload", &Config::max_upload_bytes, 1,
                       std::uint64_t{1} << 50));
    d.push_back(Number("user_quota_bytes", "storage each user may fill with videos (0 = unlimited)",
                       &Config::user_quota_bytes, 0, std::uint64_t{1} << 60));
    d.push_back(Number("max_video_duration_seconds", "longest video accepted", &Config::max_video_duration_seconds, 1,
                       7 * 24 * 3600));
    d.push_back(Number("transcode_workers", "videos transcoded at once by this process (0 = cores - 1, at least 1)",
                       &Config::transcode_workers, 0, 256));
    d.push_back(Number("job_lease_seconds", "how long a job stays claimed by a worker that stopped answering",
                       &Config::job_lease_seconds, 3, 3600));
    d.push_back(Number("upload_expiry_hours", "hours after which an unfinished resumable upload is removed",
                       &Config::upload_expiry_hours, 1, 24 * 365));
    d.push_back(Number("failed_original_retention_days",
                       "days the original of a video whose processing failed is kept for an admin's retry",
                       &Config::failed_original_retention_days, 1, 3650));
    d.push_back(Text("media_delivery", "proxy (the server streams media) or redirect (to presigned S3 URLs)",
                     &Config::media_delivery, [](const std::string& v) {
                       if (v != "proxy" && v != "redirect") throw std::invalid_argument("must be proxy or redirect");
                     }));
    d.push_back(Number("media_url_ttl_seconds", "validity of signed media URLs of unlisted and private videos",
                       &Config::media_url_ttl_seconds, 60, 7 * 24 * 3600));
    d.push_back(Number("analytics_retention_days", "days raw view events are kept (they are rolled up first)",
                       &Config::analytics_retention_days, 1, 100 * 365));
    d.push_back(Number("analytics_rollup_interval_seconds",
                       "how often the analytics roll-up runs (0 = only by `monotube analytics rollup`)",
                       &Config::analytics_rollup_interval_seconds, 0, 24 * 3600));
    for (auto& def : d) {
      def.info.env = "MONOTUBE_";
      for (char ch : def.info.key) def.info.env += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      def.info.flag = "--";
      for (char ch : def.info.key) def.info.flag += ch == '_' ? '-' : ch;
    }
    return d;
  }();
  return defs;
}

const SettingDef* FindSetting(std::string_view key) {
  for (const auto& def : Definitions())
    if (def.info.key == key) return &def;
  return nullptr;
}

void Apply(Config& config, const SettingDef& def, const std::string& value, const std::string& source) {
  try {
    def.set(config, value);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(def.info.key + " (from " + source + "): " + e.what());
  }
}

std::string TomlValueToString(const toml::node& node, const std::string& key) {
  if (auto s = node.value<std::string>(); s && node.is_string()) return *s;
  if (node.is_integer()) {
    auto v = *node.value<std::int64_t>();
    if (v < 0) throw ConfigError(key + " (from the config file): must not be negative");
    return std::to_string(v);
  }
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  throw ConfigError(key + " (from the config file): must be a string or a number");
}

void LoadFile(Config& config, const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw ConfigError("config file '" + file.string() + "' does not exist or is not a file");
  toml::table table;
  try {
    table = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << e.source().begin;
    throw ConfigError("config file '" + file.string() + "' is not valid TOML (" + std::string(e.description()) +
                      " at " + where.str() + ")");
  }
  for (const auto& [key, node] : table) {
    std::string name(key.str());
    const SettingDef* def = FindSetting(name);
    if (!def) throw ConfigError("config file '" + file.string() + "': unknown setting '" + name + "'");
    Apply(config, *def, TomlValueToString(node, name), "config file " + file.string());
  }
  config.config_file = file;
}

std::filesystem::path ResolveStaticDir(const ConfigSources& sources) {
  std::vector<std::filesystem::path> candidates = {"static"};
  if (!sources.executable_dir.empty()) {
    candidates.push_back(sources.executable_dir / "static");
    candidates.push_back(sources.executable_dir / ".." / "share" / "monotube" / "static");
  }
#ifdef MONOTUBE_SOURCE_STATIC_DIR
  candidates.push_back(MONOTUBE_SOURCE_STATIC_DIR);
#endif
  for (const auto& candidate : candidates) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate / "index.html", ec))
      return std::filesystem::weakly_canonical(candidate, ec);
  }
  return {};
}

void Validate(Config& config, const ConfigSources& sources) {
  if (config.tls_cert.empty() != config.tls_key.empty())
    throw ConfigError("tls_cert and tls_key: set both to serve HTTPS, or neither");
  for (const auto* file : {&config.tls_cert, &config.tls_key}) {
    if (file->empty()) continue;
    std::ifstream probe(*file);
    if (!probe)
      throw ConfigError(std::string(file == &config.tls_cert ? "tls_cert" : "tls_key") + ": cannot read '" + *file +
                        "'");
  }
  if (config.http_redirect_port != 0 && config.tls_cert.empty())
    throw ConfigError("http_redirect_listen: only makes sense with HTTPS (set tls_cert and tls_key)");
  if (config.static_dir.empty()) {
    config.static_dir = ResolveStaticDir(sources);
    if (config.static_dir.empty())
      throw ConfigError("static_dir: no web UI folder found (looked for ./static, next to the binary and in "
                        "../share/monotube/static); set MONOTUBE_STATIC_DIR");
  } else {
    std::error_code ec;
    if (!std::filesystem::is_directory(config.static_dir, ec))
      throw ConfigError("static_dir: '" + config.static_dir.string() + "' is not a folder");
  }
  int admin_fields = !config.admin_username.empty() + !config.admin_email.empty() + !config.admin_password.empty();
  if (admin_fields != 0 && admin_fields != 3)
    throw ConfigError("admin_username, admin_email and admin_password: set all three to create the first admin, or none");
  if (config.io_threads == 0) config.io_threads = std::max(1u, std::thread::hardware_concurrency());
  if (config.worker_threads == 0) config.worker_threads = std::max(4u, 2 * std::thread::hardware_concurrency());
  if (config.transcode_workers == 0)
    config.transcode_workers = std::max(1u, std::thread::hardware_concurrency() - 1);
}

}  // namespace

const std::vector<SettingInfo>& Settings() {
  static const std::vector<SettingInfo> infos = [] {
    std::vector<SettingInfo> out;
    for (const auto& def : Definitions()) out.push_back(def.info);
    return out;
  }();
  return infos;
}

std::map<std::string, std::string> ReadEnvironment() {
  std::map<std::string, std::string> out;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    if (!text.starts_with("MONOTUBE_")) continue;
    auto eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  return out;
}

Config LoadConfig(const ConfigSources& sources) {
  Config config;
  std::filesystem::path file = sources.config_file;
  if (file.empty()) {
    if (auto it = sources.environment.find("MONOTUBE_CONFIG"); it != sources.environment.end() && !it->second.empty())
      file = it->second;
  }
  if (!file.empty()) LoadFile(config, file);

  for (const auto& [name, value] : sources.environment) {
    if (name == "MONOTUBE_CONFIG" || name.starts_with("MONOTUBE_TEST_")) continue;
    const SettingDef* match = nullptr;
    for (const auto& def : Definitions())
      if (def.info.env == name) match = &def;
    if (!match) {
      spdlog::warn("ignoring unknown environment variable {} (see `monotube help` for the settings)", name);
      continue;
    }
    Apply(config, *match, value, "environment " + name);
  }
  for (const auto& [key, value] : sources.flags) {
    const SettingDef* def = FindSetting(key);
    if (!def) throw ConfigError("unknown setting '" + key + "'");
    Apply(config, *def, value, "flag " + def->info.flag);
  }
  Validate(config, sources);
  return config;
}

std::string DescribeConfig(const Config& config) {
  std::string out;
  for (const auto& def : Definitions()) {
    std::string value = def.get(config);
    if (def.info.secret && !value.empty()) value = "(set)";
    out += def.info.key + " = " + value + "\n";
  }
  return out;
}

}  // namespace monotube
