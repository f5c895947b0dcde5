#include "devnet_harness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#ifndef HUNTER_DEVNET_BIN
#error "HUNTER_DEVNET_BIN must name the hunter-devnet binary"
#endif

namespace hunter::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string tomlString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

JsonReply toJsonReply(const adapters::HttpReply& r) {
  JsonReply out;
  out.status = r.status;
  out.body = r.body;
  out.elapsed = r.elapsed;
  out.json = json::parse(r.body, nullptr, false);
  if (out.json.is_discarded()) out.json = nullptr;
  return out;
}

}  // namespace

std::string DevnetProcess::configToml(const DevnetOptions& o, const std::string& state_dir) {
  std::ostringstream t;
  t << "# written by DevnetProcess\n"
    << "block_ms = " << o.block_ms << "\n"
    << "chain_port = 0\n"
    << "worker_base_port = 0\n"
    << "state_dir = " << tomlString(state_dir) << "\n"
    << "hunter_key_out = \"dev-hunter.key\"\n"
    << o.extra_toml << "\n";
  for (const auto& c : o.clusters) {
    t << "[[clusters]]\n"
      << "alias = " << tomlString(c.alias) << "\n"
      << (c.id.empty() ? "" : "id = " + tomlString(c.id) + "\n") << "workers = " << c.workers
      << "\n"
      << "threshold = " << c.threshold << "\n"
      << "reward_per_message = " << tomlString(c.reward_per_message) << "\n"
      << "rate = " << c.rate << "\n"
      << "payload_size = " << c.payload_size << "\n"
      << "initial_backlog = " << c.initial_backlog << "\n"
      << c.extra_toml << "\n";
  }
  return t.str();
}

Result<std::unique_ptr<DevnetProcess>> DevnetProcess::start(const DevnetOptions& options) {
  std::unique_ptr<DevnetProcess> p(new DevnetProcess());
  std::string tmpl = (fs::temp_directory_path() / "hunter-devnet-XXXXXX").string();
  if (!options.state_dir.empty()) {
    p->dir_ = options.state_dir;
    p->owns_dir_ = false;
  } else if (!::mkdtemp(tmpl.data())) {
    return makeError("io", "mkdtemp failed");
  } else {
    p->dir_ = tmpl;
  }
  std::string config = p->dir_ + "/devnet.toml";
  std::ofstream(config) << configToml(options, p->dir_);
  std::string log = p->dir_ + "/devnet.log";

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return makeError("io", "pipe failed");
  // Everything the child needs is built before fork(): after it, only async-signal-safe calls.
  const char* bin = HUNTER_DEVNET_BIN;
  std::string dir = p->dir_;
  if (options.hunter_config_out) p->hunter_config_out_ = p->dir_ + "/devnet-hunter.toml";
  std::string config_out = p->hunter_config_out_;
  std::vector<char*> argv = {const_cast<char*>(bin),
                             const_cast<char*>("--config"),
                             config.data(),
                             const_cast<char*>("--state-dir"),
                             dir.data(),
                             const_cast<char*>("--print-json")};
  if (!config_out.empty()) {
    argv.push_back(const_cast<char*>("--hunter-config-out"));
    argv.push_back(config_out.data());
  }
  argv.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return makeError("io", "fork failed");
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int logfd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fds[1], STDOUT_FILENO);
    if (logfd >= 0) ::dup2(logfd, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execv(bin, argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  p->pid_ = pid;
  p->stdout_fd_ = fds[0];
  p->http_ = std::make_unique<adapters::HttpClient>();

  // Read the endpoints line.
  std::string line;
  auto deadline = Clock::now() + options.start_timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return makeError("timeout",
                       "hunter-devnet printed no endpoints in time; log:\n" + p->logTail());
    }
    pollfd pfd{p->stdout_fd_, POLLIN, 0};
    int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buf[4096];
    ssize_t got = ::read(p->stdout_fd_, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      return makeError("exited",
                       "hunter-devnet exited before printing its endpoints; log:\n" + p->logTail());
    }
    line.append(buf, static_cast<size_t>(got));
    auto nl = line.find('\n');
    if (nl != std::string::npos) {
      line.resize(nl);
      break;
    }
  }
  p->endpoints_ = json::parse(line, nullptr, false);
  if (p->endpoints_.is_discarded() || !p->endpoints_.is_object()) {
    return makeError("bad_output", "hunter-devnet printed a line that is not JSON: " + line);
  }
  try {
    p->chain_url_ = p->endpoints_.at("chain").get<std::string>();
    p->admin_url_ = p->endpoints_.at("admin").get<std::string>();
    p->hunter_key_ = p->endpoints_.at("hunter_key").get<std::string>();
    for (const auto& c : p->endpoints_.at("clusters")) {
      DevnetClusterInfo info;
      auto id = fixedFromHex<32>(c.at("id").get<std::string>());
      if (!id.ok()) return id.error();
      info.id = *id;
      info.alias = c.at("alias").get<std::string>();
      info.threshold = c.at("threshold").get<uint32_t>();
      info.workers = c.at("workers").get<std::vector<std::string>>();
      for (const auto& k : c.at("public_keys")) {
        auto pk = fixedFromHex<33>(k.get<std::string>());
        if (!pk.ok()) return pk.error();
        info.public_keys.push_back(*pk);
      }
      p->clusters_.push_back(std::move(info));
    }
  } catch (const std::exception& e) {
    return makeError("bad_output", std::string("unexpected endpoints JSON: ") + e.what());
  }
  return p;
}

