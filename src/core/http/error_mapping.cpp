#include "monotube/http/error_mapping.hpp"

#include <spdlog/spdlog.h>

#include "monotube/errors.hpp"
#include "monotube/log.hpp"
#include "monotube/storage/storage.hpp"

namespace monotube::http {

Response ErrorToResponse(std::exception_ptr error, std::string_view request_id) {
  log::RequestIdScope scope(request_id);
  try {
    std::rethrow_exception(error);
  } catch (const RateLimited& e) {
    auto response = Response::Error(static_cast<Status>(e.status()), e.code(), e.what());
    response.headers.set(bhttp::field::retry_after, std::to_string(e.retry_after_seconds()));
    return response;
  } catch (const InvalidFields& e) {
    nlohmann::json body = {{"error", {{"code", e.code()}, {"message", e.what()}, {"fields", nlohmann::json::object()}}}};
    for (const auto& [name, field] : e.fields())
      body["error"]["fields"][name] = {{"code", field.code}, {"message", field.message}};
    return Response::Json(body, static_cast<Status>(e.status()));
  } catch (const storage::RangeNotSatisfiable& e) {
    // RFC 9110 §15.5.17: a 416 tells the client the current length.
    auto response = Response::Error(static_cast<Status>(e.status()), e.code(), e.what());
    response.headers.set(bhttp::field::content_range, "bytes */" + std::to_string(e.total_size()));
    return response;
  } catch (const Error& e) {
    if (e.status() >= 500) spdlog::warn("answered {} {}: {}", e.status(), e.code(), e.what());
    return Response::Error(static_cast<Status>(e.status()), e.code(), e.what());
  } catch (const std::exception& e) {
    spdlog::error("unhandled error: {}", e.what());
  } catch (...) {
    spdlog::error("unhandled error of an unknown type");
  }
  return Response::Error(Status::internal_server_error, "internal_error",
                         "Something went wrong on our side. It has been logged with request id " +
                             std::string(request_id) + ".");
}

}  // namespace monotube::http
