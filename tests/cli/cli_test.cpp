// `hunter` as a user runs it: every test spawns the built binary (HUNTER_BIN), feeds its
// standard input, and checks standard output, standard error and the exit code. Expected values
// come from the reference vectors (HUNTER_VECTORS_FILE), not from the code under test.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "hunter/codec/scale.hpp"
#include "hunter/crypto/keys.hpp"
#include "hunter/crypto/ss58.hpp"

extern char** environ;

namespace {

using nlohmann::json;
using namespace hunter;

// A write to the stdin pipe of a child that has already exited must fail with EPIPE, not kill
// the test. The child gets the default disposition back (POSIX_SPAWN_SETSIGDEF below).
const bool kSigpipeIgnored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

constexpr auto kRunTimeout = std::chrono::seconds(60);

struct RunResult {
  int code = -1;   // exit status, -1 if the process did not exit normally
  int signal = 0;  // the signal that ended it, if any
  std::string out;
  std::string err;
};

std::ostream& operator<<(std::ostream& os, const RunResult& r) {
  return os << "exit " << r.code << " signal " << r.signal << "\n--- stdout ---\n"
            << r.out << "--- stderr ---\n"
            << r.err;
}

void closeFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Runs `hunter args...` with `input` on its standard input and collects everything it writes.
RunResult run(const std::vector<std::string>& args, const std::string& input = "") {
  RunResult r;
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> argvStrings{HUNTER_BIN};
  argvStrings.insert(argvStrings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argvStrings) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = -1;
  int rc = posix_spawn(&pid, HUNTER_BIN, &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  closeFd(in[0]);
  closeFd(out[1]);
  closeFd(err[1]);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn " << HUNTER_BIN << ": " << std::strerror(rc);
    closeFd(in[1]);
    closeFd(out[0]);
    closeFd(err[0]);
    return r;
  }

  ::fcntl(in[1], F_SETFL, O_NONBLOCK);
  size_t written = 0;
  if (input.empty()) closeFd(in[1]);
  const auto deadline = std::chrono::steady_clock::now() + kRunTimeout;
  while (out[0] >= 0 || err[0] >= 0) {
    std::vector<pollfd> fds;
    if (in[1] >= 0) fds.push_back({in[1], POLLOUT, 0});
    if (out[0] >= 0) fds.push_back({out[0], POLLIN, 0});
    if (err[0] >= 0) fds.push_back({err[0], POLLIN, 0});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      ADD_FAILURE() << "hunter did not finish within " << kRunTimeout.count() << " s";
      break;
    }
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) {
      ADD_FAILURE() << "poll: " << std::strerror(errno);
      ::kill(pid, SIGKILL);
      break;
    }
    for (const auto& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in[1]) {
        ssize_t w = ::write(in[1], input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN && errno != EINTR) closeFd(in[1]);  // EPIPE: it stopped
        if (written == input.size()) closeFd(in[1]);
        continue;
      }
      char buf[65536];
      ssize_t got = ::read(p.fd, buf, sizeof buf);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      std::string& sink = p.fd == out[0] ? r.out : r.err;
      if (got <= 0) {
        closeFd(p.fd == out[0] ? out[0] : err[0]);
      } else {
        sink.append(buf, static_cast<size_t>(got));
      }
    }
  }
  closeFd(in[1]);
  closeFd(out[0]);
  closeFd(err[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) r.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

// Exit code 2, nothing on stdout, and exactly one line "hunter: error: ..." on stderr that
// contains `what`.
testing::AssertionResult isOneLineError(const RunResult& r, const std::string& what) {
  if (r.code != 2) return testing::AssertionFailure() << "expected exit 2, got\n" << r;
  if (!r.out.empty()) return testing::AssertionFailure() << "expected empty stdout, got\n" << r;
  if (std::count(r.err.begin(), r.err.end(), '\n') != 1 || r.err.back() != '\n') {
    return testing::AssertionFailure() << "expected exactly one line on stderr, got\n" << r;
  }
  if (r.err.rfind("hunter: error: ", 0) != 0) {
    return testing::AssertionFailure() << "expected 'hunter: error: ' first, got\n" << r;
  }
  if (r.err.find(what) == std::string::npos) {
    return testing::AssertionFailure() << "expected '" << what << "' in the error, got\n" << r;
  }
  return testing::AssertionSuccess();
}

testing::AssertionResult succeeded(const RunResult& r) {
  if (r.code == 0 && r.signal == 0) return testing::AssertionSuccess();
  return testing::AssertionFailure() << r;
}

const json& vectors() {
  static const json j = [] {
    std::ifstream f(HUNTER_VECTORS_FILE);
    return json::parse(f);
  }();
  return j;
}

std::string str(const json& v) { return v.get<std::string>(); }

// The value of the first line "label: value" (whitespace-trimmed), or "" when there is none.
std::string field(const std::string& text, const std::string& label) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(label + ":", 0) != 0) continue;
    std::string v = line.substr(label.size() + 1);
    v.erase(0, v.find_first_not_of(' '));
    return v;
  }
  return "";
}