DevnetProcess::~DevnetProcess() {
  if (pid_ > 0) (void)terminate(std::chrono::seconds(10));
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  if (!dir_.empty() && owns_dir_) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

Result<int> DevnetProcess::terminate(std::chrono::milliseconds deadline) {
  if (pid_ <= 0) return makeError("not_running", "hunter-devnet is not running");
  ::kill(pid_, SIGTERM);
  auto until = Clock::now() + deadline;
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0 && errno != EINTR) {
      pid_ = -1;
      return makeError("wait", "waitpid failed");
    }
    if (Clock::now() >= until) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      return makeError("timeout", "hunter-devnet did not exit after SIGTERM; log:\n" + logTail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string DevnetProcess::logTail(size_t bytes) const {
  std::ifstream in(dir_ + "/devnet.log", std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

Result<crypto::SecretKey> DevnetProcess::hunterKey() const {
  std::ifstream in(hunter_key_);
  std::string text;
  in >> text;
  return crypto::SecretKey::fromHex(text);
}

Result<JsonReply> DevnetProcess::post(const std::string& url, const std::string& body,
                                      std::chrono::milliseconds timeout) {
  std::lock_guard lock(http_mu_);
  adapters::HttpCall call;
  call.url = url;
  call.body = body;
  call.timeout = timeout;
  auto r = http_->post(call);
  if (!r.ok()) return r.error();
  return toJsonReply(*r);
}

Result<json> DevnetProcess::setFault(const json& body) {
  // A fault is idempotent: a call that got no answer or a 5xx is made again (seen once under
  // ASan in CI: the admin server dropped the call while the hunter kept it busy).
  Error last = makeError("fault", "POST /devnet/fault: not sent");
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
    auto r = post(admin_url_ + "/fault", body.dump(), std::chrono::seconds(30));
    if (!r.ok()) {
      last = r.error();
      continue;
    }
    if (r->status == 200) return r->json;
    last = makeError("fault", "POST /devnet/fault -> " + std::to_string(r->status) + " " + r->body);
    if (r->status < 500) break;
  }
  return last;
}

Result<json> DevnetProcess::state() {
  std::lock_guard lock(http_mu_);
  adapters::HttpCall call;
  call.url = admin_url_ + "/state";
  call.timeout = std::chrono::seconds(10);
  auto r = http_->get(call);
  if (!r.ok()) return r.error();
  if (r->status != 200) {
    return makeError("state", "GET /devnet/state -> " + std::to_string(r->status) + " " + r->body);
  }
  json j = json::parse(r->body, nullptr, false);
  if (j.is_discarded()) return makeError("state", "GET /devnet/state: not JSON");
  return j;
}

Result<json> DevnetProcess::rpc(const std::string& method, json params) {
  uint64_t id;
  {
    std::lock_guard lock(http_mu_);
    id = ++rpc_id_;
  }
  json req = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
  HUNTER_TRY(JsonReply r, post(chain_url_, req.dump(), std::chrono::seconds(10)));
  if (r.status != 200 || !r.json.is_object()) {
    return makeError("http", method + " -> HTTP " + std::to_string(r.status) + " " + r.body);
  }
  return r.json;
}

Result<json> DevnetProcess::rpcResult(const std::string& method, json params) {
  HUNTER_TRY(json r, rpc(method, std::move(params)));
  if (r.contains("error")) return makeError("rpc_error", method + ": " + r["error"].dump());
  return r.value("result", json());
}

Result<JsonReply> DevnetProcess::workerCall(size_t cluster, size_t worker,
                                            const std::string& method, const json& body,
                                            std::chrono::milliseconds timeout) {
  const std::string& base = clusters_.at(cluster).workers.at(worker);
  return post(base + "/prpc/PhactoryAPI." + method + "?json", body.dump(), timeout);
}

bool DevnetProcess::waitUntil(const std::function<bool()>& pred, std::chrono::milliseconds deadline,
                              std::chrono::milliseconds interval) {
  auto until = Clock::now() + deadline;
  for (;;) {
    if (pred()) return true;
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(interval);
  }
}

}  // namespace hunter::testing
