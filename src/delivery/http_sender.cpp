#include "delivery/http_sender.hpp"

#include "delivery/delivery_error.hpp"
#include "delivery/http_outcome.hpp"
#include "delivery/http_pipeline.hpp"

#include <poll.h>

#include <cctype>
#include <cstring>
#include <ctime>
#include <strings.h>

namespace mc::delivery {

namespace {
constexpr std::size_t kMaxResponseBody = 64 * 1024;

class HttpTransfer final : public Transfer {
 public:
  HttpTransfer(HttpJob job, const HttpOptions& options) : job_(std::move(job)), options_(options) {
    result_.id = job_.id;
  }
  ~HttpTransfer() override { curl_slist_free_all(headers_); }

  void setup(CURL* easy) override {
    ParsedUrl u = parse_url(job_.url, "url");
    if (u.scheme != "http" && u.scheme != "https")
      throw DeliveryError("url: must start with http:// or https://");
    for (const auto& [name, value] : job_.headers) {
      std::string line = name + ": " + value;
      for (char c : line)
        if (c == '\r' || c == '\n' || c == '\0')
          throw DeliveryError("header " + name + ": contains a line break or NUL");
      curl_slist* next = curl_slist_append(headers_, line.c_str());
      if (!next) throw DeliveryError("out of memory");
      headers_ = next;
    }
    // No "Expect: 100-continue" round trip for larger bodies.
    if (curl_slist* next = curl_slist_append(headers_, "Expect:")) headers_ = next;
    const std::string method = job_.method.empty() ? "POST" : job_.method;
    curl_easy_setopt(easy, CURLOPT_URL, job_.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    set_tls_ca(easy, options_.tls_ca);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers_);
    if (method == "GET") {
      curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, job_.body.data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(job_.body.size()));
      if (method != "POST") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &HttpTransfer::on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &HttpTransfer::on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout_ms));
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  }

  void finish(CURL* easy, CURLcode code, const char* error, bool new_connection) noexcept override {
    try {
      result_.curl_code = static_cast<int>(code);
      result_.curl_error = error && *error ? error : (code ? curl_easy_strerror(code) : "");
      result_.new_connection = new_connection;
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      result_.status = status;
      if (code == CURLE_OK && status > 0) {
        result_.outcome = classify_http_status(status, options_.success_codes, retry_after_,
                                               result_.response_body, std::time(nullptr));
      } else {
        std::string what = code == CURLE_OPERATION_TIMEDOUT ? "timeout" : "transport error";
        result_.outcome = classify_transport_failure(what + ": " + result_.curl_error);
      }
    } catch (...) {
      result_.outcome.disposition = Disposition::Deferred;
    }
  }

  void setup_failed(const char* what) noexcept override {
    result_.outcome.disposition = Disposition::Failed;
    try {
      result_.outcome.failure_reason = std::string("not sent: ") + what;
    } catch (...) {
    }
  }

  HttpResult take_result() { return std::move(result_); }

 private:
  static size_t on_body(char* data, size_t size, size_t n, void* userp) noexcept {
    auto* self = static_cast<HttpTransfer*>(userp);
    size_t len = size * n;
    try {
      size_t room =
          kMaxResponseBody - std::min(kMaxResponseBody, self->result_.response_body.size());
      self->result_.response_body.append(data, std::min(room, len));
    } catch (...) {
      return 0;
    }
    return len;  // the rest is read and dropped
  }

  // Keeps Retry-After of the final response (curl passes the headers of every response,
  // 1xx included; a new status line starts over).
  static size_t on_header(char* data, size_t size, size_t n, void* userp) noexcept {
    auto* self = static_cast<HttpTransfer*>(userp);
    size_t len = size * n;
    try {
      std::string_view line(data, len);
      if (line.rfind("HTTP/", 0) == 0) self->retry_after_.clear();
      constexpr std::string_view kName = "retry-after:";
      if (line.size() > kName.size() && strncasecmp(line.data(), kName.data(), kName.size()) == 0) {
        std::string_view v = line.substr(kName.size());
        while (!v.empty() && (v.back() == '\r' || v.back() == '\n')) v.remove_suffix(1);
        self->retry_after_.assign(v);
      }
    } catch (...) {
      return 0;
    }
    return len;
  }

  HttpJob job_;
  const HttpOptions& options_;
  curl_slist* headers_ = nullptr;
  std::string retry_after_;
  HttpResult result_;
};

}  // namespace

