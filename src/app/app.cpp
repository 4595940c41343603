#include "src/app/app.hpp"

#include <future>

#include <spdlog/spdlog.h>

#include "monotube/db/migrations.hpp"
#include "monotube/errors.hpp"
#include "src/app/ops_routes.hpp"

namespace monotube::app {
namespace {

http::ServerOptions ServerOptionsFrom(const Config& config) {
  http::ServerOptions options;
  options.host = config.listen_host;
  options.port = config.listen_port;
  options.tls_cert_file = config.tls_cert;
  options.tls_key_file = config.tls_key;
  options.redirect_enabled = config.http_redirect_port != 0;
  options.redirect_host = config.http_redirect_host;
  options.redirect_port = config.http_redirect_port;
  options.public_url = config.public_url;
  options.hsts_max_age_seconds = config.hsts_max_age_seconds;
  options.max_header_bytes = config.max_header_bytes;
  options.max_body_bytes = config.max_body_bytes;
  options.header_timeout = std::chrono::seconds(config.header_timeout_seconds);
  options.idle_timeout = std::chrono::seconds(config.idle_timeout_seconds);
  options.body_timeout = std::chrono::seconds(config.body_timeout_seconds);
  options.shutdown_timeout = std::chrono::seconds(config.shutdown_timeout_seconds);
  options.max_requests_per_connection = config.max_requests_per_connection;
  options.max_connections = config.max_connections;
  try {
    options.trusted_proxies = http::TrustedProxies::Parse(config.trusted_proxies);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("trusted_proxies: ") + e.what());
  }
  return options;
}

// "https://video.example.org" of "https://video.example.org/base/"; "" when unset.
std::string OriginOf(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return "";
  auto path = url.find('/', scheme_end + 3);
  return url.substr(0, path);
}

// Links in e-mails need an absolute base: public_url, else this server's own address.
std::string LinkBase(const Config& config) {
  std::string base = config.public_url;
  if (base.empty()) {
    bool tls = !config.tls_cert.empty();
    std::string host = config.listen_host == "0.0.0.0" || config.listen_host == "::" ? "localhost" : config.listen_host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    base = std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(config.listen_port);
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

auth::AuthModuleOptions AuthOptionsFrom(const Config& config) {
  auth::AuthModuleOptions options;
  auto& accounts = options.accounts;
  accounts.session_ttl = std::chrono::hours(24 * config.session_ttl_days);
  accounts.login_per_account.limit = static_cast<int>(config.login_max_failures);
  accounts.login_per_address.limit = static_cast<int>(config.login_max_failures_per_address);
  accounts.signup_per_address.limit = static_cast<int>(config.signup_max_per_address);
  accounts.reset_per_address.limit = static_cast<int>(config.reset_max_per_address);
  accounts.public_url = LinkBase(config);
  accounts.temp_dir = config.data_dir / "tmp";
  options.cookies_secure = config.public_url.starts_with("https://");
  options.public_origin = OriginOf(config.public_url);
  return options;
}

}  // namespace

analytics::AnalyticsOptions AnalyticsOptionsFrom(const Config& config) {
  analytics::AnalyticsOptions options;
  options.rollup.retention_days = config.analytics_retention_days;
  return options;
}

std::filesystem::path SearchDir(const Config& config) {
  return config.search_dir.empty() ? config.data_dir / "search" : config.search_dir;
}

std::unique_ptr<db::Database> OpenDatabase(const Config& config, std::size_t pool_size) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) throw ConfigError("data_dir: cannot create '" + config.data_dir.string() + "': " + ec.message());
  db::DatabaseOptions options;
  options.url = config.database_url;
  options.sqlite_path = config.data_dir / "monotube.db";
  options.pool_size = pool_size;
  return std::make_unique<db::Database>(options);
}

