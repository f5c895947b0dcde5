#include "hunter/devnet/devnet.hpp"

int main(int argc, char** argv) { return hunter::devnet::devnetMain(argc, argv); }
