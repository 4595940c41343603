#include <catch2/catch.hpp>

#include <set>

#include "monotube/clock.hpp"
#include "monotube/ids.hpp"
#include "monotube/metrics.hpp"

TEST_CASE("ISO-8601 timestamps format and parse", "[clock]") {
  REQUIRE(monotube::FormatIso8601(0) == "1970-01-01T00:00:00.000Z");
  REQUIRE(monotube::FormatIso8601(1700000000123) == "2023-11-14T22:13:20.123Z");
  std::int64_t ms = 0;
  REQUIRE(monotube::ParseIso8601("2023-11-14T22:13:20.123Z", ms));
  REQUIRE(ms == 1700000000123);
  REQUIRE(monotube::ParseIso8601("2023-11-15T00:13:20+02:00", ms));
  REQUIRE(ms == 1700000000000);
  REQUIRE(monotube::ParseIso8601("2024-02-29", ms));
  REQUIRE_FALSE(monotube::ParseIso8601("2023-02-29", ms));
  REQUIRE_FALSE(monotube::ParseIso8601("2023-13-01", ms));
  REQUIRE_FALSE(monotube::ParseIso8601("yesterday", ms));
  REQUIRE_FALSE(monotube::ParseIso8601("", ms));
}

TEST_CASE("Public ids are 11 URL-safe characters and do not repeat", "[ids]") {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    auto id = monotube::NewPublicId();
    REQUIRE(monotube::IsValidPublicId(id));
    seen.insert(id);
  }
  REQUIRE(seen.size() == 10000);
  REQUIRE_FALSE(monotube::IsValidPublicId("short"));
  REQUIRE_FALSE(monotube::IsValidPublicId("abc/def+ghi"));
  REQUIRE(monotube::RandomToken(32).size() == 43);
  REQUIRE(monotube::Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("Metrics render a valid Prometheus exposition", "[metrics]") {
  monotube::Metrics metrics;
  metrics.ObserveRequest("/api/videos/{video_id}", "GET", 200, 0.003);
  metrics.ObserveRequest("/api/videos/{video_id}", "GET", 200, 0.2);
  metrics.ObserveRequest("/api/videos/{video_id}", "GET", 404, 0.001);
  metrics.AddCollector([] { return std::string("# TYPE custom gauge\ncustom 7\n"); });
  auto text = metrics.Render();
  CHECK_THAT(text, Catch::Contains(R"(monotube_http_requests_total{route="/api/videos/{video_id}",method="GET",status="200"} 2)"));
  CHECK_THAT(text, Catch::Contains(R"(monotube_http_requests_total{route="/api/videos/{video_id}",method="GET",status="404"} 1)"));
  CHECK_THAT(text, Catch::Contains(R"(monotube_http_request_duration_seconds_bucket{route="/api/videos/{video_id}",le="0.005"} 2)"));
  CHECK_THAT(text, Catch::Contains(R"(monotube_http_request_duration_seconds_bucket{route="/api/videos/{video_id}",le="0.25"} 3)"));
  CHECK_THAT(text, Catch::Contains(R"(monotube_http_request_duration_seconds_count{route="/api/videos/{video_id}"} 3)"));
  CHECK_THAT(text, Catch::Contains("custom 7"));
}
