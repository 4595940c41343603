#pragma once
// The assembled application: every component built explicitly, in dependency order,
// and stopped in reverse. `monotube serve` is App::Run; integration tests build an App
// in-process on port 0.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "monotube/clock.hpp"
#include "monotube/config.hpp"
#include "monotube/db/database.hpp"
#include "monotube/http/router.hpp"
#include "monotube/http/server.hpp"
#include "monotube/http/static_files.hpp"
#include "monotube/jobs/job_queue.hpp"
#include "monotube/jobs/job_runner.hpp"
#include "monotube/mail_outbox.hpp"
#include "monotube/metrics.hpp"
#include "monotube/periodic.hpp"
#include "monotube/rate_limit.hpp"
#include "monotube/site_settings.hpp"
#include "monotube/storage/storage.hpp"
#include "monotube/worker_pool.hpp"
#include "modules/admin/admin_module.hpp"
#include "modules/analytics/analytics.hpp"
#include "modules/auth/auth.hpp"
#include "modules/interactions/interactions_module.hpp"
#include "modules/search/search.hpp"
#include "modules/videos/videos_module.hpp"

namespace monotube::app {

// The database a configuration names (SQLite in data_dir, created with its folder, or
// PostgreSQL), not yet migrated. For App and for one-shot commands (pool_size 1).
std::unique_ptr<db::Database> OpenDatabase(const Config& config, std::size_t pool_size);

// The analytics settings of a configuration (the server's and `monotube analytics rollup`'s).
analytics::AnalyticsOptions AnalyticsOptionsFrom(const Config& config);

// This replica's search index folder: search_dir, or data_dir/search.
std::filesystem::path SearchDir(const Config& config);

struct AppOptions {
  const Clock* clock = nullptr;          // null = the system clock
  bool handle_signals = true;            // SIGTERM/SIGINT start a graceful shutdown
  // Lets tests add routes (e.g. a slow one) before the server starts.
  std::function<void(http::Router&, class App&)> extra_routes;
  // Replaces e-mail delivery (tests); null = SMTP per smtp_url, or the log.
  auth::SendMail send_mail;
};

class App {
 public:
  // Opens the database (and migrates it) and the storage; throws ConfigError,
  // Unavailable or std::runtime_error with a message for the operator.
  App(Config config, AppOptions options = {});
  ~App();

  // Binds and starts the IO threads and job workers; returns at once.
  void Start();
  // Blocks until Shutdown() has finished (after a signal or a call from anywhere).
  void Wait();
  // Graceful: readiness turns 503, stop accepting, in-flight requests finish within
  // shutdown_timeout, job workers stop, threads join. Safe to call more than once.
  void Shutdown();

  // Registers a page of the web UI: GET/HEAD of pattern (router syntax, e.g.
  // "/watch/{video_id}") answers the UI shell, whose script renders the page. Modules
  // call it for each page they add; paths that are no page answer 404.
  void AddPage(std::string_view pattern);

  std::uint16_t port() const;
  std::uint16_t redirect_port() const;
  bool shutting_down() const noexcept { return shutting_down_; }

  const Config& config() const noexcept { return config_; }
  const Clock& clock() const noexcept { return *clock_; }
  db::Database& database() noexcept { return *database_; }
  storage::ObjectStorage& storage() noexcept { return *storage_; }
  jobs::JobQueue& job_queue() noexcept { return *job_queue_; }
  jobs::JobRunner& job_runner() noexcept { return *job_runner_; }
  Metrics& metrics() noexcept { return metrics_; }
  WorkerPool& workers() noexcept { return *workers_; }
  RateLimiter& rate_limiter() noexcept { return *rate_limiter_; }
  SiteSettings& site_settings() noexcept { return *site_settings_; }
  auth::AuthModule& auth() noexcept { return *auth_; }
  videos::VideosModule& videos() noexcept { return *videos_; }
  interactions::InteractionsModule& interactions() noexcept { return *interactions_; }
  admin::AdminModule& admin() noexcept { return *admin_; }
  jobs::JobRunner& transcode_runner() noexcept { return *transcode_runner_; }
  search::SearchModule& search() noexcept { return *search_; }
  analytics::AnalyticsModule& analytics() noexcept { return *analytics_; }

 private:
  void RegisterRoutes();
  void BuildModules();

  Config config_;
  AppOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;
  Metrics metrics_;
  std::unique_ptr<db::Database> database_;
  std::unique_ptr<storage::ObjectStorage> storage_;
  std::unique_ptr<jobs::JobQueue> job_queue_;
  std::unique_ptr<jobs::JobRunner> job_runner_;
  std::unique_ptr<jobs::JobRunner> transcode_runner_;  // the transcoding pool
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<RateLimiter> rate_limiter_;
  std::unique_ptr<MailOutbox> mail_outbox_;
  std::unique_ptr<SiteSettings> site_settings_;
  std::unique_ptr<auth::AuthModule> auth_;
  std::unique_ptr<videos::VideosModule> videos_;
  std::unique_ptr<interactions::InteractionsModule> interactions_;
  std::unique_ptr<admin::AdminModule> admin_;
  std::unique_ptr<search::SearchModule> search_;
  std::unique_ptr<analytics::AnalyticsModule> analytics_;
  PeriodicTasks periodic_;
  boost::asio::io_context io_;
  http::Router router_;
  std::unique_ptr<http::StaticFiles> static_files_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<boost::asio::signal_set> signals_;
  std::vector<std::thread> io_threads_;

  std::atomic<bool> shutting_down_{false};
  std::mutex stopped_mutex_;
  std::condition_variable stopped_cv_;
  bool stopped_ = false;
  bool started_ = false;
};

}  // namespace monotube::app
