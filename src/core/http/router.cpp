#include "monotube/http/router.hpp"

#include <algorithm>
#include <stdexcept>

#include "monotube/http/context.hpp"

namespace monotube::http {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = path.starts_with('/') ? 1 : 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

}  // namespace

void Router::Add(Verb method, std::string pattern, Handler handler, RouteOptions options) {
  if (!pattern.starts_with('/')) throw std::invalid_argument("route pattern must start with '/': " + pattern);
  auto entry = std::make_unique<Entry>();
  for (std::string_view part : SplitPath(pattern)) {
    Segment segment;
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      segment.is_param = true;
      segment.text = std::string(part.substr(1, part.size() - 2));
      if (segment.text.ends_with("...")) {
        segment.is_rest = true;
        segment.text.resize(segment.text.size() - 3);
      }
      if (segment.text.empty()) throw std::invalid_argument("empty parameter name in route " + pattern);
    } else {
      segment.text = std::string(part);
    }
    entry->segments.push_back(std::move(segment));
  }
  for (std::size_t i = 0; i + 1 < entry->segments.size(); ++i)
    if (entry->segments[i].is_rest) throw std::invalid_argument("'{name...}' must be last in route " + pattern);
  for (const auto& existing : entries_)
    if (existing->route.method == method && existing->route.pattern == pattern)
      throw std::invalid_argument("route registered twice: " + pattern);
  entry->route = Route{method, std::move(pattern), std::move(handler), options};
  entries_.push_back(std::move(entry));
}

void Router::Get(std::string p, Handler h, RouteOptions o) { Add(Verb::get, std::move(p), std::move(h), o); }
void Router::Post(std::string p, Handler h, RouteOptions o) { Add(Verb::post, std::move(p), std::move(h), o); }
void Router::Put(std::string p, Handler h, RouteOptions o) { Add(Verb::put, std::move(p), std::move(h), o); }
void Router::Patch(std::string p, Handler h, RouteOptions o) { Add(Verb::patch, std::move(p), std::move(h), o); }
void Router::Delete(std::string p, Handler h, RouteOptions o) { Add(Verb::delete_, std::move(p), std::move(h), o); }

RouteMatch Router::Match(Verb method, std::string_view path) const {
  RouteMatch result;
  auto parts = SplitPath(path);
  // Literal segments beat parameters, so "/api/videos/new" wins over "/api/videos/{id}"
  // whatever the registration order.
  const Entry* best = nullptr;
  int best_score = -1;
  std::map<std::string, std::string, std::less<>> best_params;
  for (const auto& entry : entries_) {
    const auto& segments = entry->segments;
    bool has_rest = !segments.empty() && segments.back().is_rest;
    if (has_rest ? parts.size() < segments.size() : parts.size() != segments.size()) continue;
    std::map<std::string, std::string, std::less<>> params;
    int score = 0;
    bool ok = true;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      const Segment& segment = segments[i];
      if (segment.is_rest) {
        std::string rest;
        for (std::size_t j = i; j < parts.size(); ++j) {
          if (j > i) rest += '/';
          rest += parts[j];
        }
        params[segment.text] = std::move(rest);
      } else if (segment.is_param) {
        if (parts[i].empty()) ok = false;
        else params[segment.text] = std::string(parts[i]);
      } else if (segment.text == parts[i]) {
        score += 2;
      } else {
        ok = false;
      }
    }
    if (!ok) continue;
    bool method_ok = entry->route.method == method || (method == Verb::head && entry->route.method == Verb::get);
    if (!method_ok) {
      if (std::find(result.allowed.begin(), result.allowed.end(), entry->route.method) == result.allowed.end())
        result.allowed.push_back(entry->route.method);
      continue;
    }
    if (score > best_score) {
      best = entry.get();
      best_score = score;
      best_params = std::move(params);
    }
  }
  if (best) {
    result.route = &best->route;
    result.params = std::move(best_params);
    result.allowed.clear();
  } else if (!result.allowed.empty()) {
    if (std::find(result.allowed.begin(), result.allowed.end(), Verb::get) != result.allowed.end())
      result.allowed.push_back(Verb::head);
    result.allowed.push_back(Verb::options);
  }
  return result;
}

const std::string& RequestContext::Param(std::string_view name) const {
  auto it = params.find(name);
  if (it == params.end()) throw NotFound("The requested resource does not exist.");
  return it->second;
}

boost::asio::awaitable<std::size_t> RequestContext::ReadBody(char* buffer, std::size_t size) {
  // A route that did not declare stream_body got its whole body in request.body.
  if (!body_reader) throw std::logic_error("ReadBody on a route without stream_body");
  co_return co_await body_reader->Read(buffer, size);
}

}  // namespace monotube::http
