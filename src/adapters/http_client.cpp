// HttpClient on libcurl's multi interface. Easy handles are pooled and reused; connections live
// in the multi handle's connection cache, which every easy handle added to it shares, so
// keep-alive works across calls and across handles.
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>

#include "hunter/adapters/http.hpp"

namespace hunter::adapters {

std::string redactUrl(std::string_view url) {
  std::string out(url);
  auto scheme = out.find("://");
  if (scheme == std::string::npos) return out;
  size_t authority = scheme + 3;
  size_t end = out.find_first_of("/?#", authority);
  if (end == std::string::npos) end = out.size();
  if (auto at = out.rfind('@', end); at != std::string::npos && at >= authority) {
    out.replace(authority, at - authority, "***");
    end = out.find_first_of("/?#", authority);
    if (end == std::string::npos) end = out.size();
  }
  auto q = out.find('?', end);
  if (q == std::string::npos) return out;
  size_t pos = q + 1;
  while (pos <= out.size()) {
    size_t amp = out.find_first_of("&#", pos);
    if (amp == std::string::npos) amp = out.size();
    if (auto eq = out.find('=', pos); eq != std::string::npos && eq < amp) {
      out.replace(eq + 1, amp - eq - 1, "***");
      amp = eq + 4;
    }
    if (amp >= out.size() || out[amp] == '#') break;
    pos = amp + 1;
  }
  return out;
}
namespace {

struct EasyDeleter {
  void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};
struct MultiDeleter {
  void operator()(CURLM* handle) const noexcept { curl_multi_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
using MultiPtr = std::unique_ptr<CURLM, MultiDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

constexpr long kMaxConnectTimeoutMs = 3000;
constexpr size_t kMaxIdleHandles = 64;
constexpr int kPollMs = 1000;

void globalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

enum class Method { kGet, kPost };

const char* methodName(Method m) { return m == Method::kPost ? "POST" : "GET"; }

struct Transfer {
  const HttpCall* call = nullptr;
  EasyPtr easy;
  std::string body;
  bool added = false;
  bool done = false;
  bool too_large = false;
  bool straggler = false;  // ended by postAll's `enough` cut-off
  CURLcode code = CURLE_OK;
  char errbuf[CURL_ERROR_SIZE] = {};
};

// Appends to the body; refuses (aborting the transfer) anything that would take it past
// max_response, so at most max_response bytes are ever buffered.
size_t onWrite(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * nmemb;
  const size_t limit = t->call->max_response;
  if (n > limit - t->body.size()) {
    t->too_large = true;
    return 0;
  }
  if (t->body.empty()) {
    curl_off_t length = -1;
    if (curl_easy_getinfo(t->easy.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK &&
        length > 0) {
      t->body.reserve(std::min(static_cast<size_t>(length), limit));
    }
  }
  t->body.append(data, n);
  return n;
}

Error transferError(Method method, const Transfer& t) {
  const HttpCall& call = *t.call;
  const std::string where = std::string(methodName(method)) + " " + redactUrl(call.url) + ": ";
  if (t.too_large || t.code == CURLE_FILESIZE_EXCEEDED) {
    return makeError("response_too_large", where + "response larger than " +
                                               std::to_string(call.max_response) + " bytes");
  }
  const std::string detail = t.errbuf[0] != '\0' ? t.errbuf : curl_easy_strerror(t.code);
  if (t.straggler) return makeError("timeout", where + detail);
  switch (t.code) {
    case CURLE_OPERATION_TIMEDOUT: {
      if (std::strstr(t.errbuf, "too slow") != nullptr) {
        return makeError("timeout", where + "answer too slow (" + detail + ")");
      }
      curl_off_t connected_us = 0;
      curl_easy_getinfo(t.easy.get(), CURLINFO_CONNECT_TIME_T, &connected_us);
      if (connected_us == 0) {
        const long limit = std::min<long>(call.timeout.count(), kMaxConnectTimeoutMs);
        return makeError("timeout",
                         where + "connect timed out after " + std::to_string(limit) + " ms");
      }
      return makeError("timeout",
                       where + "timed out after " + std::to_string(call.timeout.count()) + " ms");
    }
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return makeError("unreachable", where + detail);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      // The usual cause is a private CA: say which setting fixes it.
      return makeError("transport", where + "TLS: " + detail +
                                        " (set hunter.ca_file to the CA bundle that signed the "
                                        "server's certificate)");
    case CURLE_SSL_CONNECT_ERROR:
      return makeError("transport", where + "TLS handshake failed: " + detail);
    default:
      return makeError("transport", where + detail);
  }
}

}  // namespace

struct HttpClient::Impl {
  MultiPtr multi;
  SlistPtr json_headers;
  std::vector<EasyPtr> idle;
  uint64_t connections = 0;

  Impl() {
    globalInit();
    multi.reset(curl_multi_init());
    curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
    if (list != nullptr) {
      // An empty "Expect:" stops curl from waiting for 100-continue on large bodies.
      curl_slist* more = curl_slist_append(list, "Expect:");
      if (more != nullptr) list = more;
    }
    json_headers.reset(list);
  }

  ~Impl() {
    idle.clear();  // easy handles first, then the multi handle with the connection cache
  }

  EasyPtr acquire() {
    if (!idle.empty()) {
      EasyPtr easy = std::move(idle.back());
      idle.pop_back();
      curl_easy_reset(easy.get());  // clears options; keeps caches
      return easy;
    }
    return EasyPtr(curl_easy_init());
  }

  void recycle(EasyPtr easy) {
    if (easy && idle.size() < kMaxIdleHandles) idle.push_back(std::move(easy));
  }

  bool configure(Transfer& t, Method method, const std::string& ca_file) {
    CURL* h = t.easy.get();
    const HttpCall& call = *t.call;
    const long timeout_ms = std::max<long>(1, static_cast<long>(call.timeout.count()));
    bool ok = true;
    auto set = [&](CURLoption option, auto value) {
      ok = ok && curl_easy_setopt(h, option, value) == CURLE_OK;
    };
    set(CURLOPT_URL, call.url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85: the string form; the bitmask is deprecated
    set(CURLOPT_PROTOCOLS_STR, "http,https");
    set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    set(CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    set(CURLOPT_REDIR_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_TIMEOUT_MS, timeout_ms);
    set(CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, kMaxConnectTimeoutMs));
    set(CURLOPT_TCP_KEEPALIVE, 1L);
    set(CURLOPT_TCP_KEEPIDLE, 30L);
    set(CURLOPT_TCP_KEEPINTVL, 10L);
    set(CURLOPT_ERRORBUFFER, t.errbuf);
    set(CURLOPT_WRITEFUNCTION, &onWrite);
    set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
    set(CURLOPT_PRIVATE, static_cast<void*>(&t));
    // Refuses up front a response whose Content-Length is already over the limit.
    set(CURLOPT_MAXFILESIZE_LARGE,
        static_cast<curl_off_t>(std::min<uint64_t>(call.max_response, INT64_MAX)));
    if (!ca_file.empty()) set(CURLOPT_CAINFO, ca_file.c_str());
    if (call.min_rate > 0 && call.min_rate_window.count() > 0) {
      set(CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(call.min_rate));
      set(CURLOPT_LOW_SPEED_TIME, static_cast<long>(call.min_rate_window.count()));
    }
    if (method == Method::kPost) {
      set(CURLOPT_POST, 1L);
      set(CURLOPT_POSTFIELDS, call.body.data());  // not copied: `call` outlives the transfer
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
      set(CURLOPT_HTTPHEADER, json_headers.get());
    } else {
      set(CURLOPT_HTTPGET, 1L);
    }
    return ok;
  }

  std::vector<Result<HttpReply>> run(const HttpCall* calls, size_t count, Method method,
                                     const std::string& ca_file, size_t enough = SIZE_MAX) {
    using Steady = std::chrono::steady_clock;
    const auto started = Steady::now();
    std::optional<Steady::time_point> cutoff;  // once `enough` calls answered
    size_t answered = 0;
    std::vector<Result<HttpReply>> results;
    results.reserve(count);
    if (count == 0) return results;

    auto transfers = std::make_unique<Transfer[]>(count);
    size_t running = 0;
    for (size_t i = 0; i < count; ++i) {
      Transfer& t = transfers[i];
      t.call = &calls[i];
      t.easy = acquire();
      if (!multi || !t.easy) {
        t.done = true;
        t.code = CURLE_OUT_OF_MEMORY;
        continue;
      }
      if (!configure(t, method, ca_file)) {
        t.done = true;
        t.code = CURLE_BAD_FUNCTION_ARGUMENT;
        continue;
      }
      if (curl_multi_add_handle(multi.get(), t.easy.get()) != CURLM_OK) {
        t.done = true;
        t.code = CURLE_FAILED_INIT;
        continue;
      }
      t.added = true;
      ++running;
    }

    while (running > 0) {
      int still_running = 0;
      CURLMcode mc = curl_multi_perform(multi.get(), &still_running);
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued)) {
        if (msg->msg != CURLMSG_DONE) continue;
        void* priv = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        auto* t = static_cast<Transfer*>(priv);
        if (t == nullptr || t->done) continue;
        t->done = true;
        t->code = msg->data.result;
        --running;
        if (t->code == CURLE_OK) ++answered;
      }
      if (running == 0) break;
      if (!cutoff && answered >= enough) {
        auto took = Steady::now() - started;
        cutoff =
            Steady::now() + std::max<Steady::duration>(
                                took, std::chrono::milliseconds(HttpClient::kStragglerGraceMs));
      }
      if (cutoff && Steady::now() >= *cutoff) {
        const auto grace =
            std::chrono::duration_cast<std::chrono::milliseconds>(*cutoff - started).count();
        for (size_t i = 0; i < count; ++i) {
          Transfer& t = transfers[i];
          if (t.done) continue;
          t.done = true;
          t.code = CURLE_OPERATION_TIMEDOUT;
          t.straggler = true;
          std::snprintf(t.errbuf, sizeof t.errbuf,
                        "no answer within %lld ms, when the others had answered",
                        static_cast<long long>(grace));
        }
        running = 0;
        break;
      }
      int wait_ms = kPollMs;
      if (cutoff) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*cutoff - Steady::now());
        wait_ms = static_cast<int>(std::clamp<int64_t>(left.count() + 1, 1, kPollMs));
      }
      if (mc == CURLM_OK) mc = curl_multi_poll(multi.get(), nullptr, 0, wait_ms, nullptr);
      if (mc != CURLM_OK) {
        // The multi handle itself failed: end every unfinished call with that error.
        for (size_t i = 0; i < count; ++i) {
          Transfer& t = transfers[i];
          if (t.done) continue;
          t.done = true;
          t.code = CURLE_FAILED_INIT;
          std::snprintf(t.errbuf, sizeof t.errbuf, "%s", curl_multi_strerror(mc));
        }
        running = 0;
      }
    }

