// The real server on a free port, spoken to over TCP: happy paths, limits, hostile
// clients and graceful shutdown.
#include <catch2/catch.hpp>

#include <future>
#include <thread>

#include "monotube/errors.hpp"
#include "monotube/http/context.hpp"
#include "support/accounts.hpp"
#include "support/test_app.hpp"

using namespace std::chrono_literals;
using monotube::http::RequestContext;
using monotube::http::Response;
using monotube::test::HttpRequest;
using monotube::test::RawConnection;
using monotube::test::TestApp;
using monotube::test::TestAppOptions;

namespace {

const auto RequireJsonError = monotube::test::RequireApiError;

// Routes that exist only in these tests.
void AddTestRoutes(monotube::http::Router& router, monotube::app::App&) {
  router.Post("/api/test/echo-json", [](RequestContext& context) -> boost::asio::awaitable<Response> {
    co_return Response::Json({{"received", context.request.Json()}});
  });
  router.Post(
      "/api/test/upload", [](RequestContext& context) -> boost::asio::awaitable<Response> {
        co_return Response::Json({{"bytes", context.request.body.size()}});
      },
      {.max_body_bytes = 8 * 1024 * 1024});
  router.Get("/api/test/items/{item_id}", [](RequestContext& context) -> boost::asio::awaitable<Response> {
    co_return Response::Json({{"item_id", context.Param("item_id")}});
  });
  router.Get("/api/test/fail", [](RequestContext&) -> boost::asio::awaitable<Response> {
    throw std::runtime_error("secret internal detail: password=hunter2");
    co_return Response::Empty();
  });
  router.Get("/api/test/conflict", [](RequestContext&) -> boost::asio::awaitable<Response> {
    throw monotube::Conflict("username_taken", "That username is taken.");
    co_return Response::Empty();
  });
  router.Get("/api/test/limited", [](RequestContext&) -> boost::asio::awaitable<Response> {
    throw monotube::RateLimited("Too many attempts.", 42);
    co_return Response::Empty();
  });
  router.Get("/api/test/blocking", [](RequestContext& context) -> boost::asio::awaitable<Response> {
    auto thread_id = co_await context.Blocking([] {
      std::ostringstream out;
      out << std::this_thread::get_id();
      return out.str();
    });
    co_return Response::Json({{"ran_on", thread_id}});
  });
}

TestAppOptions WithTestRoutes(std::function<void(monotube::Config&)> configure = nullptr) {
  TestAppOptions options;
  options.extra_routes = AddTestRoutes;
  options.configure = std::move(configure);
  return options;
}

}  // namespace

TEST_CASE("Server answers /healthz, /readyz and /metrics", "[http][ops]") {
  TestApp app(WithTestRoutes());
  auto health = app.Get("/healthz");
  REQUIRE(health.status == 200);
  REQUIRE(health.Json()["status"] == "ok");
  REQUIRE_FALSE(health.Header("X-Request-Id").empty());

  auto ready = app.Get("/readyz");
  INFO(ready.body);
  REQUIRE(ready.status == 200);
  REQUIRE(ready.Json()["checks"]["database"] == "ok");
  REQUIRE(ready.Json()["checks"]["storage"] == "ok");

  app.Get("/api/test/items/abc");
  // A request is counted once its answer is written, which can be a moment after the
  // client has read it (and connections run on different IO threads): poll briefly.
  const std::string counted =
      R"(monotube_http_requests_total{route="/api/test/items/{item_id}",method="GET",status="200"} 1)";
  auto metrics = app.Get("/metrics");
  for (int i = 0; i < 100 && (metrics.body.find(counted) == std::string::npos ||
                              metrics.body.find("monotube_http_requests_in_flight 1\n") == std::string::npos);
       ++i) {
    std::this_thread::sleep_for(20ms);
    metrics = app.Get("/metrics");
  }
  REQUIRE(metrics.status == 200);
  REQUIRE(metrics.Header("Content-Type").starts_with("text/plain; version=0.0.4"));
  CHECK_THAT(metrics.body, Catch::Contains(counted));
  CHECK_THAT(metrics.body, Catch::Contains(R"(monotube_http_request_duration_seconds_bucket{route="/healthz",le="+Inf"} 1)"));
  CHECK_THAT(metrics.body, Catch::Contains("monotube_http_requests_in_flight 1"));  // the /metrics request itself
  CHECK_THAT(metrics.body, Catch::Contains(R"(monotube_jobs{state="queued"} 0)"));
}