App::App(Config config, AppOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &system_clock_),
      io_(static_cast<int>(config_.io_threads)) {
  database_ = OpenDatabase(config_, config_.database_pool_size);
  auto migrated = db::Migrate(*database_, *clock_);
  spdlog::info("database {} at schema version {}{}", database_->Describe(), migrated.to_version,
               migrated.applied ? fmt::format(" ({} migration(s) applied)", migrated.applied) : "");

  storage_ = storage::OpenStorage(
      {config_.storage_url, config_.data_dir, config_.s3_access_key, config_.s3_secret_key});
  spdlog::info("object storage: {}", storage_->Describe());

  job_queue_ = std::make_unique<jobs::JobQueue>(*database_, *clock_);
  jobs::JobRunnerOptions runner_options;
  runner_options.concurrency = config_.job_workers;
  runner_options.lease = std::chrono::seconds(config_.job_lease_seconds);
  job_runner_ = std::make_unique<jobs::JobRunner>(*job_queue_, runner_options);
  // FFmpeg runs on a pool of its own, so a long transcode never delays other jobs.
  jobs::JobRunnerOptions transcode_options;
  transcode_options.concurrency = config_.transcode_workers;
  transcode_options.lease = std::chrono::seconds(config_.job_lease_seconds);
  transcode_options.types = {std::string(videos::kTranscodeJob)};
  transcode_runner_ = std::make_unique<jobs::JobRunner>(*job_queue_, transcode_options);

  workers_ = std::make_unique<WorkerPool>(config_.worker_threads, /*max_queued=*/4096);
  static_files_ = std::make_unique<http::StaticFiles>(config_.static_dir);
  BuildModules();
  RegisterRoutes();
  auto server_options = ServerOptionsFrom(config_);
  if (config_.media_delivery == "redirect") {
    // Players follow redirects to presigned storage URLs: the page must be allowed to load them.
    if (auto sample = storage_->PresignedGetUrl("videos/probe", std::chrono::seconds(60)))
      server_options.media_origin = OriginOf(*sample);
    else
      spdlog::warn("media_delivery = redirect, but {} has no presigned URLs: media is proxied", storage_->Describe());
  }
  server_ = std::make_unique<http::Server>(io_, std::move(server_options), router_, *workers_, metrics_);
}

App::~App() {
  Shutdown();
  Wait();
}

void App::BuildModules() {
  rate_limiter_ = std::make_unique<RateLimiter>(*database_, *clock_);
  auth::SendMail send_mail = options_.send_mail;
  if (!send_mail) {
    mail_outbox_ = std::make_unique<MailOutbox>(MakeMailer(config_));
    if (config_.smtp_url.empty())
      spdlog::info("smtp_url is not set: e-mails, password-reset links included, are written to this log");
    send_mail = [outbox = mail_outbox_.get()](const std::string& to, const std::string& subject,
                                              const std::string& text) { outbox->Post({to, subject, text}); };
  }
  // Below auth and videos, which read it; the admin module changes it.
  SiteSettingValues site_defaults;
  site_defaults.signup_open = config_.signup_open;
  site_defaults.default_role = config_.signup_role;
  site_defaults.max_upload_bytes = config_.max_upload_bytes;
  site_defaults.user_quota_bytes = config_.user_quota_bytes;
  site_settings_ = std::make_unique<SiteSettings>(*database_, *clock_, site_defaults);
  // A change on another replica shows here within this interval (its own, at once).
  periodic_.Add("refresh site settings", std::chrono::seconds(2), [this] { site_settings_->Refresh(); });

  auth_ = std::make_unique<auth::AuthModule>(*database_, *clock_, *storage_, *rate_limiter_, *site_settings_,
                                             std::move(send_mail), AuthOptionsFrom(config_));
  if (!config_.admin_username.empty()) {
    try {
      auth_->accounts().EnsureFirstAdmin(config_.admin_username, config_.admin_email, config_.admin_password);
    } catch (const Error& e) {
      throw ConfigError("admin_username/admin_email/admin_password: cannot create the first admin: " +
                        std::string(e.what()));
    }
  }
  periodic_.Add("prune expired sessions and limits", std::chrono::minutes(10),
                [this] { auth_->accounts().PruneExpired(); });

  videos::VideosOptions video_options;
  video_options.max_upload_bytes = config_.max_upload_bytes;
  video_options.max_duration_seconds = static_cast<double>(config_.max_video_duration_seconds);
  video_options.upload_expiry = std::chrono::hours(config_.upload_expiry_hours);
  video_options.failed_original_retention = std::chrono::hours(24 * config_.failed_original_retention_days);
  video_options.redirect_media = config_.media_delivery == "redirect";
  video_options.media_url_ttl = std::chrono::seconds(config_.media_url_ttl_seconds);
  video_options.work_dir = config_.data_dir / "tmp" / "transcode";
  videos_ = std::make_unique<videos::VideosModule>(*database_, *clock_, *storage_, *job_queue_, *auth_,
                                                   *site_settings_, std::move(video_options));
  videos_->RegisterJobs(*transcode_runner_, *job_runner_);
  periodic_.Add("remove abandoned uploads", std::chrono::minutes(1), [this] { videos_->PruneExpiredUploads(); });
  periodic_.Add("remove originals of long-failed videos", std::chrono::hours(1),
                [this] { videos_->PurgeFailedOriginals(); });

  interactions_ = std::make_unique<interactions::InteractionsModule>(*database_, *clock_, *rate_limiter_, *auth_,
                                                                     *videos_, interactions::InteractionsOptions{});
  admin_ = std::make_unique<admin::AdminModule>(*database_, *clock_, *auth_, *videos_, *interactions_, *job_queue_,
                                                *site_settings_);
  search::SearchOptions search_options;
  search_options.dir = SearchDir(config_);
  search_ = std::make_unique<search::SearchModule>(*database_, *clock_, *videos_, *auth_, std::move(search_options));
  analytics_ = std::make_unique<analytics::AnalyticsModule>(*database_, *clock_, *auth_, *videos_, *interactions_,
                                                            AnalyticsOptionsFrom(config_));
  if (config_.analytics_rollup_interval_seconds > 0)
    periodic_.Add("analytics roll-up", std::chrono::seconds(config_.analytics_rollup_interval_seconds),
                  [this] { analytics_->rollup().Run(); });
}

