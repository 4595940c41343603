#include "src/app/cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

#include "modules/auth/users.hpp"
#include "modules/search/catalog.hpp"
#include "modules/search/search.hpp"
#include "modules/transcoding/transcoding.hpp"
#include "monotube/config.hpp"
#include "monotube/db/database.hpp"
#include "monotube/db/migrations.hpp"
#include "monotube/errors.hpp"
#include "monotube/log.hpp"
#include "src/app/app.hpp"

namespace monotube::app {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

std::filesystem::path ExecutableDir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path();
}

struct CommandLine {
  std::string config_file;
  std::map<std::string, std::string> flags;
};

Config LoadFromCommandLine(const CommandLine& command_line) {
  ConfigSources sources;
  sources.config_file = command_line.config_file;
  sources.environment = ReadEnvironment();
  sources.flags = command_line.flags;
  sources.executable_dir = ExecutableDir();
  Config config = LoadConfig(sources);
  log::Init(config.log_level);
  return config;
}

int Serve(const CommandLine& command_line) {
  Config config = LoadFromCommandLine(command_line);
  App app(std::move(config));
  app.Start();
  app.Wait();
  return 0;
}

int Migrate(const CommandLine& command_line) {
  auto database = OpenDatabase(LoadFromCommandLine(command_line), 1);
  SystemClock clock;
  auto result = db::Migrate(*database, clock);
  std::cout << "database " << database->Describe() << ": schema version " << result.from_version << " -> "
            << result.to_version << " (" << result.applied << " migration(s) applied)\n";
  return 0;
}

struct NewUserArgs {
  std::string username, email, password, role = "creator";
};

int CreateUser(const CommandLine& command_line, const NewUserArgs& args) {
  auto database = OpenDatabase(LoadFromCommandLine(command_line), 1);
  SystemClock clock;
  db::Migrate(*database, clock);
  auth::UserService users(*database, clock);
  auto user = users.CreateUser({args.username, args.email, args.password, args.role});
  std::cout << "created " << user.role << " '" << user.username << "' (id " << user.public_id << ")\n";
  return 0;
}

// Probes /healthz of the server this configuration describes; for container health checks.
int HealthCheck(const CommandLine& command_line) {
  Config config = LoadFromCommandLine(command_line);
  std::string host = config.listen_host;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  boost::asio::io_context io;
  beast::tcp_stream tcp(io);
  tcp.expires_after(std::chrono::seconds(5));
  tcp.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(host), config.listen_port));
  bhttp::request<bhttp::empty_body> request{bhttp::verb::get, "/healthz", 11};
  request.set(bhttp::field::host, host);
  request.set(bhttp::field::connection, "close");
  bhttp::response<bhttp::string_body> response;
  beast::flat_buffer buffer;
  if (!config.tls_cert.empty()) {
    boost::asio::ssl::context context(boost::asio::ssl::context::tls_client);
    context.set_verify_mode(boost::asio::ssl::verify_none);  // our own process on loopback
    beast::ssl_stream<beast::tcp_stream&> tls(tcp, context);
    tls.handshake(boost::asio::ssl::stream_base::client);
    bhttp::write(tls, request);
    bhttp::read(tls, buffer, response);
  } else {
    bhttp::write(tcp, request);
    bhttp::read(tcp, buffer, response);
  }
  if (response.result() != bhttp::status::ok) {
    std::cerr << "monotube healthcheck: /healthz answered " << response.result_int() << "\n";
    return 1;
  }
  std::cout << "ok\n";
  return 0;
}

struct DevTranscodeArgs {
  std::string input, output_dir, preset = "veryfast";
  unsigned threads = 0;
  bool print_ffmpeg = false, no_images = false;
  std::vector<std::string> renditions;
};

