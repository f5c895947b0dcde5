#pragma once
// The `hunter` executable. Each command group registers its subcommands on the root app from its
// own file (key_commands.cpp, message_commands.cpp, ...); main() parses the command line, runs
// the selected command and turns the outcome into the exit code. A new group adds a
// register*Commands function here and a call in main.cpp.
#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "hunter/app/service.hpp"
#include "hunter/util/result.hpp"

namespace hunter::cli {

// Exit codes: app::ExitCode (hunter/app/service.hpp), the one table.
using app::kExitInternal;
using app::kExitOk;
using app::kExitUsage;

void registerKeyCommands(CLI::App& app);
void registerMessageCommands(CLI::App& app);
void registerExtrinsicCommands(CLI::App& app);
void registerStorageCommands(CLI::App& app);
// run, submit, status, rewards, retry, workers, explain (service_commands.cpp).
void registerServiceCommands(CLI::App& app);
// config check (config_commands.cpp).
void registerConfigCommands(CLI::App& app);

// Makes `body` the action of subcommand `cmd`. An error it returns is printed as the single line
// "hunter: error: <message>" on stderr and the process exits with kExitUsage (the action
// throws CLI::RuntimeError, which main() turns into that exit code).
void setAction(CLI::App* cmd, std::function<Status()> body);

// "hunter: warning: <message>" on stderr (one line).
void printWarning(std::string_view message);
// "hunter: error: <message>" on stderr (one line).
void printError(std::string_view message);

// JSON on stdout, pretty-printed, lower-case hex as built by the caller.
void printJson(const nlohmann::json& j);

// The whole content of `path`, or of standard input for "-". Refuses more than `max_bytes`.
// Errors name the file ("cannot read msg.json: No such file or directory").
Result<std::string> readInput(const std::string& path, size_t max_bytes);

// `text` without leading and trailing whitespace.
std::string_view trim(std::string_view text);

}  // namespace hunter::cli
