#include "delivery/smtp_sender.hpp"

#include "delivery/bounce_classifier.hpp"
#include "delivery/delivery_error.hpp"
#include "delivery/smtp_reply.hpp"

#include <cstdlib>
#include <cstring>

namespace mc::delivery {

namespace {
// One message in flight: owns the bytes curl reads and the reply lines curl reports.
class SmtpTransfer final : public Transfer {
 public:
  SmtpTransfer(SmtpJob job, const SmtpOptions& options, const std::string& password,
               const std::string& url)
      : job_(std::move(job)), options_(options), password_(password), url_(url) {
    result_.id = job_.id;
    result_.message_id = job_.message_id;
  }

  void setup(CURL* easy) override {
    for (const std::string* v : {&job_.mail_from, &job_.rcpt_to})
      for (char c : *v)
        if (c == '\r' || c == '\n' || c == '<' || c == '>' || c == '\0')
          throw DeliveryError("envelope address contains CR, LF, NUL or angle brackets");
    recipients_ = curl_slist_append(nullptr, ("<" + job_.rcpt_to + ">").c_str());
    if (!recipients_) throw DeliveryError("out of memory");
    curl_easy_setopt(easy, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(easy, CURLOPT_MAIL_FROM, ("<" + job_.mail_from + ">").c_str());
    curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, recipients_);
    curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, &SmtpTransfer::on_read);
    curl_easy_setopt(easy, CURLOPT_READDATA, this);
    curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(job_.message.size()));
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &SmtpTransfer::on_reply_line);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
    long use_ssl = CURLUSESSL_NONE;
    if (!options_.implicit_tls) {
      if (options_.starttls == StartTls::Required) use_ssl = CURLUSESSL_ALL;
      if (options_.starttls == StartTls::Optional) use_ssl = CURLUSESSL_TRY;
    }
    curl_easy_setopt(easy, CURLOPT_USE_SSL, use_ssl);
    set_tls_ca(easy, options_.tls_ca);
    if (!options_.username.empty()) {
      curl_easy_setopt(easy, CURLOPT_USERNAME, options_.username.c_str());
      curl_easy_setopt(easy, CURLOPT_PASSWORD, password_.c_str());
    }
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout_ms));
    curl_easy_setopt(easy, CURLOPT_SERVER_RESPONSE_TIMEOUT,
                     static_cast<long>((options_.timeout_ms + 999) / 1000));
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  }

  void finish(CURL* easy, CURLcode code, const char* error, bool new_connection) noexcept override {
    try {
      long response = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response);
      result_.reply_code = static_cast<int>(response);
      result_.curl_code = static_cast<int>(code);
      result_.curl_error = error && *error ? error : (code ? curl_easy_strerror(code) : "");
      result_.new_connection = new_connection;
      const auto& reply = replies_.last();
      if (reply) result_.reply = reply->str();
      if (code == CURLE_OK) {
        SmtpReply ok = reply ? *reply : SmtpReply{static_cast<int>(response), {}, {}};
        if (ok.code == 0) ok.code = 250;
        result_.outcome = classify_smtp_reply(ok);
      } else if (reply && reply->code >= 400 && code != CURLE_OPERATION_TIMEDOUT &&
                 code != CURLE_LOGIN_DENIED && code != CURLE_USE_SSL_FAILED) {
        // The server refused (MAIL, RCPT, DATA or end of data): its reply decides.
        result_.outcome = classify_smtp_reply(*reply);
      } else {
        // No refusal from the server: connection failure, timeout, dropped connection, TLS or
        // AUTH trouble. Transient for the message (the provider is at fault, not the address).
        std::string what = code == CURLE_OPERATION_TIMEDOUT ? "timeout" : "transport error";
        result_.outcome.disposition = Disposition::Deferred;
        result_.outcome.failure_reason = what + ": " + result_.curl_error;
        if (reply && reply->code >= 400)
          result_.outcome.failure_reason += " (" + reply->str() + ")";
      }
    } catch (...) {
      result_.outcome.disposition = Disposition::Deferred;
      result_.outcome.failure_reason.clear();
    }
  }

  void setup_failed(const char* what) noexcept override {
    result_.outcome.disposition = Disposition::Failed;
    try {
      result_.outcome.failure_reason = std::string("not sent: ") + what;
    } catch (...) {
    }
  }

  ~SmtpTransfer() override { curl_slist_free_all(recipients_); }

  SmtpResult take_result() { return std::move(result_); }

 private:
  static size_t on_read(char* buffer, size_t size, size_t nitems, void* userp) noexcept {
    auto* self = static_cast<SmtpTransfer*>(userp);
    size_t room = size * nitems;
    size_t left = self->job_.message.size() - self->offset_;
    size_t n = left < room ? left : room;
    std::memcpy(buffer, self->job_.message.data() + self->offset_, n);
    self->offset_ += n;
    return n;
  }

  // Every server reply line goes through the header callback (lib/pingpong.c).
  static size_t on_reply_line(char* buffer, size_t size, size_t nitems, void* userp) noexcept {
    auto* self = static_cast<SmtpTransfer*>(userp);
    try {
      self->replies_.feed(std::string_view(buffer, size * nitems));
    } catch (...) {
      return 0;  // aborts the transfer; never let an exception into curl
    }
    return size * nitems;
  }

  SmtpJob job_;
  const SmtpOptions& options_;
  const std::string& password_;
  const std::string& url_;
  curl_slist* recipients_ = nullptr;
  std::size_t offset_ = 0;
  SmtpReplyTracker replies_;
  SmtpResult result_;
};

EngineLimits limits_of(const SmtpOptions& o) {
  EngineLimits l;
  l.max_connections = o.max_connections;
  l.max_messages_per_connection = o.max_messages_per_connection;
  l.max_per_second = o.max_per_second;
  return l;
}

std::string url_of(const SmtpOptions& o) {
  std::string host =
      o.url.host.find(':') != std::string::npos ? "[" + o.url.host + "]" : o.url.host;
  // The path of an SMTP URL is the EHLO argument (lib/smtp.c).
  return std::string(o.implicit_tls ? "smtps://" : "smtp://") + host + ":" +
         std::to_string(o.url.port) + "/" + o.helo;
}
}  // namespace

SmtpSender::SmtpSender(SmtpOptions options, std::string password)
    : options_(std::move(options)),
      password_(std::move(password)),
      url_(url_of(options_)),
      engine_(limits_of(options_)) {
  const char* force_curl = std::getenv("MC_SMTP_CURL");
  if (SmtpPipeline::usable(options_) && !(force_curl && *force_curl && *force_curl != '0'))
    pipe_ = std::make_unique<SmtpPipeline>(options_);
}

void SmtpSender::add(SmtpJob job) {
  if (pipe_) return pipe_->add(std::move(job));
  engine_.add(std::make_unique<SmtpTransfer>(std::move(job), options_, password_, url_));
}

std::vector<SmtpResult> SmtpSender::take_completed() {
  if (pipe_) return pipe_->take_completed();
  std::vector<SmtpResult> out;
  for (auto& t : engine_.take_completed())
    out.push_back(static_cast<SmtpTransfer&>(*t).take_result());
  return out;
}

}  // namespace mc::delivery
