#include <catch2/catch.hpp>

#include "monotube/http/context.hpp"
#include "monotube/http/router.hpp"

using monotube::http::RequestContext;
using monotube::http::Response;
using monotube::http::Router;
using monotube::http::Verb;

namespace {

monotube::http::Handler Named(std::string name) {
  return [name](RequestContext&) -> boost::asio::awaitable<Response> { co_return Response::Json({{"name", name}}); };
}

}  // namespace

TEST_CASE("Router matches literal paths and extracts parameters", "[router]") {
  Router router;
  router.Get("/api/videos", Named("list"));
  router.Get("/api/videos/{video_id}", Named("get"));
  router.Get("/api/videos/{video_id}/comments", Named("comments"));
  router.Post("/api/videos/{video_id}/comments", Named("add_comment"));

  auto list = router.Match(Verb::get, "/api/videos");
  REQUIRE(list.route);
  REQUIRE(list.route->pattern == "/api/videos");

  auto one = router.Match(Verb::get, "/api/videos/abc123");
  REQUIRE(one.route);
  REQUIRE(one.params.at("video_id") == "abc123");

  auto comments = router.Match(Verb::post, "/api/videos/xyz/comments");
  REQUIRE(comments.route);
  REQUIRE(comments.route->pattern == "/api/videos/{video_id}/comments");
  REQUIRE(comments.params.at("video_id") == "xyz");

  REQUIRE_FALSE(router.Match(Verb::get, "/api/videos/abc/unknown").route);
  REQUIRE_FALSE(router.Match(Verb::get, "/api/videos//comments").route);  // an empty parameter is no match
  REQUIRE(router.Match(Verb::get, "/api/nothing").allowed.empty());
}

TEST_CASE("Router prefers literal segments over parameters regardless of order", "[router]") {
  Router router;
  router.Get("/api/users/{user_id}", Named("user"));
  router.Get("/api/users/me", Named("me"));
  auto me = router.Match(Verb::get, "/api/users/me");
  REQUIRE(me.route);
  REQUIRE(me.route->pattern == "/api/users/me");
  REQUIRE(router.Match(Verb::get, "/api/users/u1").route->pattern == "/api/users/{user_id}");
}

TEST_CASE("Router reports allowed methods when only the method is wrong", "[router]") {
  Router router;
  router.Get("/api/videos/{video_id}", Named("get"));
  router.Delete("/api/videos/{video_id}", Named("delete"));
  auto wrong = router.Match(Verb::post, "/api/videos/abc");
  REQUIRE_FALSE(wrong.route);
  REQUIRE(wrong.allowed == std::vector<Verb>{Verb::get, Verb::delete_, Verb::head, Verb::options});
  // GET routes answer HEAD.
  REQUIRE(router.Match(Verb::head, "/api/videos/abc").route);
}

TEST_CASE("Router supports a trailing rest parameter", "[router]") {
  Router router;
  router.Get("/media/{video_id}/{path...}", Named("media"));
  auto match = router.Match(Verb::get, "/media/v1/hls/720p/seg-1.m4s");
  REQUIRE(match.route);
  REQUIRE(match.params.at("video_id") == "v1");
  REQUIRE(match.params.at("path") == "hls/720p/seg-1.m4s");
}

TEST_CASE("Router refuses broken patterns at start-up", "[router]") {
  Router router;
  REQUIRE_THROWS(router.Get("no-slash", Named("x")));
  REQUIRE_THROWS(router.Get("/a/{}", Named("x")));
  REQUIRE_THROWS(router.Get("/a/{rest...}/b", Named("x")));
  router.Get("/a", Named("x"));
  REQUIRE_THROWS(router.Get("/a", Named("y")));
}

TEST_CASE("Percent-decoding rejects malformed escapes", "[http]") {
  using monotube::http::PercentDecode;
  REQUIRE(PercentDecode("a%20b", false) == "a b");
  REQUIRE(PercentDecode("a+b", true) == "a b");
  REQUIRE(PercentDecode("a+b", false) == "a+b");
  REQUIRE_FALSE(PercentDecode("%", false));
  REQUIRE_FALSE(PercentDecode("%2", false));
  REQUIRE_FALSE(PercentDecode("%zz", false));
  REQUIRE(PercentDecode("%2F", false) == "/");
}

TEST_CASE("Request query parameters are decoded", "[http]") {
  monotube::http::Request request;
  request.query_string = "query=cats+and%20dogs&empty=&flag&tags=a,b";
  REQUIRE(request.Query("query") == "cats and dogs");
  REQUIRE(request.Query("empty") == "");
  REQUIRE(request.Query("flag") == "");
  REQUIRE(request.Query("tags") == "a,b");
  REQUIRE_FALSE(request.Query("missing"));
  request.query_string = "bad=%zz";
  REQUIRE_THROWS_AS(request.Query("bad"), monotube::InvalidInput);
}
