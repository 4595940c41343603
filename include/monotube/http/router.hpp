#pragma once
// Method + path-pattern routing. Patterns are literal segments and "{name}"
// parameters ("/api/videos/{video_id}/comments"); a trailing "{name...}" takes the
// rest of the path. Routes are added at start-up, then the router is read-only and
// safe to use from every IO thread.
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "monotube/http/message.hpp"

namespace monotube::http {

class RequestContext;
using Handler = std::function<boost::asio::awaitable<Response>(RequestContext&)>;

struct RouteOptions {
  // Largest request body this route accepts; 0 = the server's default limit.
  std::size_t max_body_bytes = 0;
  // The handler reads the body itself, piece by piece, with RequestContext::ReadBody
  // (uploads: never held in memory whole); request.body stays empty.
  bool stream_body = false;
};

struct Route {
  Verb method;
  std::string pattern;  // also the route label in metrics and logs
  Handler handler;
  RouteOptions options;
};

struct RouteMatch {
  const Route* route = nullptr;           // null when nothing matched
  std::map<std::string, std::string, std::less<>> params;
  std::vector<Verb> allowed;              // methods the path supports, when the method did not match
};

class Router {
 public:
  void Add(Verb method, std::string pattern, Handler handler, RouteOptions options = {});
  void Get(std::string pattern, Handler handler, RouteOptions options = {});
  void Post(std::string pattern, Handler handler, RouteOptions options = {});
  void Put(std::string pattern, Handler handler, RouteOptions options = {});
  void Patch(std::string pattern, Handler handler, RouteOptions options = {});
  void Delete(std::string pattern, Handler handler, RouteOptions options = {});

  // GET routes also answer HEAD. A path that matches with another method gives
  // `allowed` (for 405 + Allow); a path that matches nothing gives an empty match.
  RouteMatch Match(Verb method, std::string_view path) const;

  // Called for GET/HEAD requests no route matched (static files, UI pages).
  void SetFallback(Handler handler) { fallback_ = std::move(handler); }
  const Handler& fallback() const noexcept { return fallback_; }

 private:
  struct Segment {
    std::string text;
    bool is_param = false;
    bool is_rest = false;
  };
  struct Entry {
    Route route;
    std::vector<Segment> segments;
  };
  std::vector<std::unique_ptr<Entry>> entries_;
  Handler fallback_;
};

}  // namespace monotube::http