// The part of `extrinsic decode` text output that describes message i.
std::string messageSection(const std::string& text, size_t i) {
  std::string start = "message " + std::to_string(i) + ":";
  size_t b = text.find("\n" + start);
  if (b == std::string::npos) return "";
  size_t e = text.find("\nmessage " + std::to_string(i + 1) + ":", b + 1);
  return text.substr(b + 1, e == std::string::npos ? std::string::npos : e - b);
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Re-encodes `body` with a correct length prefix (to test what lies past the prefix check).
std::string withLengthPrefix(const Bytes& body) {
  codec::Encoder e;
  e.bytes(body);
  return toHex(e.data());
}

Bytes extrinsicBody(const std::string& hex) {
  Bytes all = fromHex(hex).value();
  codec::Decoder d(all);
  size_t prefix = codec::compactSize(d.compact().value());
  return Bytes(all.begin() + static_cast<std::ptrdiff_t>(prefix), all.end());
}

// The vector message as the JSON `message hash` reads: the §3 fields plus "cluster".
json messageJson(const json& v) {
  json m;
  for (auto f : {"cluster", "sn", "destination", "payload", "prev_hash", "state_root", "hash"}) {
    m[f] = v[f];
  }
  return m;
}

class TempDir : public testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hunter-cli-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void writeFile(const std::string& p, const std::string& content, mode_t mode = 0600) const {
    {
      std::ofstream f(p, std::ios::binary | std::ios::trunc);
      f << content;
    }
    ASSERT_EQ(::chmod(p.c_str(), mode), 0);
  }
  static std::string readFile(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }

  std::filesystem::path dir_;
};

// ---------------------------------------------------------------------------------------------
// extrinsic decode

TEST(ExtrinsicDecode, VectorsText) {
  const auto& msgs = vectors()["cluster_messages"];
  ASSERT_EQ(str(vectors()["hunter"]["account_id"]),
            str(vectors()["extrinsics"][0]["signer_account"]));
  const std::string signerSs58 = str(vectors()["hunter"]["ss58"]);
  for (const auto& v : vectors()["extrinsics"]) {
    SCOPED_TRACE(str(v["tx_hash"]));
    auto r = run({"extrinsic", "decode", str(v["extrinsic"])});
    ASSERT_TRUE(succeeded(r));
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(field(r.out, "signer"), str(v["signer_account"]));
    EXPECT_EQ(field(r.out, "signer ss58"), signerSs58);
    EXPECT_EQ(field(r.out, "nonce"), str(v["nonce"]));
    EXPECT_EQ(field(r.out, "tip"), str(v["tip"]));
    EXPECT_EQ(field(r.out, "tx hash"), str(v["tx_hash"]));
    EXPECT_NE(field(r.out, "call").find("PhalaClusterMq." + str(v["call_name"]) + " "),
              std::string::npos)
        << r.out;
    if (v["era_period"].get<int>() == 0) {
      EXPECT_EQ(field(r.out, "era"), "immortal");
    } else {
      uint64_t period = v["era_period"].get<uint64_t>();
      uint64_t phase = std::stoull(str(v["era_start"])) % period;
      EXPECT_EQ(field(r.out, "era"),
                "mortal, period " + std::to_string(period) + ", phase " + std::to_string(phase));
    }
    for (size_t i = 0; i < v["messages"].size(); ++i) {
      const auto& m = msgs.at(v["messages"][i].get<size_t>());
      std::string section = messageSection(r.out, i);
      ASSERT_FALSE(section.empty()) << r.out;
      EXPECT_EQ(field(section, "message " + std::to_string(i)), "sn " + str(m["sn"]));
      EXPECT_NE(section.find("  hash:        " + str(m["hash"]) + "\n"), std::string::npos)
          << section;
      size_t used = v["signatures_used"][i].get<size_t>();
      for (size_t s = 0; s < used; ++s) {
        std::string line = "  signature " + std::to_string(s) + ": " +
                           str(m["signatures"][s]["signature"]) + " recovers to " +
                           str(m["signatures"][s]["public_key"]) + "\n";
        EXPECT_NE(section.find(line), std::string::npos) << "missing " << line << section;
      }
      EXPECT_EQ(section.find("  signature " + std::to_string(used) + ":"), std::string::npos);
    }
    EXPECT_EQ(messageSection(r.out, v["messages"].size()), "");
  }
}

