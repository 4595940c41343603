#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "monotube/config.hpp"
#include "monotube/errors.hpp"
#include "support/temp_dir.hpp"

using monotube::Config;
using monotube::ConfigError;
using monotube::ConfigSources;
using monotube::LoadConfig;

namespace {

ConfigSources Base() {
  ConfigSources sources;
  sources.flags["static_dir"] = MONOTUBE_SOURCE_DIR "/static";
  return sources;
}

std::string ErrorOf(const ConfigSources& sources) {
  try {
    LoadConfig(sources);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("Config defaults run with nothing set", "[config]") {
  Config config = LoadConfig(Base());
  REQUIRE(config.listen_host == "0.0.0.0");
  REQUIRE(config.listen_port == 8080);
  REQUIRE(config.data_dir == "data");
  REQUIRE(config.database_url.empty());
  REQUIRE(config.io_threads >= 1);
  REQUIRE(config.worker_threads >= 4);
}

TEST_CASE("Config precedence: defaults, file, environment, flags", "[config]") {
  monotube::test::TempDir dir;
  auto file = dir.path() / "monotube.toml";
  std::ofstream(file) << "listen = \"127.0.0.1:9000\"\nmax_body_bytes = 2048\nlog_level = \"debug\"\n"
                         "data_dir = \"/srv/file\"\n";
  ConfigSources sources = Base();
  sources.config_file = file;
  Config from_file = LoadConfig(sources);
  REQUIRE(from_file.listen_port == 9000);
  REQUIRE(from_file.max_body_bytes == 2048);
  REQUIRE(from_file.data_dir == "/srv/file");

  sources.environment["MONOTUBE_LISTEN"] = "127.0.0.1:9100";
  sources.environment["MONOTUBE_DATA_DIR"] = "/srv/env";
  Config from_env = LoadConfig(sources);
  REQUIRE(from_env.listen_port == 9100);
  REQUIRE(from_env.max_body_bytes == 2048);  // still from the file
  REQUIRE(from_env.data_dir == "/srv/env");

  sources.flags["listen"] = "127.0.0.1:9200";
  Config from_flags = LoadConfig(sources);
  REQUIRE(from_flags.listen_port == 9200);
  REQUIRE(from_flags.data_dir == "/srv/env");
  REQUIRE(from_flags.log_level == "debug");

  // MONOTUBE_CONFIG names the file when no --config is given.
  ConfigSources via_env = Base();
  via_env.environment["MONOTUBE_CONFIG"] = file.string();
  REQUIRE(LoadConfig(via_env).listen_port == 9000);
}

TEST_CASE("Config refuses wrong values and names the setting", "[config]") {
  auto with_env = [](std::string name, std::string value) {
    ConfigSources sources = Base();
    sources.environment[name] = value;
    return ErrorOf(sources);
  };
  CHECK_THAT(with_env("MONOTUBE_LISTEN", "8080"), Catch::Contains("listen") && Catch::Contains("MONOTUBE_LISTEN"));
  CHECK_THAT(with_env("MONOTUBE_LISTEN", "0.0.0.0:99999"), Catch::Contains("listen"));
  CHECK_THAT(with_env("MONOTUBE_LISTEN", "example.com:80"), Catch::Contains("not an IP address"));
  CHECK_THAT(with_env("MONOTUBE_MAX_BODY_BYTES", "lots"), Catch::Contains("max_body_bytes"));
  CHECK_THAT(with_env("MONOTUBE_MAX_BODY_BYTES", "-5"), Catch::Contains("max_body_bytes"));
  CHECK_THAT(with_env("MONOTUBE_MAX_HEADER_BYTES", "10"), Catch::Contains("out of range"));
  CHECK_THAT(with_env("MONOTUBE_DATABASE_URL", "mysql://x"), Catch::Contains("database_url"));
  CHECK_THAT(with_env("MONOTUBE_STORAGE_URL", "ftp://x"), Catch::Contains("storage_url"));
  CHECK_THAT(with_env("MONOTUBE_LOG_LEVEL", "loud"), Catch::Contains("log_level"));
  CHECK_THAT(with_env("MONOTUBE_TLS_CERT", "/nonexistent.pem"), Catch::Contains("tls_cert"));
  CHECK_THAT(with_env("MONOTUBE_HTTP_REDIRECT_LISTEN", "0.0.0.0:8081"), Catch::Contains("http_redirect_listen"));
  ConfigSources missing_static;  // Base() sets static_dir as a flag, which would win over the environment
  missing_static.environment["MONOTUBE_STATIC_DIR"] = "/nonexistent-dir";
  CHECK_THAT(ErrorOf(missing_static), Catch::Contains("static_dir") && Catch::Contains("not a folder"));

  ConfigSources bad_flag = Base();
  bad_flag.flags["no_such_setting"] = "1";
  CHECK_THAT(ErrorOf(bad_flag), Catch::Contains("no_such_setting"));
}

TEST_CASE("Config file errors name the file and the problem", "[config]") {
  monotube::test::TempDir dir;
  auto file = dir.path() / "bad.toml";
  ConfigSources sources = Base();
  sources.config_file = file;
  CHECK_THAT(ErrorOf(sources), Catch::Contains("does not exist"));
  std::ofstream(file) << "listen = \n";
  CHECK_THAT(ErrorOf(sources), Catch::Contains("not valid TOML"));
  std::ofstream(file) << "lisen = \"127.0.0.1:1\"\n";
  CHECK_THAT(ErrorOf(sources), Catch::Contains("unknown setting 'lisen'"));
  std::ofstream(file) << "max_body_bytes = [1, 2]\n";
  CHECK_THAT(ErrorOf(sources), Catch::Contains("max_body_bytes"));
}

TEST_CASE("Every setting has a key, an environment name and a flag", "[config]") {
  for (const auto& setting : monotube::Settings()) {
    REQUIRE(setting.env.starts_with("MONOTUBE_"));
    REQUIRE(setting.flag.starts_with("--"));
    REQUIRE_FALSE(setting.description.empty());
  }
  // Secrets are never printed.
  ConfigSources sources = Base();
  sources.environment["MONOTUBE_DATABASE_URL"] = "postgresql://u:supersecret@h:5432/db";
  sources.environment["MONOTUBE_S3_SECRET_KEY"] = "s3cret-value";
  auto text = monotube::DescribeConfig(LoadConfig(sources));
  CHECK_THAT(text, !Catch::Contains("supersecret"));
  CHECK_THAT(text, !Catch::Contains("s3cret-value"));
  CHECK_THAT(text, Catch::Contains("s3_secret_key = (set)"));
}

TEST_CASE("The example configuration documents every setting and loads as it is", "[config]") {
  const std::filesystem::path example = MONOTUBE_SOURCE_DIR "/config/monotube.example.toml";
  std::ifstream in(example);
  REQUIRE(in);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& setting : monotube::Settings()) {
    // Each key appears as a line "key = ..." or "# key = ...".
    INFO(setting.key);
    bool found = text.starts_with(setting.key + " = ") || text.find("\n" + setting.key + " = ") != std::string::npos ||
                 text.find("\n# " + setting.key + " = ") != std::string::npos;
    CHECK(found);
  }
  ConfigSources sources = Base();
  sources.config_file = example;
  CHECK_NOTHROW(LoadConfig(sources));
}

TEST_CASE("Config validates mail_from", "[config]") {
  ConfigSources sources = Base();
  CHECK(LoadConfig(sources).mail_from.empty());  // empty: the mailer derives one from public_url
  sources.environment["MONOTUBE_MAIL_FROM"] = "Video Site <no-reply@video.example.com>";
  CHECK(LoadConfig(sources).mail_from == "Video Site <no-reply@video.example.com>");
  sources.environment["MONOTUBE_MAIL_FROM"] = "no-reply@video.example.com";
  CHECK(LoadConfig(sources).mail_from == "no-reply@video.example.com");
  for (const char* bad : {"not an address", "Name <no-reply@>", "a@b.c\r\nBcc: x@y.z", "Name <a@b.c"}) {
    sources.environment["MONOTUBE_MAIL_FROM"] = bad;
    CHECK_THAT(ErrorOf(sources), Catch::Contains("mail_from"));
  }
}

TEST_CASE("Config validates the account settings", "[config]") {
  ConfigSources sources = Base();
  sources.environment["MONOTUBE_SIGNUP_OPEN"] = "no";
  sources.environment["MONOTUBE_SIGNUP_ROLE"] = "viewer";
  sources.environment["MONOTUBE_ADMIN_PASSWORD"] = "a long admin passphrase";
  sources.environment["MONOTUBE_ADMIN_USERNAME"] = "root";
  sources.environment["MONOTUBE_ADMIN_EMAIL"] = "root@example.org";
  auto config = LoadConfig(sources);
  CHECK_FALSE(config.signup_open);
  CHECK(config.signup_role == "viewer");
  CHECK_THAT(monotube::DescribeConfig(config), !Catch::Contains("a long admin passphrase"));

  sources.environment["MONOTUBE_SIGNUP_OPEN"] = "maybe";
  CHECK_THAT(ErrorOf(sources), Catch::Contains("signup_open") && Catch::Contains("not true or false"));
  sources.environment["MONOTUBE_SIGNUP_OPEN"] = "true";
  sources.environment["MONOTUBE_SIGNUP_ROLE"] = "admin";
  CHECK_THAT(ErrorOf(sources), Catch::Contains("signup_role"));
  sources.environment["MONOTUBE_SIGNUP_ROLE"] = "creator";
  sources.environment.erase("MONOTUBE_ADMIN_EMAIL");
  CHECK_THAT(ErrorOf(sources), Catch::Contains("admin_email"));
  sources.environment["MONOTUBE_ADMIN_EMAIL"] = "root@example.org";
  sources.environment["MONOTUBE_LOGIN_MAX_FAILURES"] = "0";
  CHECK_THAT(ErrorOf(sources), Catch::Contains("login_max_failures"));
}