// The transcoding pipeline on local files, outside the server: for the benchmark
// (bench/transcode) and for trying a file by hand. --print-ffmpeg prints the argv that
// would run, one argument a line, so the benchmark can time the same encoder settings.
int DevTranscode(const CommandLine& command_line, const DevTranscodeArgs& args) {
  LoadFromCommandLine(command_line);  // the log level
  namespace tc = transcoding;
  const auto info = tc::Probe(args.input);
  tc::TranscodeOptions options;
  options.input = args.input;
  options.output_dir = args.output_dir;
  options.preset = args.preset;
  options.threads = args.threads;
  for (auto& rung : tc::PlanLadder(info))
    if (args.renditions.empty() ||
        std::find(args.renditions.begin(), args.renditions.end(), rung.name) != args.renditions.end())
      options.ladder.push_back(std::move(rung));
  if (options.ladder.empty()) throw InvalidInput("none of the --rendition names is in this video's ladder");
  if (args.print_ffmpeg) {
    for (const auto& arg : tc::BuildFfmpegCommand(info, options, !args.no_images)) std::cout << arg << "\n";
    return 0;
  }
  std::filesystem::create_directories(options.output_dir);
  int last = -1;
  options.on_progress = [&](double percent) {
    if (static_cast<int>(percent) / 10 == last) return;
    last = static_cast<int>(percent) / 10;
    std::cerr << "monotube: transcoding " << static_cast<int>(percent) << "%\n";
  };
  const auto result = tc::Transcode(info, options);
  std::cout << "duration " << result.duration_seconds << " s, " << result.files.size() << " files in "
            << options.output_dir.string() << "\n";
  for (const auto& r : result.renditions)
    std::cout << r.name << " " << r.width << "x" << r.height << " " << r.codecs << " peak " << r.bandwidth
              << " b/s, average " << r.average_bandwidth << " b/s\n";
  return 0;
}

// Rebuilds the search index from the database into a new folder, then swaps it in; a
// server using the folder keeps serving the old index until then.
int Reindex(const CommandLine& command_line) {
  Config config = LoadFromCommandLine(command_line);
  auto database = OpenDatabase(config, 2);  // a full index build reads with two threads
  SystemClock clock;
  db::Migrate(*database, clock);
  auto started = std::chrono::steady_clock::now();
  auto count = search::RebuildIndex(*database, SearchDir(config));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  std::cout << "indexed " << count << " videos into " << SearchDir(config).string() << " in " << ms << " ms\n";
  return 0;
}

// Rolls up every committed view and interaction now (and prunes), as the server does every
// analytics_rollup_interval_seconds; waits for no one: another runner's lease means "busy".
int AnalyticsRollup(const CommandLine& command_line) {
  Config config = LoadFromCommandLine(command_line);
  auto database = OpenDatabase(config, 1);
  SystemClock clock;
  db::Migrate(*database, clock);
  analytics::Rollup rollup(*database, clock, AnalyticsOptionsFrom(config).rollup);
  auto started = std::chrono::steady_clock::now();
  auto result = rollup.Run();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  if (!result.ran) {
    std::cerr << "monotube: another server is running the analytics roll-up; try again later\n";
    return 1;
  }
  std::cout << "rolled up " << result.view_events << " view event(s) and " << result.activity_events
            << " interaction(s) in " << result.chunks << " chunk(s), pruned " << result.pruned << ", in " << ms
            << " ms\n";
  return 0;
}

struct GenCatalogArgs {
  std::int64_t videos = 1000, users = 100;
  std::uint64_t seed = 42;
  std::string words = "/usr/share/dict/words";
  bool no_index = false;
};

int GenCatalog(const CommandLine& command_line, const GenCatalogArgs& args) {
  Config config = LoadFromCommandLine(command_line);
  auto database = OpenDatabase(config, 2);  // a full index build reads with two threads
  SystemClock clock;
  db::Migrate(*database, clock);
  search::CatalogOptions options;
  options.videos = args.videos;
  options.users = args.users;
  options.seed = args.seed;
  options.words_file = args.words;
  options.now_ms = clock.NowMs();
  auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  };
  auto result = search::GenerateCatalog(*database, options, [&](const std::string& message) {
    std::cerr << "monotube: " << message << " (" << elapsed() << " ms)\n";
  });
  std::cout << "generated " << result.users << " users and " << result.videos << " videos in " << elapsed()
            << " ms\n";
  if (!args.no_index) {
    auto index_started = elapsed();
    auto count = search::RebuildIndex(*database, SearchDir(config));
    std::cout << "indexed " << count << " videos in " << elapsed() - index_started << " ms\n";
  }
  return 0;
}

}  // namespace

