#include "hunter/app/config.hpp"
#include "hunter/adapters/http.hpp"
#include "hunter/app/shard.hpp"
#include "hunter/app/toml_reader.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace hunter::app {
namespace {

using Ctx = TomlReader;

Status checkUrl(const Ctx& c, const toml::node& n, const std::string& key, const std::string& url) {
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else {
    return c.err(n.source(), key,
                 "'" + adapters::redactUrl(url) + "' is not an http:// or https:// URL");
  }
  std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  auto bad = [&](const std::string& why) {
    return c.err(n.source(), key, "'" + adapters::redactUrl(url) + "' is not a valid URL: " + why);
  };
  // Credentials (user:password@) are allowed; they are never shown (redactUrl).
  if (auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  if (authority.empty()) return bad("no host");
  if (authority.find_first_of(" \t@") != std::string::npos) return bad("bad character in host");
  std::string host = authority, port;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) return bad("unclosed '[' in host");
    host = authority.substr(0, close + 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after the IPv6 host");
      port = after.substr(1);
      if (port.empty()) return bad("empty port");
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return bad("empty port");
  }
  if (host.empty()) return bad("no host");
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) ||
        std::stoul(port) > 65535) {
      return bad("port '" + port + "' is not a number 0..65535");
    }
  }
  return okStatus();
}

// A string or an array of strings; with `urls`, each an http(s) URL (trailing '/' dropped).
Status readStringList(const Ctx& c, const toml::table& tbl, const std::string& prefix,
                      const char* key, std::vector<std::string>& out, bool urls) {
  HUNTER_CHECK(c.readStringList(tbl, prefix, key, out));
  if (!urls) return okStatus();
  for (auto& u : out) {
    while (!u.empty() && u.back() == '/') u.pop_back();
    HUNTER_CHECK(checkUrl(c, *tbl.get(key), prefix + key, u));
  }
  return okStatus();
}

// chain.ack_confirmations: a number of blocks below the best (0: the best block) or "finalized".
Status readAckDepth(const Ctx& c, const toml::table& t, Config& cfg) {
  const toml::node* n = t.get("ack_confirmations");
  if (!n) return okStatus();
  if (n->is_string()) {
    if (n->as_string()->get() != "finalized") {
      return c.err(n->source(), "chain.ack_confirmations",
                   "must be a number of blocks (0 .. 4096) or \"finalized\", not \"" +
                       n->as_string()->get() + "\"");
    }
    cfg.ack_depth = core::AckDepth::kFinalized;
    return okStatus();
  }
  HUNTER_CHECK(c.readInt(t, "chain.", "ack_confirmations", cfg.ack_confirmations, 0, 4096));
  cfg.ack_depth = cfg.ack_confirmations == 0 ? core::AckDepth::kBest : core::AckDepth::kBlocks;
  return okStatus();
}