TEST(ExtrinsicDecode, VectorsJson) {
  const auto& msgs = vectors()["cluster_messages"];
  for (const auto& v : vectors()["extrinsics"]) {
    SCOPED_TRACE(str(v["tx_hash"]));
    auto r = run({"extrinsic", "decode", "--json", str(v["extrinsic"])});
    ASSERT_TRUE(succeeded(r));
    json out = json::parse(r.out);
    EXPECT_EQ(out["signer"], v["signer_account"]);
    EXPECT_EQ(out["signer_ss58"], vectors()["hunter"]["ss58"]);
    EXPECT_EQ(out["nonce"].get<uint64_t>(), std::stoull(str(v["nonce"])));
    EXPECT_EQ(out["tip"], v["tip"]);  // u128 as a decimal string
    EXPECT_EQ(out["tx_hash"], v["tx_hash"]);
    EXPECT_EQ(out["pallet"], "PhalaClusterMq");
    EXPECT_EQ(out["call"], v["call_name"]);
    EXPECT_EQ(out["length"].get<size_t>(), (str(v["extrinsic"]).size() - 2) / 2);
    if (v["era_period"].get<int>() == 0) {
      EXPECT_EQ(out["era"]["type"], "immortal");
    } else {
      EXPECT_EQ(out["era"]["type"], "mortal");
      EXPECT_EQ(out["era"]["period"], v["era_period"]);
    }
    EXPECT_EQ(out["warnings"], json::array());
    ASSERT_EQ(out["messages"].size(), v["messages"].size());
    for (size_t i = 0; i < v["messages"].size(); ++i) {
      const auto& m = msgs.at(v["messages"][i].get<size_t>());
      const auto& o = out["messages"][i];
      EXPECT_EQ(o["sn"].get<uint64_t>(), std::stoull(str(m["sn"])));
      for (auto f : {"hash", "cluster", "destination", "payload", "prev_hash", "state_root"}) {
        EXPECT_EQ(o[f], m[f]) << f;
      }
      size_t used = v["signatures_used"][i].get<size_t>();
      ASSERT_EQ(o["signatures"].size(), used);
      for (size_t s = 0; s < used; ++s) {
        EXPECT_EQ(o["signatures"][s]["signature"], m["signatures"][s]["signature"]);
        EXPECT_EQ(o["signatures"][s]["public_key"], m["signatures"][s]["public_key"]);
      }
    }
  }
}

TEST(ExtrinsicDecode, ReadsStdinWithUpperCaseAndWhitespace) {
  const auto& v = vectors()["extrinsics"][2];
  std::string hex = str(v["extrinsic"]);
  auto r = run({"extrinsic", "decode", "--json", "-"}, "  0X" + upper(hex.substr(2)) + "\n\n");
  ASSERT_TRUE(succeeded(r));
  EXPECT_EQ(json::parse(r.out)["tx_hash"], v["tx_hash"]);
}

TEST(ExtrinsicDecode, ReportsSignatureThatDoesNotRecover) {
  // Recovery id 2 in the last worker signature of vector 0: still decodes, and says why that
  // signature does not recover.
  Bytes body = extrinsicBody(str(vectors()["extrinsics"][0]["extrinsic"]));
  body.back() = 2;  // the call ends with the last signature, whose last byte is its recid
  auto r = run({"extrinsic", "decode", "--json", withLengthPrefix(body)});
  ASSERT_TRUE(succeeded(r));
  json out = json::parse(r.out);
  const auto& sig = out["messages"][0]["signatures"].back();
  EXPECT_FALSE(sig.contains("public_key"));
  EXPECT_NE(str(sig["error"]).find("recovery id 2"), std::string::npos) << sig;
  EXPECT_NE(r.err.find("hunter: warning: "), std::string::npos) << r.err;
  auto text = run({"extrinsic", "decode", withLengthPrefix(body)});
  ASSERT_TRUE(succeeded(text));
  EXPECT_NE(text.out.find("does not recover: recovery id 2"), std::string::npos) << text.out;
}

// ---------------------------------------------------------------------------------------------
// message hash

