#include "hunter/app/service.hpp"

#include <chrono>
#include <thread>

#include "hunter/app/keyfile.hpp"
#include "hunter/app/logging.hpp"
#include "hunter/crypto/ss58.hpp"

namespace hunter::app {

int64_t SystemClock::nowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct Service::ClusterRuntime {
  ClusterConfig cc;
  std::unique_ptr<adapters::HttpWorkerClient> workers;
  std::unique_ptr<core::Relay> relay;
  bool started = false;
  int64_t retry_at_ms = 0;
};

Service::~Service() = default;

Result<std::unique_ptr<Service>> Service::create(const Config& config,
                                                 const std::vector<ClusterConfig>& clusters,
                                                 core::EventSink sink) {
  if (config.chain_endpoints.empty()) {
    return makeError("config", config.path + ": chain.endpoints: no chain endpoint configured");
  }
  if (config.key_files.empty()) {
    return makeError("config", config.path + ": hunter.key_files: no hunter key file configured");
  }
  if (clusters.empty()) {
    return makeError("config", config.path + ": no [[clusters]] configured");
  }
  std::unique_ptr<Service> s(new Service());
  s->cfg_ = config;
  s->sink_ = std::move(sink);

  std::vector<crypto::SecretKey> keys;
  for (const auto& f : config.key_files) {
    auto k = readKeyFile(f);
    if (!k.ok()) return k.error();
    keys.push_back(*k);
  }
  s->accounts_ = std::make_unique<core::AccountPool>(std::move(keys));

  auto store = adapters::SqliteStore::open(config.database);
  if (!store.ok()) return store.error();
  s->store_ = std::move(store).value();

  adapters::ChainClientOptions copt;
  copt.timeout = std::chrono::milliseconds(config.request_timeout_ms);
  copt.max_response = config.max_response_bytes;
  s->chain_ = std::make_unique<adapters::JsonRpcChainClient>(config.chain_endpoints, copt);

  uint64_t seed = static_cast<uint64_t>(s->clock_.nowMs());
  for (const auto& cc : clusters) {
    auto rt = std::make_unique<ClusterRuntime>();
    rt->cc = cc;
    adapters::WorkerClientOptions wopt;
    wopt.timeout = std::chrono::milliseconds(config.request_timeout_ms);
    wopt.max_response = config.max_response_bytes;
    rt->workers = std::make_unique<adapters::HttpWorkerClient>(cc.workers, wopt);
    core::RelayConfig rc;
    rc.cluster = cc.id;
    rc.name = cc.name();
    rc.fetch_limit = config.fetch_limit;
    rc.max_pending = config.max_pending;
    rc.batch_size = config.batch_size;
    rc.max_in_flight = config.max_in_flight;
    rc.era_period = config.era_period;
    rc.tip = config.tip;
    rc.backoff_base_ms = config.backoff_base_ms;
    rc.backoff_max_ms = config.backoff_max_ms;
    rc.max_message_age_ms = config.max_message_age_s * 1000;
    rc.lost_after_ms = config.lost_after_s * 1000;
    rt->relay = std::make_unique<core::Relay>(rc, *rt->workers, *s->chain_, *s->store_, s->clock_,
                                              *s->accounts_, s->sink_, seed++);
    s->clusters_.push_back(std::move(rt));
  }
  return s;
}

Status Service::start() {
  Status first = okStatus();
  int64_t now = clock_.nowMs();
  for (auto& c : clusters_) {
    auto st = c->relay->start();
    if (st.ok()) {
      c->started = true;
      continue;
    }
    c->retry_at_ms = now + 2000;
    logWarn(c->cc.name() + ": not started yet: " + st.error().message);
    if (first.ok()) first = st.error();
  }
  return first;
}

static void sleepInterruptibly(int64_t ms, const std::atomic<bool>& stop) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stop.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(ms, 50)));
  }
}

void Service::run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    bool progressed = false;
    int64_t now = clock_.nowMs();
    for (auto& c : clusters_) {
      if (stop.load()) break;
      if (!c->started) {
        if (now < c->retry_at_ms) continue;
        auto st = c->relay->start();
        if (!st.ok()) {
          c->retry_at_ms = now + 5000;
          logWarn(c->cc.name() + ": not started yet: " + st.error().message);
          continue;
        }
        c->started = true;
        logInfo(c->cc.name() + ": started");
      }
      auto st = c->relay->round();
      progressed = progressed || st.progressed();
    }
    if (!progressed) sleepInterruptibly(cfg_.poll_interval_ms, stop);
  }
}

