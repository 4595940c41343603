#include "support/test_app.hpp"

#include <cstdlib>
#include <stdexcept>

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
  // MONOTUBE_TEST_STORAGE=s3: the S3-compatible server scripts/test.sh starts (s3rver).
  if (const char* storage = std::getenv("MONOTUBE_TEST_STORAGE"); storage && std::string(storage) == "s3") {
    const char* url = std::getenv("MONOTUBE_TEST_S3_URL");
    if (!url || !*url) throw std::runtime_error("MONOTUBE_TEST_STORAGE=s3 needs MONOTUBE_TEST_S3_URL (scripts/test.sh sets it)");
    config.storage_url = url;
    const char* key = std::getenv("MONOTUBE_TEST_S3_ACCESS_KEY");
    const char* secret = std::getenv("MONOTUBE_TEST_S3_SECRET_KEY");
    config.s3_access_key = key ? key : "";
    config.s3_secret_key = secret ? secret : "";
  }
  if (options_.configure) options_.configure(config);
  config_ = config;
  app_ = StartApp(config_, options_);
}

std::unique_ptr<app::App> TestApp::StartReplica() { return StartApp(config_, options_); }

std::unique_ptr<app::App> TestApp::StartReplica(const std::function<void(Config&)>& adjust) {
  Config config = config_;
  adjust(config);
  return StartApp(config, options_);
}

TestApp::~TestApp() {
  app_->Shutdown();
  app_.reset();
}

}  // namespace monotube::test