TEST_F(TempDir, MessageHashVectors) {
  size_t i = 0;
  for (const auto& v : vectors()["cluster_messages"]) {
    SCOPED_TRACE(str(v["hash"]));
    // From a file, sn as a decimal string (as the vectors carry it).
    std::string file = path("m" + std::to_string(i++) + ".json");
    writeFile(file, messageJson(v).dump());
    auto r = run({"message", "hash", file});
    ASSERT_TRUE(succeeded(r));
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(field(r.out, "hash"), str(v["hash"]));
    EXPECT_EQ(field(r.out, "scale"), str(v["encoded"]));
    EXPECT_EQ(field(r.out, "signing bytes"), "0xff10" + str(v["hash"]).substr(2));
    EXPECT_EQ(field(r.out, "sn"), str(v["sn"]));
    EXPECT_EQ(field(r.out, "cluster"), str(v["cluster"]));

    // From stdin, sn as a JSON number, no "hash" field, --json.
    json m = messageJson(v);
    m["sn"] = std::stoull(str(v["sn"]));
    m.erase("hash");
    auto j = run({"message", "hash", "--json", "-"}, m.dump());
    ASSERT_TRUE(succeeded(j));
    json out = json::parse(j.out);
    EXPECT_EQ(out["hash"], v["hash"]);
    EXPECT_EQ(out["scale"], v["encoded"]);
    EXPECT_EQ(out["signing_bytes"], "0xff10" + str(v["hash"]).substr(2));
    EXPECT_EQ(out["sn"].get<uint64_t>(), std::stoull(str(v["sn"])));
    EXPECT_EQ(out["warnings"], json::array());
  }
}

TEST(MessageHash, AcceptsUpperCaseHexAndUnknownFields) {
  const auto& v = vectors()["cluster_messages"][1];
  json m = messageJson(v);
  for (auto f : {"cluster", "destination", "payload", "prev_hash", "state_root", "hash"}) {
    m[f] = "0X" + upper(str(v[f]).substr(2));
  }
  m["something_new"] = {1, 2, 3};
  auto r = run({"message", "hash", "-"}, m.dump());
  ASSERT_TRUE(succeeded(r));
  EXPECT_EQ(field(r.out, "hash"), str(v["hash"]));
}

TEST(MessageHash, HashMismatchIsAnError) {
  json m = messageJson(vectors()["cluster_messages"][0]);
  m["hash"] = str(vectors()["cluster_messages"][1]["hash"]);
  auto r = run({"message", "hash", "-"}, m.dump());
  EXPECT_TRUE(isOneLineError(r, "field hash: " + str(m["hash"]) + " differs from the recomputed"));
}

TEST(MessageHash, RuleViolationWarnsButPrints) {
  json m = messageJson(vectors()["cluster_messages"][0]);
  m.erase("hash");
  m["destination"] = "0x2f74";  // "/t": reserved first character
  auto r = run({"message", "hash", "--json", "-"}, m.dump());
  ASSERT_TRUE(succeeded(r));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("hunter: warning: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("destination"), std::string::npos) << r.err;
  json out = json::parse(r.out);
  EXPECT_EQ(out["warnings"].size(), 1u);
  EXPECT_EQ(str(out["hash"]).size(), 66u);
}

TEST(MessageHash, LargeSnIsADecimalStringInJson) {
  json m = messageJson(vectors()["cluster_messages"][0]);
  m.erase("hash");
  m["sn"] = "18446744073709551615";
  auto r = run({"message", "hash", "--json", "-"}, m.dump());
  ASSERT_TRUE(succeeded(r));
  EXPECT_EQ(json::parse(r.out)["sn"], "18446744073709551615");
}

// ---------------------------------------------------------------------------------------------
// storage-key

TEST(StorageKey, Vectors) {
  for (const auto& v : vectors()["storage_keys"]) {
    std::string item = str(v["item"]);
    SCOPED_TRACE(item);
    std::vector<std::vector<std::string>> argLists;
    if (v.contains("cluster")) {
      std::vector<std::string> args{str(v["cluster"])};
      if (v.contains("sn")) args.push_back(str(v["sn"]));
      argLists.push_back(args);
    } else {
      argLists.push_back({str(v["account_id"])});
      for (const auto& k : vectors()["keys"]) {  // the same account as SS58
        if (k["account_id"] == v["account_id"]) argLists.push_back({str(k["ss58"])});
      }
      ASSERT_EQ(argLists.size(), 2u) << "no SS58 form of the account in the vectors";
    }
    std::vector<std::string> names{item};
    if (item.rfind("PhalaClusterMq.", 0) == 0) names.push_back(item.substr(15));
    for (const auto& name : names) {
      for (const auto& args : argLists) {
        std::vector<std::string> cmd{"storage-key", name};
        cmd.insert(cmd.end(), args.begin(), args.end());
        auto r = run(cmd);
        ASSERT_TRUE(succeeded(r));
        EXPECT_EQ(r.out, str(v["key"]) + "\n") << name << " " << args[0];
        EXPECT_EQ(r.err, "");
      }
    }
  }
}

TEST(StorageKey, JsonNamesTheItemItsArgsAndTheKey) {
  const auto& v = vectors()["storage_keys"][0];
  std::vector<std::string> cmd{"storage-key", str(v["item"])};
  if (v.contains("cluster")) cmd.push_back(str(v["cluster"]));
  if (v.contains("sn")) cmd.push_back(str(v["sn"]));
  if (v.contains("account_id")) cmd.push_back(str(v["account_id"]));
  cmd.push_back("--json");
  auto r = run(cmd);
  ASSERT_TRUE(succeeded(r)) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["key"], v["key"]);
  EXPECT_EQ(j["args"].size(), cmd.size() - 3);
}

