#include "monotube/http/json_fields.hpp"

#include "monotube/errors.hpp"

namespace monotube::http {

nlohmann::json JsonObject(const Request& request) {
  if (request.body.empty()) return nlohmann::json::object();
  nlohmann::json body = request.Json();
  if (!body.is_object()) throw InvalidInput("invalid_body", "The request body must be a JSON object.");
  return body;
}

std::string RequiredString(const nlohmann::json& body, const std::string& field) {
  auto value = OptionalString(body, field);
  if (!value) ThrowFieldError(field, InvalidInput("missing_field", "This field is required."));
  return *value;
}

std::optional<std::string> OptionalString(const nlohmann::json& body, const std::string& field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) ThrowFieldError(field, InvalidInput("invalid_field", "This field must be text."));
  return it->get<std::string>();
}

}  // namespace monotube::http
