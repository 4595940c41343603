#pragma once
// The command line: `monotube [serve|migrate|user create|healthcheck|config|version|help]`.
namespace monotube::app {

// Returns the process exit code: 0 success, 1 failure, 2 bad usage or configuration.
int RunCommandLine(int argc, char** argv);

}  // namespace monotube::app