TEST_CASE("Readiness reports the queue depth the database really has", "[http][ops]") {
  TestApp app(WithTestRoutes());
  app.app().job_queue().Enqueue("test.noop", nlohmann::json::object());
  app.app().job_queue().Enqueue("test.noop", nlohmann::json::object());
  auto metrics = app.Get("/metrics");
  CHECK_THAT(metrics.body, Catch::Contains(R"(monotube_jobs{state="queued"} 2)"));
}

TEST_CASE("Router gives path parameters, JSON 404 and 405 with Allow", "[http][router]") {
  TestApp app(WithTestRoutes());
  auto item = app.Get("/api/test/items/x%20y");
  REQUIRE(item.status == 200);
  REQUIRE(item.Json()["item_id"] == "x y");

  RequireJsonError(app.Get("/api/no-such-thing"), 404, "not_found");
  RequireJsonError(app.Get("/no-such-page", {{"Accept", "application/json"}}), 404, "not_found");

  auto wrong_method = app.Send("DELETE", "/healthz");
  RequireJsonError(wrong_method, 405, "method_not_allowed");
  REQUIRE(wrong_method.Header("Allow") == "GET, HEAD, OPTIONS");

  auto options = app.Send("OPTIONS", "/api/test/items/1");
  REQUIRE(options.status == 204);
  REQUIRE(options.Header("Allow") == "GET, HEAD, OPTIONS");

  auto head = HttpRequest(app.port(), "HEAD", "/healthz");
  REQUIRE(head.status == 200);
  REQUIRE(head.body.empty());
  REQUIRE(head.Header("Content-Length") == std::to_string(std::string(R"({"status":"ok"})").size()));
}

TEST_CASE("UI pages answer the shell, and other paths answer 404 with it for browsers", "[http][ui]") {
  TestAppOptions options;
  options.extra_routes = [](monotube::http::Router&, monotube::app::App& app) { app.AddPage("/test-page/{id}"); };
  TestApp app(std::move(options));
  auto home = app.Get("/", {{"Accept", "text/html"}});
  REQUIRE(home.status == 200);
  auto page = app.Get("/test-page/abc", {{"Accept", "text/html"}});
  REQUIRE(page.status == 200);
  REQUIRE(page.body == home.body);
  REQUIRE_THAT(page.Header("Content-Security-Policy"), Catch::Contains("script-src 'self'"));
  auto missing = app.Get("/test-page/abc/more", {{"Accept", "text/html"}});
  REQUIRE(missing.status == 404);
  REQUIRE(missing.body == home.body);
  RequireJsonError(app.Send("POST", "/test-page/abc"), 405, "method_not_allowed");
}

TEST_CASE("Errors become one JSON shape and internal details stay in the log", "[http][errors]") {
  TestApp app(WithTestRoutes());
  auto failed = app.Get("/api/test/fail");
  RequireJsonError(failed, 500, "internal_error");
  CHECK_THAT(failed.body, !Catch::Contains("hunter2"));
  CHECK_THAT(failed.body, !Catch::Contains("secret"));
  CHECK_THAT(failed.body, Catch::Contains(failed.Header("X-Request-Id")));

  RequireJsonError(app.Get("/api/test/conflict"), 409, "username_taken");
  auto limited = app.Get("/api/test/limited");
  RequireJsonError(limited, 429, "rate_limited");
  REQUIRE(limited.Header("Retry-After") == "42");

  RequireJsonError(app.Send("POST", "/api/test/echo-json", "{not json", {{"Content-Type", "application/json"}}), 400,
                   "invalid_json");
  RequireJsonError(app.Send("POST", "/api/test/echo-json", ""), 400, "invalid_json");
  auto echoed = app.Send("POST", "/api/test/echo-json", R"({"a":[1,2]})", {{"Content-Type", "application/json"}});
  REQUIRE(echoed.status == 200);
  REQUIRE(echoed.Json()["received"]["a"][1] == 2);
}

TEST_CASE("Blocking work runs on the worker pool, not the IO thread", "[http]") {
  TestApp app(WithTestRoutes());
  auto result = app.Get("/api/test/blocking");
  REQUIRE(result.status == 200);
  REQUIRE_FALSE(result.Json()["ran_on"].get<std::string>().empty());
}

TEST_CASE("A request id is on every answer and a sane incoming one is kept", "[http]") {
  TestApp app(WithTestRoutes());
  auto own = app.Get("/healthz", {{"X-Request-Id", "lb-1234_abc.9"}});
  REQUIRE(own.Header("X-Request-Id") == "lb-1234_abc.9");
  auto hostile = app.Get("/healthz", {{"X-Request-Id", "bad id\" with <stuff>"}});
  REQUIRE(hostile.Header("X-Request-Id") != "bad id\" with <stuff>");
  REQUIRE(hostile.Header("X-Request-Id").size() == 12);
}