// ---------------------------------------------------------------------------------------------
// key generate / inspect

TEST_F(TempDir, KeyGenerateThenInspect) {
  std::string file = path("hunter.key");
  auto gen = run({"key", "generate", "--out", file});
  ASSERT_TRUE(succeeded(gen));

  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, ::geteuid());
  std::string content = readFile(file);
  ASSERT_EQ(content.size(), 67u);
  ASSERT_EQ(content.substr(0, 2), "0x");
  ASSERT_EQ(content.back(), '\n');
  std::string secretHex = content.substr(2, 64);
  auto secret = crypto::SecretKey::fromHex(secretHex);
  ASSERT_TRUE(secret.ok());
  crypto::PublicKey pk = secret->publicKey();
  crypto::AccountId32 account = crypto::accountId(pk);

  EXPECT_EQ(field(gen.out, "public key"), toHex(pk));
  EXPECT_EQ(field(gen.out, "account id"), toHex(account));
  EXPECT_EQ(field(gen.out, "ss58"), crypto::ss58Encode(account, 30));

  auto ins = run({"key", "inspect", file});
  ASSERT_TRUE(succeeded(ins));
  EXPECT_EQ(ins.out, gen.out);

  auto js = run({"key", "inspect", "--json", file});
  ASSERT_TRUE(succeeded(js));
  json out = json::parse(js.out);
  EXPECT_EQ(out["public_key"], toHex(pk));
  EXPECT_EQ(out["account_id"], toHex(account));
  EXPECT_EQ(out["ss58"], crypto::ss58Encode(account, 30));

  for (const auto* r : {&gen, &ins, &js}) {
    for (const auto& s : {secretHex, upper(secretHex)}) {
      EXPECT_EQ(r->out.find(s), std::string::npos) << "secret printed";
      EXPECT_EQ(r->err.find(s), std::string::npos) << "secret printed";
    }
  }
}

TEST_F(TempDir, KeyGenerateRefusesToOverwrite) {
  std::string file = path("hunter.key");
  writeFile(file, "precious\n");
  EXPECT_TRUE(isOneLineError(run({"key", "generate", "--out", file}), "already exists"));
  EXPECT_EQ(readFile(file), "precious\n");

  // Nor through a symlink, even a dangling one.
  std::string link = path("link.key");
  ASSERT_EQ(::symlink(path("target.key").c_str(), link.c_str()), 0);
  EXPECT_TRUE(isOneLineError(run({"key", "generate", "--out", link}), "already exists"));
  EXPECT_FALSE(std::filesystem::exists(path("target.key")));
}

TEST_F(TempDir, KeyGenerateIntoMissingDirectory) {
  EXPECT_TRUE(isOneLineError(run({"key", "generate", "--out", path("no/such/dir/k")}),
                             "No such file or directory"));
}

TEST_F(TempDir, KeyInspectRefusesFilesOthersCanRead) {
  std::string file = path("hunter.key");
  const auto& k = vectors()["keys"][0];
  std::string secretHex = str(k["secret"]).substr(2);
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602, 0610}) {
    SCOPED_TRACE(mode);
    writeFile(file, str(k["secret"]) + "\n", mode);
    auto r = run({"key", "inspect", file});
    EXPECT_TRUE(isOneLineError(r, "chmod 600 " + file));
    EXPECT_TRUE(isOneLineError(r, "group or others"));
    EXPECT_EQ(r.err.find(secretHex), std::string::npos);
  }
  // The fix the message gives works.
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  auto r = run({"key", "inspect", file});
  ASSERT_TRUE(succeeded(r));
  EXPECT_EQ(field(r.out, "public key"), str(k["public_key"]));
  EXPECT_EQ(field(r.out, "account id"), str(k["account_id"]));
  EXPECT_EQ(field(r.out, "ss58"), str(k["ss58"]));
}

