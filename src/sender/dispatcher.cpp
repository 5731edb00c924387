#include "sender/dispatcher.hpp"

#include "delivery/delivery_error.hpp"
#include "delivery/http_request.hpp"
#include "delivery/http_sender.hpp"
#include "delivery/mime_message.hpp"
#include "delivery/provider_config.hpp"
#include "delivery/smtp_sender.hpp"
#include "template/value.hpp"

#include <nlohmann/json.hpp>

#include <strings.h>

#include <algorithm>
#include <chrono>
#include <optional>

namespace mc::sender {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\"");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\"");
  return s.substr(b, e - b + 1);
}

// A template's sender: `addr@domain` or `Display Name <addr@domain>`.
void split_sender(const std::string& sender, std::string& name, std::string& address) {
  auto lt = sender.find('<');
  auto gt = sender.rfind('>');
  if (lt != std::string::npos && gt != std::string::npos && gt > lt) {
    name = trim(sender.substr(0, lt));
    address = trim(sender.substr(lt + 1, gt - lt - 1));
  } else {
    address = trim(sender);
  }
}

}  // namespace

struct Dispatcher::Provider {
  std::string name, channel, definition;
  delivery::ProviderConfig cfg;
  std::string secret, dkim_key;
  std::unique_ptr<delivery::SmtpSender> smtp;
  std::unique_ptr<delivery::HttpSender> http;
  std::unique_ptr<delivery::HttpRequestTemplate> request;
  struct Pending {
    int attempts, max_attempts;
    std::optional<std::int64_t> valid_until;
    std::string message_id;
  };
  std::map<std::uint64_t, Pending> pending;
  int capacity = 16;

  bool idle() const { return pending.empty(); }
};

Dispatcher::Dispatcher()
    : retry_(delivery::RetryPolicy{/*initial_s=*/15, /*multiplier=*/2.0, /*cap_s=*/3600,
                                   /*min_delay_s=*/5, /*max_attempts=*/0}) {}
Dispatcher::~Dispatcher() = default;

void Dispatcher::configure(const std::string& config_json) {
  json config = json::parse(config_json);
  std::map<std::string, std::unique_ptr<Provider>> next;
  for (const json& j : config.at("providers")) {
    auto p = std::make_unique<Provider>();
    p->name = str(j, "name");
    p->channel = str(j, "channel");
    p->secret = str(j, "secret");
    p->dkim_key = str(j, "dkim_key");
    p->definition = j.dump();
    auto old = providers_.find(p->channel);
    if (old != providers_.end() && old->second->definition == p->definition) {
      next[p->channel] = std::move(old->second);
      providers_.erase(old);
      continue;
    }
    std::optional<std::string> url;
    if (j.contains("url") && j["url"].is_string()) url = j["url"].get<std::string>();
    p->cfg = delivery::parse_provider_config(p->name, p->channel, str(j, "kind"), url,
                                             j.contains("options") ? j["options"].dump() : "{}");
    if (p->cfg.kind == delivery::ProviderKind::Smtp) {
      p->smtp = std::make_unique<delivery::SmtpSender>(p->cfg.smtp, p->secret);
      p->capacity = p->cfg.smtp.max_connections * 32;
    } else {
      p->http = std::make_unique<delivery::HttpSender>(p->cfg.http);
      p->request = std::make_unique<delivery::HttpRequestTemplate>(p->cfg.http);
      p->capacity = p->cfg.http.max_connections * 32;
    }
    next[p->channel] = std::move(p);
  }
  for (auto& [channel, p] : providers_)
    if (!p->idle()) retiring_.push_back(std::move(p));
  providers_ = std::move(next);
  signature_ = str(config, "signature");
}

void Dispatcher::claim_limits(std::vector<std::string>& channels, std::vector<int>& limits,
                              std::vector<bool>& with_event) const {
  channels.clear();
  limits.clear();
  with_event.clear();
  for (const auto& [channel, p] : providers_) {
    channels.push_back(channel);
    limits.push_back(std::max(0, p->capacity - static_cast<int>(p->pending.size())));
    with_event.push_back(p->request && p->request->uses_data());
  }
}

