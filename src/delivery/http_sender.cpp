#include "delivery/http_sender.hpp"

#include "delivery/delivery_error.hpp"
#include "delivery/http_outcome.hpp"

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

EngineLimits limits_of(const HttpOptions& o) {
  EngineLimits l;
  l.max_connections = o.max_connections;
  l.max_per_second = o.max_per_second;
  return l;
}
}  // namespace

HttpSender::HttpSender(HttpOptions options)
    : options_(std::move(options)), engine_(limits_of(options_)) {}

void HttpSender::add(HttpJob job) {
  engine_.add(std::make_unique<HttpTransfer>(std::move(job), options_));
}

std::vector<HttpResult> HttpSender::take_completed() {
  std::vector<HttpResult> out;
  for (auto& t : engine_.take_completed())
    out.push_back(static_cast<HttpTransfer&>(*t).take_result());
  return out;
}

}  // namespace mc::delivery