TEST_F(TempDir, KeyInspectRefusesFileOfAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file to another user";
  std::string file = path("hunter.key");
  writeFile(file, str(vectors()["keys"][0]["secret"]) + "\n");
  ASSERT_EQ(::chown(file.c_str(), 65534, 65534), 0);
  EXPECT_TRUE(isOneLineError(run({"key", "inspect", file}), "not by the current user"));
}

TEST_F(TempDir, KeyInspectAcceptsUpperCaseAndTrailingWhitespace) {
  const auto& k = vectors()["keys"][1];
  std::string file = path("hunter.key");
  writeFile(file, "0X" + upper(str(k["secret"]).substr(2)) + " \t\r\n\n");
  auto r = run({"key", "inspect", file});
  ASSERT_TRUE(succeeded(r));
  EXPECT_EQ(field(r.out, "public key"), str(k["public_key"]));
}

TEST_F(TempDir, KeyInspectRejectsMalformedFilesWithoutEchoingThem) {
  std::string file = path("hunter.key");
  std::string secret = str(vectors()["keys"][2]["secret"]);
  const std::string curveOrder =
      "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
  for (const std::string& content :
       {secret.substr(0, 65) + "\n", secret + "00\n", " " + secret + "\n", secret.substr(2) + "\n",
        secret + "\n" + secret + "\n", curveOrder + "\n", std::string("\n")}) {
    SCOPED_TRACE(content);
    writeFile(file, content);
    auto r = run({"key", "inspect", file});
    EXPECT_TRUE(isOneLineError(r, file));
    EXPECT_EQ(r.err.find(secret.substr(2, 16)), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find(curveOrder.substr(2, 16)), std::string::npos) << r.err;
  }
}

TEST_F(TempDir, KeyInspectMissingFileOrDirectory) {
  EXPECT_TRUE(isOneLineError(run({"key", "inspect", path("missing.key")}),
                             "cannot open key file " + path("missing.key")));
  EXPECT_TRUE(isOneLineError(run({"key", "inspect", dir_.string()}), "not a regular file"));
}

// ---------------------------------------------------------------------------------------------
// Bad input: one class per test, each one line on stderr and exit 2.

TEST(BadInput, OddLengthHex) {
  EXPECT_TRUE(
      isOneLineError(run({"extrinsic", "decode", "0x123"}), "extrinsic: odd number of hex digits"));
  json m = messageJson(vectors()["cluster_messages"][0]);
  m["payload"] = "0xabc";
  EXPECT_TRUE(isOneLineError(run({"message", "hash", "-"}, m.dump()),
                             "field payload: odd number of hex digits"));
}

TEST(BadInput, NonHexCharacter) {
  EXPECT_TRUE(isOneLineError(run({"extrinsic", "decode", "0x12zz"}),
                             "extrinsic: invalid hex character at position 2"));
}

TEST(BadInput, WrongLength) {
  const auto& v = vectors()["cluster_messages"][0];
  json m = messageJson(v);
  m["prev_hash"] = str(v["prev_hash"]).substr(0, 64);
  EXPECT_TRUE(isOneLineError(run({"message", "hash", "-"}, m.dump()),
                             "field prev_hash: expected 32 bytes, got 31"));
  EXPECT_TRUE(isOneLineError(run({"storage-key", "Clusters", str(v["cluster"]) + "00"}),
                             "CLUSTER: expected 32 bytes, got 33"));
  EXPECT_TRUE(
      isOneLineError(run({"storage-key", "HunterRewards", "0x1234"}), "expected 32 bytes, got 2"));
}

TEST(BadInput, TruncatedScale) {
  std::string hex = str(vectors()["extrinsics"][2]["extrinsic"]);
  // Cut short: the length prefix no longer matches.
  EXPECT_TRUE(isOneLineError(run({"extrinsic", "decode", hex.substr(0, hex.size() - 20)}),
                             "length prefix says"));
  // Cut short and re-prefixed: the decoder runs out of input inside the call, in the
  // signature list of the last item or inside its last signature.
  Bytes body = extrinsicBody(hex);
  Bytes cut(body.begin(), body.end() - 10);
  EXPECT_TRUE(isOneLineError(run({"extrinsic", "decode", withLengthPrefix(cut)}),
                             "extrinsic: call: batch item 1: length 4 at offset"));
  cut.assign(body.begin(), body.end() - 1);
  EXPECT_TRUE(isOneLineError(run({"extrinsic", "decode", withLengthPrefix(cut)}),
                             "extrinsic: call: batch item 1: length 4 at offset"));
  // Vector 0 (one message, three signatures) cut inside the message's state_root.
  Bytes one = extrinsicBody(str(vectors()["extrinsics"][0]["extrinsic"]));
  ASSERT_EQ(vectors()["extrinsics"][0]["signatures_used"][0], 3);
  cut.assign(one.begin(), one.end() - (1 + 3 * 65) - 5);
  EXPECT_TRUE(isOneLineError(run({"extrinsic", "decode", withLengthPrefix(cut)}),
                             "extrinsic: call: input ends early"));
  // Nothing at all.
  EXPECT_TRUE(isOneLineError(run({"extrinsic", "decode", "0x"}), "input ends early"));
  EXPECT_TRUE(isOneLineError(run({"extrinsic", "decode", "-"}, "\n"), "extrinsic: empty input"));
}

