// The relayer itself: run (the service), submit (one round), status, rewards, retry, workers,
// explain.
#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <iostream>

#include "commands.hpp"
#include "hunter/app/explain.hpp"
#include "hunter/app/logging.hpp"
#include "hunter/app/service.hpp"
#include "hunter/app/shard.hpp"
#include "hunter/app/status.hpp"
#include "hunter/crypto/ss58.hpp"

namespace hunter::cli {
namespace {

std::atomic<bool> g_stop{false};

void onSignal(int) { g_stop.store(true); }

void installSignals() {
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

struct Common {
  std::string config = "hunter.toml";
  std::vector<std::string> clusters;
  std::string log_level;
  std::string log_format;
  bool json = false;
};

void addConfigOption(CLI::App* cmd, Common& c) {
  cmd->add_option("-c,--config", c.config, "Configuration file (TOML)")
      ->envname("HUNTER_CONFIG")
      ->capture_default_str();
}

Result<app::Config> loadFor(const Common& c) {
  auto cfg = app::loadConfig(c.config);
  if (!cfg.ok()) return cfg.error();
  app::applyEnvironment(*cfg);
  if (!c.log_level.empty()) cfg->log_level = c.log_level;
  if (!c.log_format.empty()) cfg->log_format = c.log_format;
  return cfg;
}

void logEvent(const core::RelayEvent& e) { app::logAt(e.level, e.text); }

// Throws the exit code through CLI11 (main() returns it).
[[noreturn]] void exitWith(int code) { throw CLI::RuntimeError(code); }

}  // namespace

void registerServiceCommands(CLI::App& root) {
  // ---- run -------------------------------------------------------------------------------
  static Common runOpts;
  auto* run = root.add_subcommand(
      "run",
      "Run the relayer as a service: for every configured cluster (or each --cluster), fetch "
      "messages, gather N-of-M worker signatures, submit them and record the chain's ACKs. "
      "Logs one line per submission and per outcome. SIGTERM or SIGINT stop it cleanly.");
  addConfigOption(run, runOpts);
  run->add_option("--cluster", runOpts.clusters,
                  "Cluster alias or 0x id from the config (repeatable; default: all)");
  run->add_option("--log-level", runOpts.log_level,
                  "Log level: trace, debug, info, warn, error (default: hunter.log_level)");
  run->add_option("--log-format", runOpts.log_format,
                  "Log format: plain or json (default: hunter.log_format)");
  static std::string runShard;
  static std::string runApiListen;
  run->add_option("--shard", runShard,
                  "Handle only the clusters of shard I of N (\"I/N\": twox_64(cluster id) as a "
                  "little-endian u64, mod N == I); overrides hunter.shard");
  run->add_option("--api-listen", runApiListen,
                  "HOST:PORT of the service API (/healthz, /metrics, /status); port 0 picks a "
                  "free port; overrides api.listen and enables the API");
  setAction(run, []() -> Status {
    // First: a SIGTERM while starting up (opening the database, the first chain reads) must
    // still be a clean stop with exit code 0, not the default action.
    installSignals();
    HUNTER_TRY(auto cfg, loadFor(runOpts));
    if (!runShard.empty()) {
      auto s = app::parseShard(runShard);
      if (!s.ok()) return makeError("usage", "--shard: " + s.error().message);
      cfg.shard = runShard;
    }
    if (!runApiListen.empty()) {
      auto l = app::parseListen(runApiListen);
      if (!l.ok()) return makeError("usage", "--api-listen: " + l.error().message);
      cfg.api_listen = runApiListen;
      cfg.api_enabled = true;
    }
    HUNTER_CHECK(app::initLogging(cfg.log_level, cfg.log_format));
    HUNTER_TRY(auto clusters, cfg.select(runOpts.clusters));
    if (!cfg.shard.empty()) {
      HUNTER_TRY(auto shard, app::parseShard(cfg.shard));
      std::vector<app::ClusterConfig> mine;
      for (auto& c : clusters) {
        if (app::inShard(c.id, shard)) mine.push_back(c);
      }
      if (mine.empty()) {
        // Not an error: a fleet with more pods than clusters has idle pods, and a crash loop
        // would hide the pods that matter. It stays up, healthy, and says why it idles.
        app::logWarn("shard " + app::toString(shard) + " holds none of the " +
                     std::to_string(clusters.size()) +
                     " selected cluster(s): idle (healthy, nothing to relay) until a restart "
                     "with a config that gives it clusters");
      }
      app::logInfo("shard " + app::toString(shard) + ": " + std::to_string(mine.size()) + " of " +
                   std::to_string(clusters.size()) + " cluster(s)");
      clusters = std::move(mine);
    }
    HUNTER_TRY(auto svc, app::Service::create(cfg, clusters, logEvent));
    if (cfg.api_enabled) {
      HUNTER_TRY(auto url, svc->startApi());
      app::logInfo(app::apiListeningLine(cfg.api_listen, url));
    }
    std::string names;
    for (auto& c : clusters) names += (names.empty() ? "" : ", ") + c.name();
    std::string accounts;
    for (auto& a : svc->accounts().ids()) {
      accounts += (accounts.empty() ? "" : ", ") + crypto::ss58Encode(a);
    }
    app::logInfo("hunter starting: clusters " + names + "; accounts " + accounts + "; database " +
                 cfg.database);
    (void)svc->start();
    svc->run(g_stop);
    app::logInfo("hunter stopped");
    return okStatus();
  });

  // ---- submit ----------------------------------------------------------------------------
  static Common subOpts;
  static uint64_t subMax = UINT64_MAX;
  static bool subNoWait = false;
  static int64_t subTimeout = 120;
  auto* submit = root.add_subcommand(
      "submit",
      "One round for one cluster: fetch what is pending, gather signatures, submit, wait for "
      "the ACKs and print what happened. Exit codes: 0 everything submitted was accepted (or "
      "nothing was pending), 3 stuck (fewer than threshold workers agree, or the account "
      "cannot pay), 4 rejected (the chain refused, or another hunter's / a diverged message "
      "was included instead), 5 unreachable (chain or every worker), 2 bad config or input.");
  addConfigOption(submit, subOpts);
  submit->add_option("--cluster", subOpts.clusters, "Cluster alias or 0x id (required)")
      ->required()
      ->expected(1);
  submit->add_option("--max", subMax, "Submit at most this many messages");
  submit->add_flag("--no-wait", subNoWait, "Return once submitted; do not wait for the ACKs");
  submit->add_option("--timeout", subTimeout, "Seconds to wait for the ACKs")
      ->capture_default_str();
  submit->add_option("--log-level", subOpts.log_level, "Log level (default: warn)");
  submit->add_flag("--json", subOpts.json,
                   "Machine-readable JSON on stdout (what happened and the counts); the exit "
                   "code is the same");
  setAction(submit, []() -> Status {
    installSignals();
    HUNTER_TRY(auto cfg, loadFor(subOpts));
    HUNTER_CHECK(
        app::initLogging(subOpts.log_level.empty() ? "warn" : cfg.log_level, cfg.log_format));
    HUNTER_TRY(auto clusters, cfg.select(subOpts.clusters));
    std::vector<std::string> lines;
    auto sink = [&](const core::RelayEvent& e) {
      if (e.kind == core::RelayEvent::Kind::kSubmitted ||
          e.kind == core::RelayEvent::Kind::kOutcome) {
        lines.push_back(e.text);
        if (!subOpts.json) std::cout << e.text << std::endl;
      } else {
        logEvent(e);
      }
    };
    HUNTER_TRY(auto svc, app::Service::create(cfg, clusters, sink));
    auto rep = svc->submitOnce(subMax, subNoWait, subTimeout * 1000, g_stop);
    if (subOpts.json) {
      for (auto& l : rep.lines) lines.push_back(l);
      printJson({{"cluster", clusters.front().name()},
                 {"exit_code", rep.code},
                 {"submitted", rep.submitted},
                 {"accepted", rep.accepted},
                 {"superseded", rep.superseded},
                 {"diverged", rep.diverged},
                 {"rejected", rep.rejected},
                 {"lines", lines}});
    } else {
      for (auto& l : rep.lines) std::cout << l << "\n";
      std::cout << fmt::format(
          "{}: submitted {}, accepted {}, superseded {}, diverged {}, rejected {}\n",
          clusters.front().name(), rep.submitted, rep.accepted, rep.superseded, rep.diverged,
          rep.rejected);
    }
    if (rep.code != 0) {
      std::cout.flush();
      exitWith(rep.code);
    }
    return okStatus();
  });

  // ---- status ----------------------------------------------------------------------------
  static Common stOpts;
  auto* status = root.add_subcommand(
      "status",
      "What is pending and why: per cluster the chain's next sn and each worker's, pending "
      "count, oldest pending age, every pending or stuck message with its state and last "
      "error, divergent workers and the hash each signed. Reads the database and, when "
      "reachable, the chain and the workers, and says which it could not reach.");
  addConfigOption(status, stOpts);
  status->add_option("--cluster", stOpts.clusters, "Cluster alias or 0x id (repeatable)");
  status->add_flag("--json", stOpts.json, "Machine-readable JSON");
  setAction(status, []() -> Status {
    HUNTER_TRY(auto cfg, loadFor(stOpts));
    HUNTER_TRY(auto clusters, cfg.select(stOpts.clusters));
    HUNTER_TRY(auto j, app::statusJson(cfg, clusters, true));
    if (stOpts.json) {
      printJson(j);
    } else {
      std::cout << app::renderStatus(j);
    }
    return okStatus();
  });

  // ---- rewards ---------------------------------------------------------------------------
  static Common rwOpts;
  auto* rewards = root.add_subcommand(
      "rewards",
      "Accepted messages, rewards, fees and net per cluster and account (from the "
      "database).");
  addConfigOption(rewards, rwOpts);
  rewards->add_option("--cluster", rwOpts.clusters, "Cluster alias or 0x id (repeatable)");
  rewards->add_flag("--json", rwOpts.json, "Machine-readable JSON");
  setAction(rewards, []() -> Status {
    HUNTER_TRY(auto cfg, loadFor(rwOpts));
    HUNTER_TRY(auto clusters, cfg.select(rwOpts.clusters));
    HUNTER_TRY(auto j, app::rewardsJson(cfg, clusters, !rwOpts.clusters.empty()));
    if (rwOpts.json) {
      printJson(j);
    } else {
      std::cout << app::renderRewards(j);
    }
    return okStatus();
  });

  // ---- retry -----------------------------------------------------------------------------
  static Common rtOpts;
  auto* retry = root.add_subcommand(
      "retry",
      "Cut the backoff short: every pending or signed message of the cluster(s) is due at once. "
      "Works beside a running service (which picks it up in its next round) and takes no writer "
      "lock.");
  addConfigOption(retry, rtOpts);
  retry->add_option("--cluster", rtOpts.clusters, "Cluster alias or 0x id (repeatable)")
      ->required();
  retry->add_flag("--json", rtOpts.json, "Machine-readable JSON");
  setAction(retry, []() -> Status {
    HUNTER_TRY(auto cfg, loadFor(rtOpts));
    HUNTER_TRY(auto clusters, cfg.select(rtOpts.clusters));
    HUNTER_TRY(auto store,
               adapters::SqliteStore::open(cfg.database, adapters::SqliteStore::Access::kReader));
    nlohmann::json done = nlohmann::json::array();
    for (const auto& c : clusters) {
      if (auto r = store->retryNow(c.id); !r.ok()) return r.error().context(c.name());
      done.push_back(c.name());
      if (!rtOpts.json) std::cout << c.name() << ": every waiting message is due now\n";
    }
    if (rtOpts.json) printJson({{"retried", done}});
    return okStatus();
  });

  // ---- workers ---------------------------------------------------------------------------
  static Common wkOpts;
  auto* workers =
      root.add_subcommand("workers",
                          "Each worker's health: last seen, signatures given, refused, invalid, "
                          "divergences, latency, last error (from the database).");
  addConfigOption(workers, wkOpts);
  workers->add_option("--cluster", wkOpts.clusters, "Cluster alias or 0x id (repeatable)");
  workers->add_flag("--json", wkOpts.json, "Machine-readable JSON");
  setAction(workers, []() -> Status {
    HUNTER_TRY(auto cfg, loadFor(wkOpts));
    HUNTER_TRY(auto clusters, cfg.select(wkOpts.clusters));
    HUNTER_TRY(auto j, app::workersJson(cfg, clusters));
    if (wkOpts.json) {
      printJson(j);
    } else {
      std::cout << app::renderWorkers(j);
    }
    return okStatus();
  });

  // ---- explain ---------------------------------------------------------------------------
  static Common exOpts;
  static std::string exCluster;
  static std::optional<uint64_t> exSn;
  auto* explain = root.add_subcommand(
      "explain",
      "Everything the database knows about one sn of a cluster: its state and why it waits, "
      "the worker it came from, who signed or refused what, its submissions (tx hash, account, "
      "nonce, era, status), its outcome, and what happens next and when.");
  addConfigOption(explain, exOpts);
  explain->add_option("--cluster", exCluster, "Cluster alias or 0x id")->required();
  explain->add_option("sn", exSn,
                      "The sn (default: the chain's next sn as the service last saw it)");
  explain->add_flag("--json", exOpts.json, "Machine-readable JSON");
  setAction(explain, []() -> Status {
    HUNTER_TRY(auto cfg, loadFor(exOpts));
    HUNTER_TRY(auto clusters, cfg.select({exCluster}));
    HUNTER_TRY(auto j, app::explainJson(cfg, clusters.front(), exSn));
    if (exOpts.json) {
      printJson(j);
    } else {
      std::cout << app::renderExplain(j);
    }
    return okStatus();
  });
}

}  // namespace hunter::cli