HttpSender::HttpSender(HttpOptions options, bool native)
    : options_(std::move(options)),
      bucket_(options_.max_per_second, std::max(1.0, options_.max_per_second), monotonic_ms()),
      engine_([this] {
        EngineLimits l;
        l.max_connections = options_.max_connections;
        l.max_per_second = options_.max_per_second;
        l.shared_bucket = &bucket_;
        return l;
      }()) {
  if (native) native_ = std::make_unique<HttpPipeline>(options_, &bucket_);
}

HttpSender::~HttpSender() = default;

void HttpSender::add(HttpJob job) {
  if (native_) {
    ParsedUrl u;
    bool parsed = false;
    try {
      u = parse_url(job.url, "url");
      parsed = true;
    } catch (const std::exception&) {
      // refused by the curl path's setup, with the same message as before
    }
    if (parsed && HttpPipeline::usable(job, u)) {
      native_->add(std::move(job), u);
      return;
    }
  }
  engine_.add(std::make_unique<HttpTransfer>(std::move(job), options_));
}

std::size_t HttpSender::completed() const {
  return done_.size() + (native_ ? native_->completed() : 0);
}

std::vector<HttpResult> HttpSender::take_completed() {
  std::vector<HttpResult> out;
  out.swap(done_);
  for (auto& t : engine_.take_completed())
    out.push_back(static_cast<HttpTransfer&>(*t).take_result());
  if (native_) native_->take_completed(out);
  return out;
}

bool HttpSender::idle() const { return engine_.idle() && (!native_ || native_->idle()); }

std::size_t HttpSender::queued() const {
  return engine_.queued() + (native_ ? native_->queued() : 0);
}

std::size_t HttpSender::in_flight() const {
  return engine_.in_flight() + (native_ ? native_->in_flight() : 0);
}

EngineStats HttpSender::stats() const {
  EngineStats s = engine_.stats();
  if (native_) {
    s.connections_opened += native_->stats().connections_opened;
    s.transfers_done += native_->stats().transfers_done;
  }
  return s;
}

std::vector<WaitSocket> HttpSender::wait_sockets() const {
  std::vector<WaitSocket> out = engine_.wait_sockets();
  if (native_) native_->wait_sockets(out);
  return out;
}

long HttpSender::wait_timeout_ms() {
  long t = engine_.wait_timeout_ms();
  if (native_) {
    long n = native_->wait_timeout_ms();
    if (n >= 0 && (t < 0 || n < t)) t = n;
  }
  return t;
}

void HttpSender::process(const std::vector<ReadySocket>& ready) {
  if (!native_) {
    engine_.process(ready);
    return;
  }
  std::vector<ReadySocket> mine, theirs;
  for (const ReadySocket& r : ready) (native_->owns(r.fd) ? mine : theirs).push_back(r);
  native_->process(mine);
  engine_.process(theirs);
}

std::size_t HttpSender::poll(int timeout_ms) {
  if (!native_) return engine_.poll(timeout_ms);
  std::int64_t deadline = monotonic_ms() + std::max(0, timeout_ms);
  for (;;) {
    if (idle()) return completed();
    std::vector<WaitSocket> socks = wait_sockets();
    long t = wait_timeout_ms();
    long left = static_cast<long>(std::max<std::int64_t>(0, deadline - monotonic_ms()));
    long wait = t >= 0 && t < left ? t : left;
    std::vector<pollfd> fds;
    fds.reserve(socks.size());
    for (const WaitSocket& s : socks)
      fds.push_back({s.fd, static_cast<short>((s.read ? POLLIN : 0) | (s.write ? POLLOUT : 0)), 0});
    if (!fds.empty() || wait > 0)
      ::poll(fds.empty() ? nullptr : fds.data(), fds.size(), static_cast<int>(wait));
    std::vector<ReadySocket> ready;
    for (const pollfd& p : fds)
      if (p.revents)
        ready.push_back({p.fd, (p.revents & (POLLIN | POLLHUP)) != 0, (p.revents & POLLOUT) != 0,
                         (p.revents & (POLLERR | POLLNVAL)) != 0});
    process(ready);
    // Finished curl transfers wait in done_, so completed() sees them.
    for (auto& t2 : engine_.take_completed())
      done_.push_back(static_cast<HttpTransfer&>(*t2).take_result());
    if (completed() > 0 || idle() || monotonic_ms() >= deadline) return completed();
  }
}

}  // namespace mc::delivery
