#pragma once
// Reading fields of a JSON request body with answers a form can show: a missing or
// mistyped field is a 400 that names the field (InvalidFields). Pure functions.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "monotube/http/message.hpp"

namespace monotube::http {

// The body as a JSON object; 400 invalid_json / invalid_body otherwise. An empty body is {}.
nlohmann::json JsonObject(const Request& request);
// A string field that must be present.
std::string RequiredString(const nlohmann::json& body, const std::string& field);
// A string field that may be absent (or null).
std::optional<std::string> OptionalString(const nlohmann::json& body, const std::string& field);

}  // namespace monotube::http