TEST_CASE("Malformed requests get 400 and the server keeps serving", "[http][unhappy]") {
  TestApp app(WithTestRoutes());
  for (std::string garbage : {"GARBAGE\r\n\r\n", "GET\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
                              "GET / HTTP/1.1\r\nBad Header Line\r\n\r\n",
                              "GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
                              "POST /api/test/echo-json HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n"}) {
    INFO(garbage);
    RawConnection connection(app.port());
    connection.Send(garbage);
    auto response = connection.ReadResponse(5s);
    REQUIRE(response);
    RequireJsonError(*response, 400, "malformed_request");
    REQUIRE(connection.WaitClosed(5s));
  }
  // An absolute-form or otherwise odd target is refused too.
  RequireJsonError(HttpRequest(app.port(), "GET", "http://example.com/healthz"), 400, "invalid_path");
  RequireJsonError(HttpRequest(app.port(), "GET", "/bad%zzescape"), 400, "invalid_path");
  REQUIRE(app.Get("/healthz").status == 200);
}

TEST_CASE("Oversized headers get 431", "[http][unhappy]") {
  TestApp app(WithTestRoutes([](monotube::Config& c) { c.max_header_bytes = 4096; }));
  RawConnection connection(app.port());
  connection.TrySend("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n");
  auto response = connection.ReadResponse(5s);
  REQUIRE(response);
  RequireJsonError(*response, 431, "headers_too_large");
  REQUIRE(app.Get("/healthz").status == 200);
}

