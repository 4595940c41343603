#pragma once
// Operational endpoints: /healthz (alive), /readyz (dependencies reachable),
// /metrics (Prometheus).
#include "monotube/http/router.hpp"

namespace monotube::app {

class App;
void RegisterOpsRoutes(http::Router& router, App& app);

}  // namespace monotube::app