void App::RegisterRoutes() {
  RegisterOpsRoutes(router_, *this);
  auth_->RegisterRoutes(router_, [this](std::string_view pattern) { AddPage(pattern); });
  videos_->RegisterRoutes(router_, [this](std::string_view pattern) { AddPage(pattern); });
  interactions_->RegisterRoutes(router_, [this](std::string_view pattern) { AddPage(pattern); });
  admin_->RegisterRoutes(router_, [this](std::string_view pattern) { AddPage(pattern); });
  search_->RegisterRoutes(router_, [this](std::string_view pattern) { AddPage(pattern); });
  analytics_->RegisterRoutes(router_, [this](std::string_view pattern) { AddPage(pattern); });
  if (options_.extra_routes) options_.extra_routes(router_, *this);
  router_.SetFallback([files = static_files_.get()](http::RequestContext& context) { return files->Serve(context); });
}

void App::AddPage(std::string_view pattern) {
  router_.Get(std::string(pattern),
              [files = static_files_.get()](http::RequestContext& context) { return files->ServeShell(context); });
}

void App::Start() {
  server_->Start();
  if (options_.handle_signals) {
    signals_ = std::make_unique<boost::asio::signal_set>(io_, SIGINT, SIGTERM);
    signals_->async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      spdlog::info("received {}, shutting down gracefully", signal == SIGINT ? "SIGINT" : "SIGTERM");
      std::thread([this] { Shutdown(); }).detach();
    });
  }
  if (config_.job_workers > 0) job_runner_->Start();
  if (config_.transcode_workers > 0) transcode_runner_->Start();
  periodic_.Start();
  search_->Start();
  for (unsigned i = 0; i < config_.io_threads; ++i) io_threads_.emplace_back([this] { io_.run(); });
  started_ = true;
  spdlog::info("monotube {} ready: {} IO thread(s), {} worker thread(s), {} job worker(s), {} transcoder(s)",
               MONOTUBE_VERSION, config_.io_threads, workers_->threads(), config_.job_workers,
               config_.transcode_workers);
}

void App::Shutdown() {
  if (shutting_down_.exchange(true)) return;
  if (!started_) {
    std::lock_guard lock(stopped_mutex_);
    stopped_ = true;
    stopped_cv_.notify_all();
    return;
  }
  // 1. HTTP: stop accepting, let in-flight requests finish.
  std::promise<void> drained;
  auto drained_future = drained.get_future();
  server_->Shutdown([&drained] { drained.set_value(); });
  // A handler stuck in blocking work cannot be interrupted; don't wait for it forever.
  auto deadline = std::chrono::seconds(config_.shutdown_timeout_seconds) + std::chrono::seconds(5);
  if (drained_future.wait_for(deadline) != std::future_status::ready)
    spdlog::warn("some connections did not close in time; stopping anyway");
  // 2. Background jobs: stop claiming, let running handlers see cancellation.
  job_runner_->Stop();
  transcode_runner_->Stop();
  periodic_.Stop();
  search_->Stop();
  if (mail_outbox_) mail_outbox_->Stop();
  // 3. IO threads and the worker pool.
  if (signals_) {
    boost::system::error_code ignored;
    signals_->cancel(ignored);
  }
  io_.stop();
  for (auto& thread : io_threads_)
    if (thread.joinable() && thread.get_id() != std::this_thread::get_id()) thread.join();
  workers_->Stop();
  spdlog::info("shutdown complete");
  std::lock_guard lock(stopped_mutex_);
  stopped_ = true;
  stopped_cv_.notify_all();
}

void App::Wait() {
  std::unique_lock lock(stopped_mutex_);
  stopped_cv_.wait(lock, [this] { return stopped_; });
}

std::uint16_t App::port() const { return server_->port(); }
std::uint16_t App::redirect_port() const { return server_->redirect_port(); }

}  // namespace monotube::app