Status parseChain(const Ctx& c, const toml::table& t, Config& cfg) {
  HUNTER_CHECK(c.checkKeys(t, "chain.", {"endpoints", "head_check_ms", "ack_confirmations"}));
  HUNTER_CHECK(readStringList(c, t, "chain.", "endpoints", cfg.chain_endpoints, true));
  HUNTER_CHECK(c.readInt(t, "chain.", "head_check_ms", cfg.head_check_ms, 10, 60'000));
  HUNTER_CHECK(readAckDepth(c, t, cfg));
  return okStatus();
}

Status parseHunter(const Ctx& c, const toml::table& t, Config& cfg) {
  const std::string p = "hunter.";
  HUNTER_CHECK(c.checkKeys(
      t, p,
      {"key_files", "key_file", "database", "poll_interval_ms", "era_period", "tip", "log_level",
       "log_format", "ca_file", "shard", "retention_s", "max_poll_interval_ms", "idle_after_s"}));
  HUNTER_CHECK(c.readInt(t, p, "retention_s", cfg.retention_s, 0, int64_t{3650} * 86400));
  HUNTER_CHECK(readStringList(c, t, p, "key_files", cfg.key_files, false));
  if (t.get("key_file")) HUNTER_CHECK(readStringList(c, t, p, "key_file", cfg.key_files, false));
  HUNTER_CHECK(c.readString(t, p, "database", cfg.database));
  HUNTER_CHECK(c.readInt(t, p, "poll_interval_ms", cfg.poll_interval_ms, 10, 3'600'000));
  // Unset, the slow interval is 5 s, or the fast one when that is longer.
  cfg.max_poll_interval_ms = std::max(cfg.max_poll_interval_ms, cfg.poll_interval_ms);
  HUNTER_CHECK(c.readInt(t, p, "max_poll_interval_ms", cfg.max_poll_interval_ms,
                         cfg.poll_interval_ms, 3'600'000));
  HUNTER_CHECK(c.readInt(t, p, "idle_after_s", cfg.idle_after_s, 0, 86'400));
  HUNTER_CHECK(c.readInt(t, p, "era_period", cfg.era_period, 4, 65536));
  if (const toml::node* n = t.get("era_period")) {
    if ((cfg.era_period & (cfg.era_period - 1)) != 0) {
      return c.err(n->source(), p + "era_period", "must be a power of two (4..65536)");
    }
  }
  HUNTER_CHECK(c.readU128(t, p, "tip", cfg.tip));
  HUNTER_CHECK(c.readString(t, p, "log_level", cfg.log_level));
  if (const toml::node* n = t.get("log_level")) {
    static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error"};
    if (!levels.count(cfg.log_level)) {
      return c.err(n->source(), p + "log_level",
                   "'" + cfg.log_level + "' is not one of trace, debug, info, warn, error");
    }
  }
  HUNTER_CHECK(c.readString(t, p, "log_format", cfg.log_format));
  if (const toml::node* n = t.get("log_format")) {
    if (cfg.log_format != "plain" && cfg.log_format != "json") {
      return c.err(n->source(), p + "log_format", "must be \"plain\" or \"json\"");
    }
  }
  HUNTER_CHECK(c.readString(t, p, "ca_file", cfg.ca_file));
  HUNTER_CHECK(c.readString(t, p, "shard", cfg.shard));
  if (const toml::node* n = t.get("shard")) {
    auto s = parseShard(cfg.shard);
    if (!s.ok()) return c.err(n->source(), p + "shard", s.error().message);
  }
  return okStatus();
}

Status parseLimits(const Ctx& c, const toml::table& t, Config& cfg) {
  const std::string p = "limits.";
  HUNTER_CHECK(
      c.checkKeys(t, p,
                  {"batch_size", "max_in_flight", "max_pending", "fetch_limit",
                   "request_timeout_ms", "max_response_bytes", "max_message_age_s", "lost_after_s",
                   "backoff_base_ms", "backoff_max_ms", "progress_timeout_s", "stuck_after_s",
                   "cluster_threads", "backlog_rounds"}));
  HUNTER_CHECK(c.readInt(t, p, "batch_size", cfg.batch_size, 1, 4096));
  HUNTER_CHECK(c.readInt(t, p, "max_in_flight", cfg.max_in_flight, 1, 1024));
  HUNTER_CHECK(c.readInt(t, p, "cluster_threads", cfg.cluster_threads, 1, 256));
  HUNTER_CHECK(c.readInt(t, p, "backlog_rounds", cfg.backlog_rounds, 1, 256));
  HUNTER_CHECK(c.readInt(t, p, "max_pending", cfg.max_pending, 1, 1'000'000));
  HUNTER_CHECK(c.readInt(t, p, "fetch_limit", cfg.fetch_limit, 1, 4096));
  HUNTER_CHECK(c.readInt(t, p, "request_timeout_ms", cfg.request_timeout_ms, 10, 600'000));
  HUNTER_CHECK(
      c.readInt(t, p, "max_response_bytes", cfg.max_response_bytes, 1024, int64_t{1} << 32));
  HUNTER_CHECK(
      c.readInt(t, p, "max_message_age_s", cfg.max_message_age_s, 1, int64_t{365} * 86400));
  HUNTER_CHECK(c.readInt(t, p, "lost_after_s", cfg.lost_after_s, 1, 86400));
  HUNTER_CHECK(c.readInt(t, p, "backoff_base_ms", cfg.backoff_base_ms, 1, 3'600'000));
  HUNTER_CHECK(c.readInt(t, p, "backoff_max_ms", cfg.backoff_max_ms, 1, 86'400'000));
  HUNTER_CHECK(c.readInt(t, p, "progress_timeout_s", cfg.progress_timeout_s, 1, 86400 * 30));
  HUNTER_CHECK(c.readInt(t, p, "stuck_after_s", cfg.stuck_after_s, 1, 86400));
  return okStatus();
}

Status parseApi(const Ctx& c, const toml::table& t, Config& cfg) {
  const std::string p = "api.";
  HUNTER_CHECK(c.checkKeys(t, p, {"enabled", "listen", "chain_stale_s"}));
  HUNTER_CHECK(c.readBool(t, p, "enabled", cfg.api_enabled));
  HUNTER_CHECK(c.readString(t, p, "listen", cfg.api_listen));
  if (const toml::node* n = t.get("listen")) {
    auto l = parseListen(cfg.api_listen);
    if (!l.ok()) return c.err(n->source(), p + "listen", l.error().message);
  }
  HUNTER_CHECK(c.readInt(t, p, "chain_stale_s", cfg.api_chain_stale_s, 0, 86400));
  return okStatus();
}

Status parseFees(const Ctx& c, const toml::table& t, Config& cfg) {
  const std::string p = "fees.";
  HUNTER_CHECK(c.checkKeys(t, p, {"min_profit", "max_batch_delay_ms", "min_balance"}));
  HUNTER_CHECK(c.readI128(t, p, "min_profit", cfg.min_profit));
  HUNTER_CHECK(c.readInt(t, p, "max_batch_delay_ms", cfg.max_batch_delay_ms, 0, 3'600'000));
  HUNTER_CHECK(c.readU128(t, p, "min_balance", cfg.min_balance));
  return okStatus();
}

Status parseClusters(const Ctx& c, const toml::node& n, Config& cfg) {
  auto* arr = n.as_array();
  if (!arr) return c.err(n.source(), "clusters", "expected an array of tables ([[clusters]])");
  std::set<std::string> seenIds, seenAliases;
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& e = *arr->get(i);
    std::string p = "clusters[" + std::to_string(i) + "].";
    auto* t = e.as_table();
    if (!t) return c.err(e.source(), "clusters[" + std::to_string(i) + "]", "expected a table");
    HUNTER_CHECK(c.checkKeys(*t, p, {"id", "alias", "workers"}));
    ClusterConfig cc;
    const toml::node* id = t->get("id");
    if (!id) return c.err(t->source(), p + "id", "missing (the cluster id, 0x + 64 hex digits)");
    if (!id->is_string()) return c.err(id->source(), p + "id", "expected a string");
    auto parsed = fixedFromHex<32>(*id->value<std::string>(), "id");
    if (!parsed.ok()) return c.err(id->source(), p + "id", parsed.error().message);
    cc.id = *parsed;
    HUNTER_CHECK(c.readString(*t, p, "alias", cc.alias));
    HUNTER_CHECK(readStringList(c, *t, p, "workers", cc.workers, true));
    if (cc.workers.empty()) {
      return c.err(t->source(), p + "workers", "at least one worker endpoint is required");
    }
    if (!seenIds.insert(toHex(cc.id)).second) {
      return c.err(id->source(), p + "id", "cluster listed twice");
    }
    if (!cc.alias.empty() && !seenAliases.insert(cc.alias).second) {
      return c.err(t->get("alias")->source(), p + "alias", "alias '" + cc.alias + "' used twice");
    }
    cfg.clusters.push_back(std::move(cc));
  }
  return okStatus();
}

}  // namespace

Result<Config> parseConfig(const std::string& text, const std::string& source_name) {
  Ctx c{source_name};
  HUNTER_TRY(toml::table root, c.parse(text));
  Config cfg;
  cfg.path = source_name;
  HUNTER_CHECK(c.checkKeys(root, "", {"chain", "hunter", "limits", "fees", "api", "clusters"}));
  auto section = [&](const char* name, auto parse) -> Status {
    HUNTER_TRY(const toml::table* t, c.readTable(root, "", name));
    return t ? parse(c, *t, cfg) : okStatus();
  };
  HUNTER_CHECK(section("chain", parseChain));
  HUNTER_CHECK(section("hunter", parseHunter));
  HUNTER_CHECK(section("limits", parseLimits));
  HUNTER_CHECK(section("fees", parseFees));
  HUNTER_CHECK(section("api", parseApi));
  if (const toml::node* n = root.get("clusters")) HUNTER_CHECK(parseClusters(c, *n, cfg));
  if (cfg.head_check_ms == 0) cfg.head_check_ms = std::min<int64_t>(100, cfg.poll_interval_ms);
  return cfg;
}

Result<Config> loadConfig(const std::string& path) {
  HUNTER_TRY(std::string text, TomlReader::readFile(path));
  return parseConfig(text, path);
}

Result<ListenAddress> parseListen(const std::string& text) {
  auto bad = [&](const std::string& why) -> Error {
    return makeError("config", "'" + text + "' is not host:port (" + why + ")");
  };
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return bad("no ':port'");
  ListenAddress a;
  a.host = text.substr(0, colon);
  std::string port = text.substr(colon + 1);
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') {
    a.host = a.host.substr(1, a.host.size() - 2);
  } else if (a.host.find(':') != std::string::npos) {
    return bad("an IPv6 host goes in brackets: [::1]:9615");
  }
  if (a.host.empty()) return bad("empty host");
  if (a.host.find_first_of(" \t/@[]") != std::string::npos) return bad("bad character in host");
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) ||
      std::stoul(port) > 65535) {
    return bad("port must be a number 0..65535");
  }
  a.port = static_cast<uint16_t>(std::stoul(port));
  return a;
}

std::string apiListeningLine(const std::string& listen, const std::string& local_url) {
  auto addr = parseListen(listen);
  const bool wildcard = addr.ok() && (addr->host == "0.0.0.0" || addr->host == "::" ||
                                      addr->host == "[::]" || addr->host.empty());
  if (!wildcard) return "api listening on " + local_url;
  const std::string port = local_url.substr(local_url.rfind(':') + 1);
  return "api listening on " + addr->host + ":" + port + ", every interface (" + local_url +
         " from this host)";
}

int64_t chainStaleSeconds(const Config& cfg) {
  if (cfg.api_chain_stale_s > 0) return cfg.api_chain_stale_s;
  return std::max<int64_t>(30, (5 * cfg.poll_interval_ms + 999) / 1000);
}

static std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && (item.back() == ' ' || item.back() == '/')) item.pop_back();
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

void applyEnvironment(Config& cfg) {
  if (const char* v = std::getenv("HUNTER_CHAIN_ENDPOINTS"); v && *v) {
    cfg.chain_endpoints = splitList(v);
  }
  if (const char* v = std::getenv("HUNTER_KEY_FILE"); v && *v) cfg.key_files = splitList(v);
  if (const char* v = std::getenv("HUNTER_DATABASE"); v && *v) cfg.database = v;
}

Result<std::vector<ClusterConfig>> Config::select(const std::vector<std::string>& names) const {
  if (names.empty()) return clusters;
  std::vector<ClusterConfig> out;
  for (const auto& n : names) {
    const ClusterConfig* found = nullptr;
    for (const auto& c : clusters) {
      if (c.alias == n) found = &c;
      auto id = fixedFromHex<32>(n);
      if (id.ok() && *id == c.id) found = &c;
    }
    if (!found) {
      std::string known;
      for (const auto& c : clusters) known += (known.empty() ? "" : ", ") + c.name();
      return makeError("config", "--cluster " + n + ": no such cluster in " + path +
                                     (known.empty() ? "" : " (configured: " + known + ")"));
    }
    out.push_back(*found);
  }
  return out;
}

}  // namespace hunter::app
