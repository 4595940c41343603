#include "src/app/cli.hpp"

int main(int argc, char** argv) { return monotube::app::RunCommandLine(argc, argv); }
