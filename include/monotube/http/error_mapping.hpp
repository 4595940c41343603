#pragma once
// The one place where exceptions become HTTP answers. monotube::Error subclasses map
// to their status and code with their (client-safe) message; anything else is a bug
// or an outage: logged in full with the request id, answered 500 without details.
#include <exception>
#include <string_view>

#include "monotube/http/message.hpp"

namespace monotube::http {

Response ErrorToResponse(std::exception_ptr error, std::string_view request_id);

}  // namespace monotube::http
