#include "support/test_app.hpp"

#include "monotube/log.hpp"

namespace monotube::test {

std::filesystem::path SourceStaticDir() { return std::filesystem::path(MONOTUBE_SOURCE_DIR) / "static"; }

namespace {

std::unique_ptr<app::App> StartApp(const Config& config, const TestAppOptions& options) {
  app::AppOptions app_options;
  app_options.handle_signals = false;
  app_options.extra_routes = options.extra_routes;
  app_options.clock = options.clock;
  app_options.send_mail = options.send_mail;
  auto app = std::make_unique<app::App>(config, std::move(app_options));
  app->Start();
  return app;
}

}  // namespace

TestApp::TestApp(TestAppOptions options) : options_(std::move(options)) {
  static const bool logging = [] {
    log::Init("warn");
    return true;
  }();
  (void)logging;
  Config config;
  config.listen_host = "127.0.0.1";
  config.listen_port = 0;
  config.data_dir = data_dir_.path();
  config.static_dir = SourceStaticDir();
  config.database_url = database_.url();
  config.io_threads = 2;
  config.worker_threads = 4;
  config.job_workers = 0;
  config.transcode_workers = 1;  // videos become ready (FFmpeg runs one at a time)
  // Tests make many accounts from 127.0.0.1; the rate-limit tests set their own limits.
  config.signup_max_per_address = 100000;
  config.reset_max_per_address = 100000;
  config.login_max_failures_per_address = 100000;
  if (options_.configure) options_.configure(config);
  config_ = config;
  app_ = StartApp(config_, options_);
}

std::unique_ptr<app::App> TestApp::StartReplica() { return StartApp(config_, options_); }

TestApp::~TestApp() {
  app_->Shutdown();
  app_.reset();
}

}  // namespace monotube::test