TEST(BadInput, UnknownCallIndex) {
  Bytes body = extrinsicBody(str(vectors()["extrinsics"][2]["extrinsic"]));
  Bytes call = fromHex(str(vectors()["extrinsics"][2]["call"])).value();
  size_t at = body.size() - call.size();  // the call is the tail of the body
  ASSERT_EQ(body[at], 0x55);
  body[at + 1] = 7;
  auto r = run({"extrinsic", "decode", withLengthPrefix(body)});
  EXPECT_TRUE(isOneLineError(r, "x"));
  EXPECT_EQ(r.err, "hunter: error: extrinsic: call: unknown call index 7 of PhalaClusterMq\n");
  body[at] = 0x56;
  EXPECT_TRUE(isOneLineError(run({"extrinsic", "decode", withLengthPrefix(body)}),
                             "extrinsic: call: unknown pallet index 86"));
}

TEST(BadInput, NotAnExtrinsic) {
  Bytes body = extrinsicBody(str(vectors()["extrinsics"][0]["extrinsic"]));
  body[0] = 0x04;  // unsigned
  EXPECT_TRUE(
      isOneLineError(run({"extrinsic", "decode", withLengthPrefix(body)}), "expected 0x84"));
}

TEST(BadInput, MalformedJson) {
  EXPECT_TRUE(isOneLineError(run({"message", "hash", "-"}, "{\"sn\": 1,"),
                             "message: malformed JSON: parse error at line 1"));
  EXPECT_TRUE(isOneLineError(run({"message", "hash", "-"}, "{\"sn\": 1}\n{}"), "malformed JSON"));
  EXPECT_TRUE(isOneLineError(run({"message", "hash", "-"}, "[]"), "expected a JSON object"));
  EXPECT_TRUE(isOneLineError(run({"message", "hash", "-"}, ""), "malformed JSON"));
}

TEST(BadInput, MissingField) {
  for (auto f : {"cluster", "sn", "destination", "payload", "prev_hash", "state_root"}) {
    json m = messageJson(vectors()["cluster_messages"][0]);
    m.erase(f);
    EXPECT_TRUE(isOneLineError(run({"message", "hash", "-"}, m.dump()),
                               std::string("message: missing field ") + f));
  }
}

TEST(BadInput, WrongJsonType) {
  json m = messageJson(vectors()["cluster_messages"][0]);
  m["payload"] = 12;
  EXPECT_TRUE(isOneLineError(run({"message", "hash", "-"}, m.dump()),
                             "field payload: expected a hex string, got number"));
  m = messageJson(vectors()["cluster_messages"][0]);
  m["sn"] = true;
  EXPECT_TRUE(isOneLineError(run({"message", "hash", "-"}, m.dump()), "field sn: expected"));
}

TEST(BadInput, BadSnNumbers) {
  const std::pair<std::string, std::string> cases[] = {
      {"-1", "is negative"},
      {"1.5", "fraction"},
      {"1e3", "fraction or exponent"},
      {"18446744073709551616", "exceeds u64"},
      {"\"18446744073709551616\"", "exceeds u64"},
      {"\"12a\"", "not a decimal number"},
      {"\"-1\"", "not a decimal number"},
  };
  std::string base = messageJson(vectors()["cluster_messages"][0]).dump();
  for (const auto& [sn, what] : cases) {
    std::string doc = base;
    size_t at = doc.find("\"sn\":\"0\"");
    ASSERT_NE(at, std::string::npos) << doc;
    doc.replace(at, 8, "\"sn\":" + sn);
    EXPECT_TRUE(isOneLineError(run({"message", "hash", "-"}, doc), "field sn: ")) << sn;
    EXPECT_TRUE(isOneLineError(run({"message", "hash", "-"}, doc), what)) << sn;
  }
}

TEST(BadInput, UnreadableFile) {
  EXPECT_TRUE(isOneLineError(run({"message", "hash", "/nonexistent/message.json"}),
                             "cannot read /nonexistent/message.json: No such file or directory"));
  EXPECT_TRUE(isOneLineError(run({"message", "hash", "/"}), "cannot read /: Is a directory"));
}

