// Helpers shared by the command groups: running an action, one-line messages, input and output.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "commands.hpp"

namespace hunter::cli {
namespace {

// One line, whatever the message holds (a path or a JSON excerpt may contain control
// characters).
std::string oneLine(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  return out;
}

Result<std::string> readFd(int fd, const std::string& name, size_t max_bytes) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      return makeError("io", fmt::format("cannot read {}: {}", name, std::strerror(errno)));
    }
    if (r == 0) break;
    if (out.size() + static_cast<size_t>(r) > max_bytes) {
      return makeError("io", fmt::format("{} is larger than {} bytes", name, max_bytes));
    }
    out.append(buf, static_cast<size_t>(r));
  }
  return out;
}

}  // namespace

void setAction(CLI::App* cmd, std::function<Status()> body) {
  cmd->callback([body = std::move(body)] {
    Status st = body();
    if (!st.ok()) {
      printError(st.error().message);
      throw CLI::RuntimeError(kExitUsage);
    }
  });
}

void printWarning(std::string_view message) {
  std::fflush(stdout);  // keep the order of stdout and stderr when both go to one terminal
  fmt::print(stderr, "hunter: warning: {}\n", oneLine(message));
}

void printError(std::string_view message) {
  std::fflush(stdout);
  fmt::print(stderr, "hunter: error: {}\n", oneLine(message));
}

void printJson(const nlohmann::json& j) {
  // Replace rather than throw on invalid UTF-8 (a file name can hold any bytes).
  fmt::print("{}\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
}

Result<std::string> readInput(const std::string& path, size_t max_bytes) {
  if (path == "-") return readFd(STDIN_FILENO, "standard input", max_bytes);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return makeError("io", fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  }
  auto out = readFd(fd, path, max_bytes);
  ::close(fd);
  return out;
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  size_t b = text.find_first_not_of(kSpace);
  if (b == text.npos) return {};
  size_t e = text.find_last_not_of(kSpace);
  return text.substr(b, e - b + 1);
}

}  // namespace hunter::cli