    for (size_t i = 0; i < count; ++i) {
      Transfer& t = transfers[i];
      if (t.added) curl_multi_remove_handle(multi.get(), t.easy.get());
      if (t.easy) {
        long connects = 0;
        if (curl_easy_getinfo(t.easy.get(), CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK) {
          connections += static_cast<uint64_t>(std::max(0L, connects));
        }
      }
      if (t.code == CURLE_OK && !t.too_large && t.added) {
        HttpReply reply;
        curl_easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &reply.status);
        curl_off_t total_us = 0;
        curl_easy_getinfo(t.easy.get(), CURLINFO_TOTAL_TIME_T, &total_us);
        reply.elapsed = std::chrono::microseconds(total_us);
        reply.body = std::move(t.body);
        results.emplace_back(std::move(reply));
      } else {
        results.emplace_back(transferError(method, t));
      }
      recycle(std::move(t.easy));
    }
    return results;
  }
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {}
HttpClient::~HttpClient() = default;

Result<HttpReply> HttpClient::post(const HttpCall& call) {
  return std::move(impl_->run(&call, 1, Method::kPost, ca_file_).front());
}

std::vector<Result<HttpReply>> HttpClient::postAll(const std::vector<HttpCall>& calls,
                                                   size_t enough) {
  return impl_->run(calls.data(), calls.size(), Method::kPost, ca_file_, enough);
}

Result<HttpReply> HttpClient::get(const HttpCall& call) {
  return std::move(impl_->run(&call, 1, Method::kGet, ca_file_).front());
}

uint64_t HttpClient::connectionsOpened() const { return impl_->connections; }

}  // namespace hunter::adapters
