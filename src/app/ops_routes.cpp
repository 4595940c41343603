#include "src/app/ops_routes.hpp"

#include <spdlog/spdlog.h>

#include "monotube/http/context.hpp"
#include "src/app/app.hpp"

namespace monotube::app {
namespace {

using http::RequestContext;
using http::Response;
using http::Status;

// Runs one dependency check; returns "ok" or "unavailable". The reason goes to the log
// only: /readyz is reachable by anyone, and driver messages can name hosts and users.
template <class F>
std::string Check(std::string_view name, F&& check) {
  try {
    check();
    return "ok";
  } catch (const std::exception& e) {
    spdlog::warn("readiness: {} check failed: {}", name, e.what());
    return "unavailable";
  }
}

std::string JobQueueMetrics(jobs::JobQueue& queue) {
  std::string out =
      "# HELP monotube_jobs Jobs in the queue by state.\n"
      "# TYPE monotube_jobs gauge\n";
  try {
    for (const auto& [state, count] : queue.CountByState())
      out += "monotube_jobs{state=\"" + state + "\"} " + std::to_string(count) + "\n";
  } catch (const std::exception& e) {
    spdlog::warn("metrics: cannot count jobs: {}", e.what());
  }
  return out;
}

}  // namespace

void RegisterOpsRoutes(http::Router& router, App& app) {
  router.Get("/healthz", [](RequestContext&) -> boost::asio::awaitable<Response> {
    auto response = Response::Json({{"status", "ok"}});
    response.headers.set(http::bhttp::field::cache_control, "no-store");
    co_return response;
  });

  router.Get("/readyz", [&app](RequestContext& context) -> boost::asio::awaitable<Response> {
    if (app.shutting_down()) {
      auto response = Response::Error(Status::service_unavailable, "shutting_down", "The server is shutting down.");
      response.headers.set(http::bhttp::field::cache_control, "no-store");
      co_return response;
    }
    auto [database, storage] = co_await context.Blocking([&app] {
      return std::pair{Check("database", [&] { app.database().Ping(); }),
                       Check("storage", [&] { app.storage().CheckHealth(); })};
    });
    nlohmann::json checks = {{"database", database}, {"storage", storage}};
    Response response;
    if (database == "ok" && storage == "ok") {
      response = Response::Json({{"status", "ready"}, {"checks", checks}});
    } else {
      std::string reason = database != "ok" ? "The database is unavailable." : "The storage is unavailable.";
      context.Log(spdlog::level::warn, "not ready: {}", reason);
      response = Response::Json({{"error", {{"code", "not_ready"}, {"message", reason}}}, {"checks", checks}},
                                Status::service_unavailable);
    }
    response.headers.set(http::bhttp::field::cache_control, "no-store");
    co_return response;
  });

  app.metrics().AddCollector([&app] { return JobQueueMetrics(app.job_queue()); });
  router.Get("/metrics", [&app](RequestContext& context) -> boost::asio::awaitable<Response> {
    std::string text = co_await context.Blocking([&app] { return app.metrics().Render(); });
    auto response = Response::Text(std::move(text), "text/plain; version=0.0.4; charset=utf-8");
    response.headers.set(http::bhttp::field::cache_control, "no-store");
    co_return response;
  });
}

}  // namespace monotube::app
