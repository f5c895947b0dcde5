// https:// worker and chain endpoints with a private CA (README "Security").
//
// The devnet speaks plain HTTP, so each of its endpoints gets a TLS-terminating socat proxy on
// loopback whose certificate (for localhost and 127.0.0.1) is signed by a CA made for the test
// with openssl. The hunter reaches everything only through https:// URLs.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <thread>

#include "hunter_harness.hpp"

namespace hunter::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// A port that was free a moment ago (socat cannot report a port it picked itself).
uint16_t freePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

bool accepting(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

// socat OPENSSL-LISTEN on 127.0.0.1:port() forwarding to 127.0.0.1:target. Its own process group,
// so stopping it also stops the children it forked per connection.
class TlsProxy {
 public:
  TlsProxy(uint16_t target, const std::string& cert, const std::string& key) {
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      uint16_t port = freePort();
      std::string listen = "OPENSSL-LISTEN:" + std::to_string(port) +
                           ",bind=127.0.0.1,reuseaddr,fork,verify=0,cert=" + cert + ",key=" + key;
      std::string connect = "TCP:127.0.0.1:" + std::to_string(target);
      pid_t pid = fork();
      if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        execlp("socat", "socat", "-lf", "/dev/null", listen.c_str(), connect.c_str(), nullptr);
        _exit(127);
      }
      auto until = std::chrono::steady_clock::now() + 10s;
      while (std::chrono::steady_clock::now() < until) {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
          pid = -1;  // exited: the port was taken meanwhile, or no socat
          break;
        }
        if (accepting(port)) {
          pid_ = pid;
          port_ = port;
          break;
        }
        std::this_thread::sleep_for(20ms);
      }
      if (pid > 0 && pid_ <= 0) stop(pid);
    }
  }
  ~TlsProxy() {
    if (pid_ > 0) stop(pid_);
  }
  TlsProxy(const TlsProxy&) = delete;
  TlsProxy& operator=(const TlsProxy&) = delete;
  bool ok() const { return pid_ > 0; }
  uint16_t port() const { return port_; }

 private:
  static void stop(pid_t pid) {
    kill(-pid, SIGTERM);
    int status = 0;
    auto until = std::chrono::steady_clock::now() + 10s;
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > until) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
  }
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

// A CA and a server certificate for localhost / 127.0.0.1 signed by it, in dir.
bool makeCertificates(const std::string& dir) {
  std::ofstream(dir + "/ext.cnf") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                     "basicConstraints=CA:FALSE\n";
  const std::string q = " >>" + dir + "/openssl.log 2>&1";
  const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  std::vector<std::string> cmds = {
      "openssl req -x509" + ec + " -keyout " + dir + "/ca.key -out " + dir +
          "/ca.pem -days 2 -subj '/CN=hunter test CA'",
      "openssl req" + ec + " -keyout " + dir + "/server.key -out " + dir +
          "/server.csr -subj '/CN=localhost'",
      "openssl x509 -req -in " + dir + "/server.csr -CA " + dir + "/ca.pem -CAkey " + dir +
          "/ca.key -CAcreateserial -out " + dir + "/server.pem -days 2 -extfile " + dir +
          "/ext.cnf",
  };
  for (const auto& c : cmds) {
    if (std::system((c + q).c_str()) != 0) return false;
  }
  return true;
}

uint16_t portOf(const std::string& url) {
  auto colon = url.rfind(':');
  return static_cast<uint16_t>(std::stoi(url.substr(colon + 1)));
}

struct TlsSetup {
  std::unique_ptr<DevnetProcess> devnet;
  std::vector<std::unique_ptr<TlsProxy>> proxies;
  std::string config_plain;  // the hunter config with https:// URLs, no ca_file
  std::string ca;
};