void Dispatcher::capacity(int& free, int& total) const {
  free = total = 0;
  for (const auto& [channel, p] : providers_) {
    total += p->capacity;
    free += std::max(0, p->capacity - static_cast<int>(p->pending.size()));
  }
}

void Dispatcher::dispatch(const std::vector<ClaimedMessage>& messages) {
  for (const ClaimedMessage& m : messages) dispatch_one(m);
}

void Dispatcher::dispatch_one(const Message& m) {
  auto it = providers_.find(m.channel);
  if (it == providers_.end()) {
    // The route went away between the claim and now: the next claim holder sends it.
    Outcome o;
    o.event_id = m.event_id;
    o.status = "deferred";
    o.reason = "channel no longer routed";
    o.retry_at = now_unix();
    outcomes_.push_back(std::move(o));
    return;
  }
  Provider& p = *it->second;
  p.pending[m.event_id] = {m.attempts, m.max_attempts, m.valid_until, {}};
  try {
    if (p.smtp)
      send_email(p, m);
    else
      send_http(p, m);
  } catch (const std::exception& e) {
    delivery::Outcome o;
    o.disposition = delivery::Disposition::Failed;
    o.failure_reason = std::string("not sendable: ") + e.what();
    finish(p, m.event_id, o, {});
  }
}

void Dispatcher::send_email(Provider& p, const Message& m) {
  delivery::MailFields f;
  split_sender(m.sender, f.from_name, f.from_address);
  if (f.from_address.empty())
    f.from_address =
        "noreply@" + (p.cfg.smtp.helo.empty() ? std::string("localhost") : p.cfg.smtp.helo);
  f.to_address = m.address;
  f.subject = m.subject;
  f.text = m.body_text;
  f.html = m.body_html;
  f.event_id = std::to_string(m.event_id);
  f.unsubscribe_url = m.unsubscribe_url;
  f.extra_headers.emplace_back("X-MC-Event-Id", f.event_id);
  delivery::BuiltMessage built = delivery::build_message(f);
  std::string bytes;
  if (!p.cfg.smtp.dkim_domain.empty()) {
    if (!dkim_) dkim_ = std::make_unique<delivery::DkimSigner>();
    bytes =
        dkim_->sign(built.bytes, {p.cfg.smtp.dkim_domain, p.cfg.smtp.dkim_selector, p.dkim_key});
  } else {
    bytes = std::move(built.bytes);
  }
  p.pending[m.event_id].message_id = built.message_id;
  p.smtp->add({m.event_id, f.from_address, m.address, std::move(bytes), built.message_id});
}

void Dispatcher::send_http(Provider& p, const Message& m) {
  using tmpl::Value;
  Value data = Value::object();
  // (A webhook provider without header or body templates reads none of the fields: not built.)
  if (p.request->uses_data()) {
    auto set = [&](const char* key, const std::string& v) {
      data.set(key, v.empty() ? Value() : Value::string(v));
    };
    set("address", m.address);
    set("sender", m.sender);
    set("subject", m.subject);
    set("body_html", m.body_html);
    set("body_text", m.body_text);
    set("push_data", m.push_data);
    set("webhook_url", m.webhook_url);
    data.set("event_id", Value::number(std::to_string(m.event_id)));
    set("externalId", m.external_id);
    set("type", m.type);
    set("language", m.language);
    set("country", m.country);
    set("queue", m.queue);
  }
  tmpl::ValueSource source;
  delivery::HttpJob job =
      p.request->render(m.event_id, source, tmpl::ValueSource::ref(data), p.secret, m.webhook_url);
  if (p.cfg.http.body.empty()) {
    // No body template: the message's own rendered body (a webhook template's body).
    job.body = !m.body_text.empty() ? m.body_text : m.push_data;
    bool has_type = false;
    for (auto& h : job.headers)
      if (h.first.size() == 12 && strncasecmp(h.first.c_str(), "content-type", 12) == 0)
        has_type = true;
    if (!has_type)
      job.headers.emplace_back("Content-Type",
                               !job.body.empty() && (job.body[0] == '{' || job.body[0] == '[')
                                   ? "application/json"
                                   : "text/plain; charset=utf-8");
  }
  if (p.channel == "webhook") delivery::sign_webhook(job, p.secret, std::to_string(m.event_id));
  p.http->add(std::move(job));
}

