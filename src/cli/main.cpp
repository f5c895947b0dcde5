// hunter: the relayer's command line. Each command group registers itself (commands.hpp); this
// file only parses, runs and maps the outcome to an exit code:
//   0 success; 1 an unexpected internal failure; 2 a usage error or bad input (one line on
//   stderr). No exception leaves main().
#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "commands.hpp"

namespace {

// The command path the user selected ("hunter key generate"), for the --help hint.
std::string selectedCommand(const CLI::App* app) {
  std::string path = app->get_name();
  const CLI::App* cur = app;
  for (;;) {
    auto subs = cur->get_subcommands();
    if (subs.empty()) break;
    cur = subs.front();
    path += " " + cur->get_name();
  }
  return path;
}

// CLI11's errors as the single line every hunter error is.
std::string failureMessage(const CLI::App* app, const CLI::Error& e) {
  std::string command = selectedCommand(app);
  const CLI::App* cur = app;
  while (!cur->get_subcommands().empty()) cur = cur->get_subcommands().front();
  // CLI11 reports "hunter bogus" as a missing subcommand; say what is actually wrong.
  if (cur->get_require_subcommand_min() > 0 && !cur->remaining().empty()) {
    return fmt::format("hunter: error: unknown command '{}' (see '{} --help')\n",
                       cur->remaining().front(), command);
  }
  return fmt::format("hunter: error: {} (see '{} --help')\n", e.what(), command);
}

// Standard output must reach its destination; a full disk or closed pipe is an error.
int finish(int code) {
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fputs("hunter: error: cannot write to standard output\n", stderr);
    return hunter::cli::kExitInternal;
  }
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace hunter::cli;
  try {
    CLI::App app{
        "hunter: relayer for multi-signed cluster egress queues (PhalaClusterMq). run, submit, "
        "status, rewards and workers relay messages and report on them; key, message, "
        "extrinsic and storage-key work offline on the wire formats of docs/protocol.md.",
        "hunter"};
    app.set_version_flag("--version", "hunter " HUNTER_VERSION);
    app.require_subcommand(1);
    app.failure_message(failureMessage);

    registerKeyCommands(app);
    registerMessageCommands(app);
    registerExtrinsicCommands(app);
    registerStorageCommands(app);
    registerServiceCommands(app);
    registerConfigCommands(app);

    app.footer(
        "Exit codes: 0 success, 2 usage error, bad input or bad config (one line on stderr), 1 "
        "internal failure; submit also uses 3 stuck, 4 rejected, 5 unreachable.\nRun 'hunter "
        "COMMAND --help' for a command's arguments.");

    try {
      app.parse(argc, argv);
    } catch (const CLI::RuntimeError& e) {
      // A command's action failed and has printed its error line.
      return finish(e.get_exit_code());
    } catch (const CLI::Error& e) {
      // Help and version exit 0; every parse error is a usage error.
      int code = app.exit(e);
      return finish(code == 0 ? kExitOk : kExitUsage);
    }
    return finish(kExitOk);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "hunter: error: internal: %s\n", e.what());
    return kExitInternal;
  } catch (...) {
    std::fflush(stdout);
    std::fputs("hunter: error: internal: unknown exception\n", stderr);
    return kExitInternal;
  }
}