TEST(BadInput, StorageKeyArguments) {
  const std::string cluster = str(vectors()["storage_keys"][0]["cluster"]);
  EXPECT_TRUE(isOneLineError(run({"storage-key", "Nope", cluster}), "unknown item 'Nope'"));
  EXPECT_TRUE(isOneLineError(run({"storage-key", "Acks", cluster}),
                             "expected 2 arguments (CLUSTER SN), got 1"));
  EXPECT_TRUE(isOneLineError(run({"storage-key", "Acks", cluster, "x5"}), "SN: not a decimal"));
  std::string ss58 = str(vectors()["keys"][0]["ss58"]);
  ss58.back() = ss58.back() == 'a' ? 'b' : 'a';
  EXPECT_TRUE(isOneLineError(run({"storage-key", "System.Account", ss58}), "ACCOUNT"));
}

TEST(BadInput, UsageErrors) {
  EXPECT_TRUE(isOneLineError(run({}), "hunter --help"));
  EXPECT_TRUE(isOneLineError(run({"bogus"}), "unknown command 'bogus'"));
  EXPECT_TRUE(isOneLineError(run({"key", "bogus"}), "unknown command 'bogus'"));
  EXPECT_TRUE(isOneLineError(run({"key", "generate"}), "--out is required"));
  EXPECT_TRUE(isOneLineError(run({"extrinsic", "decode"}), "extrinsic decode --help"));
  EXPECT_TRUE(isOneLineError(run({"message", "hash", "a", "b"}), "not expected"));
  EXPECT_TRUE(
      isOneLineError(run({"message", "hash", "--nope", "x"}), "argument was not expected: --nope"));
}

// Mutated and truncated extrinsics never crash the decoder: each one decodes or is one error.
TEST(BadInput, MutatedExtrinsicsNeverCrash) {
  Bytes body = extrinsicBody(str(vectors()["extrinsics"][2]["extrinsic"]));
  std::mt19937 rng(20240601);
  for (int i = 0; i < 60; ++i) {
    Bytes b = body;
    if (i % 3 == 0) {
      b.resize(std::uniform_int_distribution<size_t>(0, b.size() - 1)(rng));
    } else {
      for (int k = 0; k < 1 + i % 4; ++k) {
        b[std::uniform_int_distribution<size_t>(0, b.size() - 1)(rng)] =
            static_cast<uint8_t>(rng());
      }
    }
    auto r = run({"extrinsic", "decode", withLengthPrefix(b)});
    ASSERT_EQ(r.signal, 0) << r;
    if (r.code != 0) {
      EXPECT_TRUE(isOneLineError(r, "extrinsic: ")) << i;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Help

TEST(Help, EveryCommandHasCompleteHelp) {
  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> cases = {
      {{"--help"},
       {"Usage: hunter", "key", "message", "extrinsic", "storage-key", "Exit codes", "--version"}},
      {{"key", "--help"}, {"Usage: hunter key", "generate", "inspect", "0x", "64 hex digits"}},
      {{"key", "generate", "--help"}, {"Usage: hunter key generate", "--out", "FILE", "0600"}},
      {{"key", "inspect", "--help"}, {"Usage: hunter key inspect", "FILE", "--json", "0600"}},
      {{"message", "--help"}, {"Usage: hunter message", "hash"}},
      {{"message", "hash", "--help"},
       {"Usage: hunter message hash", "FILE|-", "--json", "cluster", "sn", "destination", "payload",
        "prev_hash", "state_root", "hash", "0xff 0x10"}},
      {{"extrinsic", "--help"}, {"Usage: hunter extrinsic", "decode"}},
      {{"extrinsic", "decode", "--help"},
       {"Usage: hunter extrinsic decode", "HEX|-", "--json", "standard input", "nonce", "tip"}},
      {{"storage-key", "--help"},
       {"Usage: hunter storage-key", "Clusters CLUSTER", "Queues CLUSTER", "Acks CLUSTER SN",
        "HunterRewards ACCOUNT", "System.Account ACCOUNT", "SS58"}},
  };
  for (const auto& [args, words] : cases) {
    auto r = run(args);
    ASSERT_TRUE(succeeded(r)) << args[0];
    EXPECT_EQ(r.err, "");
    for (const auto& w : words) EXPECT_NE(r.out.find(w), std::string::npos) << w << "\n" << r.out;
  }
  auto v = run({"--version"});
  ASSERT_TRUE(succeeded(v));
  EXPECT_EQ(v.out.rfind("hunter ", 0), 0u);
}

}  // namespace