TEST_CASE("Oversized bodies get 413, and a route may raise its limit", "[http][unhappy]") {
  TestApp app(WithTestRoutes([](monotube::Config& c) { c.max_body_bytes = 64 * 1024; }));
  std::string big(100 * 1024, 'x');
  SECTION("declared length over the default limit") {
    RequireJsonError(app.Send("POST", "/api/test/echo-json", big), 413, "body_too_large");
  }
  SECTION("chunked body growing over the limit") {
    RawConnection connection(app.port());
    std::string chunk(32 * 1024, 'y');
    std::string request = "POST /api/test/echo-json HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) request += "8000\r\n" + chunk + "\r\n";
    request += "0\r\n\r\n";
    connection.TrySend(request);
    auto response = connection.ReadResponse(5s);
    REQUIRE(response);
    RequireJsonError(*response, 413, "body_too_large");
  }
  SECTION("the upload route accepts more, up to its own limit") {
    auto accepted = app.Send("POST", "/api/test/upload", big);
    REQUIRE(accepted.status == 200);
    REQUIRE(accepted.Json()["bytes"] == big.size());
    // Over Beast's own 1 MiB default, under the route's 8 MiB.
    std::string larger(3 * 1024 * 1024, 'w');
    auto accepted_larger = app.Send("POST", "/api/test/upload", larger);
    REQUIRE(accepted_larger.status == 200);
    REQUIRE(accepted_larger.Json()["bytes"] == larger.size());
    RequireJsonError(app.Send("POST", "/api/test/upload", std::string(9 * 1024 * 1024, 'z')), 413, "body_too_large");
  }
  SECTION("Expect: 100-continue is answered before the body is sent") {
    RawConnection connection(app.port());
    connection.Send("POST /api/test/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    auto interim = connection.ReadResponse(5s);
    REQUIRE(interim);
    REQUIRE(interim->status == 100);
    connection.Send("hello");
    auto final_response = connection.ReadResponse(5s);
    REQUIRE(final_response);
    REQUIRE(final_response->status == 200);
    REQUIRE(final_response->Json()["bytes"] == 5);
  }
  REQUIRE(app.Get("/healthz").status == 200);
}

TEST_CASE("A client that trickles its headers is cut off", "[http][unhappy]") {
  TestApp app(WithTestRoutes([](monotube::Config& c) { c.header_timeout_seconds = 1; }));
  RawConnection slow(app.port());
  auto started = std::chrono::steady_clock::now();
  std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  bool cut_off = false;
  for (int i = 0; i < 40 && !cut_off; ++i) {  // would take 8 s if never cut off
    if (!slow.TrySend(std::string(1, request[i % request.size()]))) cut_off = true;
    auto response = slow.ReadResponse(200ms);
    if (response) {
      RequireJsonError(*response, 408, "request_timeout");
      cut_off = true;
    }
    // Others are served meanwhile.
    if (i == 2) REQUIRE(app.Get("/healthz").status == 200);
  }
  REQUIRE(cut_off);
  REQUIRE(std::chrono::steady_clock::now() - started < 5s);
  REQUIRE(slow.WaitClosed(3s));
}

TEST_CASE("Keep-alive, pipelining in order, and the per-connection request cap", "[http]") {
  TestApp app(WithTestRoutes([](monotube::Config& c) { c.max_requests_per_connection = 3; }));
  RawConnection connection(app.port());
  connection.Send("GET /api/test/items/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /api/test/items/2 HTTP/1.1\r\nHost: x\r\n\r\n");
  auto first = connection.ReadResponse(5s);
  auto second = connection.ReadResponse(5s);
  REQUIRE(first);
  REQUIRE(second);
  REQUIRE(first->Json()["item_id"] == "1");
  REQUIRE(second->Json()["item_id"] == "2");
  REQUIRE(first->Header("Connection") != "close");
  connection.Send("GET /api/test/items/3 HTTP/1.1\r\nHost: x\r\n\r\n");
  auto third = connection.ReadResponse(5s);
  REQUIRE(third);
  REQUIRE(third->Header("Connection") == "close");
  REQUIRE(connection.WaitClosed(5s));
}

TEST_CASE("Shutdown lets an in-flight request finish and stops accepting", "[http][shutdown]") {
  auto release = std::make_shared<std::promise<void>>();
  auto released = release->get_future().share();
  auto entered = std::make_shared<std::promise<void>>();
  TestAppOptions options;
  options.configure = [](monotube::Config& c) { c.shutdown_timeout_seconds = 10; };
  options.extra_routes = [released, entered](monotube::http::Router& router, monotube::app::App&) {
    router.Get("/api/test/slow", [released, entered](RequestContext& context) -> boost::asio::awaitable<Response> {
      co_await context.Blocking([&] {
        entered->set_value();
        released.wait();
      });
      co_return Response::Json({{"finished", true}});
    });
  };
  TestApp app(options);
  auto port = app.port();
  RawConnection idle(port);  // an idle keep-alive connection must not hold up shutdown
  auto in_flight = std::async(std::launch::async, [port] { return HttpRequest(port, "GET", "/api/test/slow"); });
  entered->get_future().wait();

  auto shutdown = std::async(std::launch::async, [&] { app.app().Shutdown(); });
  REQUIRE(idle.WaitClosed(5s));
  // New connections are refused once shutdown has begun.
  bool refused = false;
  for (int i = 0; i < 50 && !refused; ++i) {
    try {
      RawConnection late(port);
      late.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      refused = !late.ReadResponse(200ms).has_value();
    } catch (const std::exception&) {
      refused = true;
    }
  }
  REQUIRE(refused);
  REQUIRE(shutdown.wait_for(200ms) == std::future_status::timeout);  // still waiting for the slow request

  release->set_value();
  auto result = in_flight.get();
  REQUIRE(result.status == 200);
  REQUIRE(result.Json()["finished"] == true);
  REQUIRE(result.Header("Connection") == "close");
  REQUIRE(shutdown.wait_for(10s) == std::future_status::ready);
}

TEST_CASE("Security headers are on every answer", "[http][security]") {
  TestApp app(WithTestRoutes());
  auto home = app.Get("/");
  REQUIRE(home.status == 200);
  CHECK_THAT(home.Header("Content-Security-Policy"), Catch::Contains("script-src 'self'"));
  CHECK_THAT(home.Header("Content-Security-Policy"), !Catch::Contains("unsafe-inline"));
  CHECK(home.Header("X-Content-Type-Options") == "nosniff");
  CHECK(home.Header("X-Frame-Options") == "DENY");
  CHECK(home.Header("Strict-Transport-Security").empty());  // plain HTTP: no HSTS
}

TEST_CASE("Path traversal through the server never reaches a file outside static/", "[http][unhappy][security]") {
  TestApp app(WithTestRoutes());
  for (std::string target : {"/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
                             "/css/..%5c..%5cetc%5cpasswd", "/index.html%00.css", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                             "/static/../../etc/passwd", "/.%2e/.%2e/etc/passwd"}) {
    INFO(target);
    auto result = app.Get(target, {{"Accept", "application/json"}});
    REQUIRE((result.status == 400 || result.status == 404));
    REQUIRE(result.Header("Content-Type") == "application/json");
    CHECK_THAT(result.body, !Catch::Contains("root:"));
  }
  REQUIRE(app.Get("/healthz").status == 200);
}