void Dispatcher::finish(Provider& p, std::uint64_t id, const delivery::Outcome& o,
                        const std::string& mid) {
  auto it = p.pending.find(id);
  if (it == p.pending.end()) return;
  Provider::Pending pd = std::move(it->second);
  p.pending.erase(it);
  Outcome out;
  out.event_id = id;
  out.provider = p.name;
  out.message_id = mid.empty() ? pd.message_id : mid;
  switch (o.disposition) {
    case delivery::Disposition::Sent:
      out.status = "sent";
      break;
    case delivery::Disposition::Failed:
      out.status = "failed";
      out.reason = o.failure_reason.empty() ? "failed" : o.failure_reason;
      break;
    case delivery::Disposition::Deferred: {
      std::string reason = o.failure_reason.empty() ? "deferred" : o.failure_reason;
      delivery::RetryDecision d =
          retry_.next(std::max(1, pd.attempts), now_unix(), o.retry_after_s, pd.valid_until);
      if (d.give_up) {
        out.status = "failed";
        out.reason = "expired while deferred: " + reason;
      } else if (pd.attempts >= pd.max_attempts) {
        out.status = "failed";
        out.reason = "deferred " + std::to_string(pd.attempts) + " times: " + reason;
      } else {
        out.status = "deferred";
        out.reason = reason;
        out.retry_at = d.retry_at_unix;
      }
      break;
    }
  }
  if (o.quarantine == delivery::QuarantineStrength::Hard && !o.quarantine_reason.empty())
    out.quarantine = o.quarantine_reason;
  else if (o.quarantine == delivery::QuarantineStrength::Soft && !o.quarantine_reason.empty() &&
           out.status != "sent")
    out.soft = o.quarantine_reason;
  outcomes_.push_back(std::move(out));
}

void Dispatcher::collect(Provider& p) {
  if (p.smtp)
    for (delivery::SmtpResult& r : p.smtp->take_completed())
      finish(p, r.id, r.outcome, r.message_id);
  if (p.http)
    for (delivery::HttpResult& r : p.http->take_completed()) finish(p, r.id, r.outcome, {});
}

void Dispatcher::wait_sockets(std::vector<delivery::WaitSocket>& sockets, std::vector<int>& owner,
                              long& timeout_ms) {
  sockets.clear();
  owner.clear();
  timeout_ms = -1;
  int index = 0;
  auto add = [&](Provider& p) {
    std::vector<delivery::WaitSocket> s = p.smtp ? p.smtp->wait_sockets() : p.http->wait_sockets();
    long t = p.smtp ? p.smtp->wait_timeout_ms() : p.http->wait_timeout_ms();
    for (auto& w : s) {
      sockets.push_back(w);
      owner.push_back(index);
    }
    if (t >= 0 && (timeout_ms < 0 || t < timeout_ms)) timeout_ms = t;
    ++index;
  };
  for (auto& [channel, p] : providers_) add(*p);
  for (auto& p : retiring_) add(*p);
}

void Dispatcher::process(const std::vector<delivery::ReadySocket>& ready,
                         const std::vector<int>& owner) {
  int index = 0;
  std::vector<delivery::ReadySocket> mine;
  auto run = [&](Provider& p) {
    mine.clear();
    for (std::size_t i = 0; i < ready.size() && i < owner.size(); ++i)
      if (owner[i] == index) mine.push_back(ready[i]);
    if (p.smtp)
      p.smtp->process(mine);
    else
      p.http->process(mine);
    collect(p);
    ++index;
  };
  for (auto& [channel, p] : providers_) run(*p);
  for (auto& p : retiring_) run(*p);
  for (auto it = retiring_.begin(); it != retiring_.end();)
    it = (*it)->idle() ? retiring_.erase(it) : it + 1;
}

std::size_t Dispatcher::in_flight() const {
  std::size_t n = 0;
  for (const auto& [channel, p] : providers_) n += p->pending.size();
  for (const auto& p : retiring_) n += p->pending.size();
  return n;
}

}  // namespace mc::sender
