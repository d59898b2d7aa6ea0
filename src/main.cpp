// hutch: run programs in a rootless sandbox. Everything lives in the library (src/*/);
// this file only hands over to the command line.
#include "cli/cli.hpp"

int main(int argc, char** argv) { return hutch::cli::main(argc, argv); }
