#include "lutra/experiments/cli.hpp"

int main(int argc, char** argv) { return lutra::experiments::run_cli(argc, argv); }