int RunCommandLine(int argc, char** argv) {
  CLI::App cli("monotube — a self-hosted video platform in one binary.\n"
               "Every setting is also read from the config file (--config, TOML) and from MONOTUBE_<SETTING>;\n"
               "flags win over the environment, which wins over the file.",
               "monotube");
  cli.fallthrough();
  cli.require_subcommand(0, 1);
  CommandLine command_line;
  cli.add_option("--config", command_line.config_file, "TOML config file (also MONOTUBE_CONFIG)");
  for (const auto& setting : Settings()) {
    auto* option = cli.add_option_function<std::string>(
        setting.flag, [&command_line, key = setting.key](const std::string& value) { command_line.flags[key] = value; },
        setting.description + " [env " + setting.env + "]");
    option->group("Settings");
  }

  auto* serve = cli.add_subcommand("serve", "Migrate the database, then serve HTTP (the default command)");
  auto* migrate = cli.add_subcommand("migrate", "Apply pending database migrations and exit");
  auto* user = cli.add_subcommand("user", "Manage user accounts");
  user->require_subcommand(1);
  auto* user_create = user->add_subcommand("create", "Create an account (e.g. the first admin)");
  NewUserArgs new_user;
  user_create->add_option("--username", new_user.username, "3–30 letters, digits, _ . -")->required();
  user_create->add_option("--email", new_user.email, "e-mail address")->required();
  user_create->add_option("--password", new_user.password, "10–128 characters")->required();
  user_create->add_option("--role", new_user.role, "viewer, creator, moderator or admin")
      ->check(CLI::IsMember({"viewer", "creator", "moderator", "admin"}));
  auto* healthcheck = cli.add_subcommand("healthcheck", "Exit 0 when the local server answers /healthz");
  auto* show_config = cli.add_subcommand("config", "Print the effective configuration (secrets masked)");
  auto* dev = cli.add_subcommand("dev", "Developer tools");
  dev->require_subcommand(1);
  auto* dev_transcode =
      dev->add_subcommand("transcode", "Probe a video file and transcode it to an HLS ladder");
  DevTranscodeArgs transcode_args;
  dev_transcode->add_option("input", transcode_args.input, "the video file")->required();
  dev_transcode->add_option("output_dir", transcode_args.output_dir, "empty or new directory")->required();
  dev_transcode->add_option("--preset", transcode_args.preset, "libx264 preset (veryfast)");
  dev_transcode->add_option("--threads", transcode_args.threads, "FFmpeg threads (0 = its choice)");
  dev_transcode->add_option("--rendition", transcode_args.renditions, "only these rungs (repeatable)");
  dev_transcode->add_flag("--print-ffmpeg", transcode_args.print_ffmpeg, "print the ffmpeg argv instead");
  dev_transcode->add_flag("--no-images", transcode_args.no_images,
                          "with --print-ffmpeg: no poster or sprites");
  auto* dev_catalog = dev->add_subcommand("gen-catalog", "Fill the database and the search index with synthetic videos");
  GenCatalogArgs catalog_args;
  dev_catalog->add_option("--videos", catalog_args.videos, "videos to add (1000)")->check(CLI::Range(0, 100000000));
  dev_catalog->add_option("--users", catalog_args.users, "users (channels) to add (100)")->check(CLI::Range(1, 100000000));
  dev_catalog->add_option("--seed", catalog_args.seed, "random seed (42): the same seed, the same catalog");
  dev_catalog->add_option("--words", catalog_args.words, "word list (/usr/share/dict/words, Debian wamerican)");
  dev_catalog->add_flag("--no-index", catalog_args.no_index, "leave the search index to the server or reindex");
  auto* analytics = cli.add_subcommand("analytics", "Analytics maintenance");
  analytics->require_subcommand(1);
  auto* analytics_rollup = analytics->add_subcommand("rollup", "Roll up the view log and interaction history now");
  auto* reindex = cli.add_subcommand("reindex", "Rebuild the search index from the database (a server keeps serving)");
  auto* version = cli.add_subcommand("version", "Print the version");
  auto* help = cli.add_subcommand("help", "Show this help");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  try {
    if (*version) {
      std::cout << "monotube " << MONOTUBE_VERSION << "\n";
      return 0;
    }
    if (*help) {
      // cli.help() would describe the selected subcommand ("help" itself): format the top level.
      std::cout << cli.get_formatter()->make_help(&cli, "monotube", CLI::AppFormatMode::Normal);
      return 0;
    }
    if (*migrate) return Migrate(command_line);
    if (*user_create) return CreateUser(command_line, new_user);
    if (*healthcheck) return HealthCheck(command_line);
    if (*dev_transcode) return DevTranscode(command_line, transcode_args);
    if (*dev_catalog) return GenCatalog(command_line, catalog_args);
    if (*reindex) return Reindex(command_line);
    if (*analytics_rollup) return AnalyticsRollup(command_line);
    if (*show_config) {
      std::cout << DescribeConfig(LoadFromCommandLine(command_line));
      return 0;
    }
    (void)serve;
    return Serve(command_line);
  } catch (const ConfigError& e) {
    std::cerr << "monotube: configuration error: " << e.what() << "\n";
    return 2;
  } catch (const InvalidInput& e) {
    std::cerr << "monotube: " << e.what() << "\n";
    return 2;
  } catch (const Conflict& e) {
    std::cerr << "monotube: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "monotube: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace monotube::app
