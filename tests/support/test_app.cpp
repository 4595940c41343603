#include "support/test_app.hpp"

#include "monotube/log.hpp"

namespace monotube::test {

std::filesystem::path SourceStaticDir() { return std::filesystem::path(MONOTUBE_SOURCE_DIR) / "static"; }

TestApp::TestApp(TestAppOptions options) {
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
  if (options.configure) options.configure(config);
  app::AppOptions app_options;
  app_options.handle_signals = false;
  app_options.extra_routes = std::move(options.extra_routes);
  app_ = std::make_unique<app::App>(std::move(config), std::move(app_options));
  app_->Start();
}

TestApp::~TestApp() {
  app_->Shutdown();
  app_.reset();
}

}  // namespace monotube::test