SubmitReport Service::submitOnce(uint64_t max, bool no_wait, int64_t timeout_ms,
                                 const std::atomic<bool>& stop) {
  SubmitReport rep;
  auto& c = *clusters_.at(0);
  c.relay->setMaxSubmit(max);
  auto st = c.relay->start();
  if (!st.ok()) {
    rep.code = st.error().code == "unknown_cluster" ? kExitStuck : kExitUnreachable;
    rep.lines.push_back(st.error().message);
    return rep;
  }
  int64_t deadline = clock_.nowMs() + timeout_ms;
  bool stuck = false, chainDown = false, workersDown = false;
  std::string stuckWhy;
  std::optional<uint64_t> target;  // the workers' next sn at the first round
  int idleRounds = 0;
  auto count = [&](std::vector<core::MsgState> states, uint64_t below) -> uint64_t {
    auto msgs = store_->messages(c.cc.id, states, 0, 1u << 20);
    if (!msgs.ok()) return 0;
    uint64_t n = 0;
    for (auto& m : *msgs) n += m.sn < below ? 1 : 0;
    return n;
  };
  while (!stop.load()) {
    auto r = c.relay->round();
    chainDown = r.chain_unreachable;
    workersDown = r.workers_unreachable;
    stuck = r.stuck;
    if (stuck) {
      auto cs = store_->clusterStatus(c.cc.id);
      if (cs.ok() && *cs) stuckWhy = (*cs)->detail;
    }
    rep.accepted += r.accepted;
    rep.superseded += r.superseded;
    rep.diverged += r.diverged;
    rep.rejected += r.rejected;
    if (!target && !chainDown) {
      // One round: what the workers had produced when it started, not what comes after.
      target = c.relay->workerNextSn();
      c.relay->setSubmitBelow(*target);
    }
    rep.submitted = c.relay->submittedMessages();
    if (rep.submitted > 0 && no_wait) break;
    uint64_t below = target.value_or(0);
    uint64_t open = count({core::MsgState::kSubmitted}, UINT64_MAX);
    uint64_t waiting = count({core::MsgState::kPending, core::MsgState::kSigned}, below);
    bool budgetSpent = rep.submitted >= max;
    if (open == 0 && (waiting == 0 || budgetSpent)) break;  // done
    if (open == 0 && (stuck || chainDown || workersDown)) break;
    if (r.progressed()) {
      idleRounds = 0;
    } else if (open == 0 && ++idleRounds >= 10) {
      break;  // retries are not getting anywhere; report what is left
    }
    if (clock_.nowMs() >= deadline) {
      rep.lines.push_back("timed out after " + std::to_string(timeout_ms / 1000) +
                          " s waiting for ACKs");
      break;
    }
    if (!r.progressed()) sleepInterruptibly(std::min<int64_t>(cfg_.poll_interval_ms, 500), stop);
  }
  uint64_t resolved = rep.accepted + rep.superseded + rep.diverged;
  if (rep.submitted == 0) {
    if (chainDown) {
      rep.code = kExitUnreachable;
      rep.lines.push_back("the chain could not be reached");
    } else if (workersDown) {
      rep.code = kExitUnreachable;
      rep.lines.push_back("no worker of the cluster could be reached");
    } else if (stuck) {
      rep.code = kExitStuck;
      rep.lines.push_back("stuck: " + stuckWhy);
    } else if (rep.rejected > 0) {
      rep.code = kExitRejected;
    } else if (uint64_t left = max == 0 ? 0
                                        : count({core::MsgState::kPending, core::MsgState::kSigned},
                                                target.value_or(0))) {
      rep.code = kExitStuck;
      rep.lines.push_back("stuck: " + std::to_string(left) + " message(s) could not be submitted" +
                          (stuckWhy.empty() ? "" : ": " + stuckWhy));
    } else {
      rep.lines.push_back("nothing to submit");
    }
    return rep;
  }
  if (no_wait) return rep;
  if (rep.accepted >= rep.submitted && rep.rejected == 0) return rep;
  if (rep.rejected > 0 || rep.superseded > 0 || rep.diverged > 0) {
    rep.code = kExitRejected;
  } else if (chainDown) {
    rep.code = kExitUnreachable;
  } else if (resolved < rep.submitted) {
    rep.code = stuck ? kExitStuck : kExitUnreachable;
  }
  return rep;
}

}  // namespace hunter::app
