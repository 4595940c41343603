#pragma once
// The real application, in-process, on 127.0.0.1 and a free port, over a fresh test
// database (SQLite or PostgreSQL, per MONOTUBE_TEST_DB) and a temporary data folder.
#include <functional>
#include <memory>

#include "src/app/app.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace monotube::test {

struct TestAppOptions {
  std::function<void(Config&)> configure;  // adjust settings before start
  std::function<void(http::Router&, app::App&)> extra_routes;
  const Clock* clock = nullptr;            // null = the system clock
  auth::SendMail send_mail;                // null = mails go to the log (or smtp_url)
};

// Options that only adjust settings (avoids designated initialisers, which warn under
// -Wmissing-field-initializers when a field is left out).
inline TestAppOptions Configured(std::function<void(Config&)> configure) {
  TestAppOptions options;
  options.configure = std::move(configure);
  return options;
}

class TestApp {
 public:
  explicit TestApp(TestAppOptions options = {});
  ~TestApp();

  app::App& app() { return *app_; }
  const Config& config() const { return config_; }
  // Another server on the same database and data folder (a second replica), started.
  std::unique_ptr<app::App> StartReplica();
  // The same, with some settings of its own (e.g. a restart with a changed config file).
  std::unique_ptr<app::App> StartReplica(const std::function<void(Config&)>& adjust);
  std::uint16_t port() const { return app_->port(); }
  const std::filesystem::path& data_dir() const { return data_dir_.path(); }

  HttpResult Get(const std::string& target, const Headers& headers = {}) {
    return HttpRequest(port(), "GET", target, "", headers);
  }
  HttpResult Send(const std::string& method, const std::string& target, const std::string& body = "",
                  const Headers& headers = {}) {
    return HttpRequest(port(), method, target, body, headers);
  }

 private:
  TempDir data_dir_;
  TestDatabase database_;
  Config config_;
  TestAppOptions options_;
  std::unique_ptr<app::App> app_;
};

// The web UI folder of the source tree.
std::filesystem::path SourceStaticDir();

}  // namespace monotube::test