// Starts a devnet with `backlog` messages, one proxy per endpoint, and writes a hunter config
// whose every URL is https://localhost:<proxy>.
void startTls(TlsSetup& s, uint64_t backlog) {
  DevnetOptions o;
  o.clusters[0].initial_backlog = backlog;
  o.clusters[0].rate = 0;
  s.devnet = startDevnet(o);
  ASSERT_TRUE(s.devnet);
  const std::string dir = s.devnet->dir();
  ASSERT_TRUE(makeCertificates(dir)) << readFile(dir + "/openssl.log");
  s.ca = dir + "/ca.pem";
  std::string text = readFile(writeHunterConfig(*s.devnet, dir));
  std::vector<std::string> urls = {s.devnet->chainUrl()};
  for (const auto& w : s.devnet->clusters()[0].workers) urls.push_back(w);
  for (const auto& url : urls) {
    auto p = std::make_unique<TlsProxy>(portOf(url), dir + "/server.pem", dir + "/server.key");
    ASSERT_TRUE(p->ok()) << "socat did not start a TLS proxy for " << url
                         << " (scripts/setup-deps.sh installs socat)";
    const std::string https = "https://localhost:" + std::to_string(p->port());
    auto at = text.find("\"" + url + "\"");
    ASSERT_NE(at, std::string::npos) << url << " not in the config:\n" << text;
    text.replace(at + 1, url.size(), https);
    s.proxies.push_back(std::move(p));
  }
  ASSERT_EQ(text.find("http://"), std::string::npos) << text;
  s.config_plain = text;
}

std::string writeConfig(const TlsSetup& s, const std::string& name, const std::string& ca_line) {
  std::string text = s.config_plain;
  text.replace(text.find("[hunter]\n"), 9, "[hunter]\n" + ca_line);
  std::string path = s.devnet->dir() + "/" + name + ".toml";
  std::ofstream(path) << text;
  return path;
}

TEST(HunterTls, HttpsEndpointsWithAPrivateCaRelayEveryMessage) {
  TlsSetup s;
  startTls(s, 20);
  if (HasFatalFailure()) return;
  const std::string cfg = writeConfig(s, "tls", "ca_file = \"" + s.ca + "\"\n");

  auto check = runHunter({"config", "check", "--config", cfg});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  auto r = runHunter({"submit", "--config", cfg, "--cluster", "alpha", "--max", "20"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("accepted 20"), std::string::npos) << r.out << r.err;
  EXPECT_GE(chainNextSn(*s.devnet, s.devnet->clusters()[0].id), 20u);

  // status reaches the chain and every worker through TLS too.
  auto st = runHunter({"status", "--config", cfg, "--json"});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  json j = jsonOf(st);
  EXPECT_TRUE(j["chain"]["reachable"].get<bool>()) << st.out;
  for (auto& w : j["clusters"][0]["workers"]) {
    EXPECT_FALSE(w.contains("error")) << w.dump();
  }
}

TEST(HunterTls, UnknownCaIsRefusedWithAClearErrorAndNothingIsSent) {
  TlsSetup s;
  startTls(s, 5);
  if (HasFatalFailure()) return;
  // The system's CA bundle does not know the test CA.
  const std::string cfg = writeConfig(s, "no-ca", "");
  auto r = runHunter({"submit", "--config", cfg, "--cluster", "alpha", "--max", "5"});
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;  // unreachable
  const std::string all = r.out + r.err;
  EXPECT_NE(all.find("TLS"), std::string::npos) << all;
  EXPECT_NE(all.find("hunter.ca_file"), std::string::npos) << all;
  EXPECT_EQ(chainNextSn(*s.devnet, s.devnet->clusters()[0].id), 0u);

  // A CA file that does not exist is a config problem, named by `config check`.
  const std::string missing = writeConfig(s, "missing-ca", "ca_file = \"/nonexistent/ca.pem\"\n");
  auto check = runHunter({"config", "check", "--config", missing});
  EXPECT_NE(check.exit_code, 0);
  EXPECT_NE((check.out + check.err).find("hunter.ca_file"), std::string::npos)
      << check.out << check.err;
}

}  // namespace
}  // namespace hunter::testing
