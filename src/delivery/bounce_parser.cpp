#include "delivery/bounce_parser.hpp"

#include "delivery/bounce_classifier.hpp"
#include "delivery/mime_reader.hpp"
#include "delivery/smtp_reply.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

namespace mc::delivery {

namespace {
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string s) {
  auto ws = [](unsigned char c) { return std::isspace(c); };
  while (!s.empty() && ws(s.back())) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && ws(s[i])) ++i;
  return s.substr(i);
}

// `rfc822; a@b` -> `a@b`; `smtp; 550 ...` -> `550 ...`.
std::string after_type(const std::string& v) {
  std::size_t semi = v.find(';');
  std::string out = trim(semi == std::string::npos ? v : v.substr(semi + 1));
  if (out.size() >= 2 && out.front() == '<' && out.back() == '>')
    out = out.substr(1, out.size() - 2);
  return out;
}

void add_message_id(BounceReport& r, const std::string& value) {
  std::string id = trim(value);
  std::size_t lt = id.find('<');
  std::size_t gt = id.find('>', lt == std::string::npos ? 0 : lt);
  if (lt != std::string::npos && gt != std::string::npos)
    id = id.substr(lt, gt - lt + 1);
  else if (!id.empty())
    id = "<" + id + ">";
  if (id.size() > 2 &&
      std::find(r.message_ids.begin(), r.message_ids.end(), id) == r.message_ids.end())
    r.message_ids.push_back(id);
}

void take_original_headers(BounceReport& r,
                           const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [name, value] : headers) {
    std::string n = lower(name);
    if (n == "message-id") add_message_id(r, value);
    if (n == "x-mc-event-id" && r.event_id.empty()) r.event_id = trim(value);
  }
}

// Decides a recipient's outcome from Action, Status and Diagnostic-Code.
void classify(BounceRecipient& rcpt) {
  SmtpReply reply;
  std::optional<SmtpReply> diag;
  if (!rcpt.diagnostic.empty()) diag = parse_smtp_reply(rcpt.diagnostic);
  auto status = parse_enhanced_status(rcpt.status);
  if (diag) {
    reply = *diag;
    if (!reply.enhanced) reply.enhanced = status;
  } else {
    int cls = status ? status->cls : (rcpt.action == "failed" ? 5 : 4);
    reply.code = cls == 2 ? 250 : cls * 100 + 50;  // no reply code given: a generic one
    reply.enhanced = status;
    reply.text = rcpt.diagnostic;
  }
  rcpt.outcome = classify_smtp_reply(reply);
  if (!diag) {
    // Report the status as given, not the generic code made up above.
    rcpt.outcome.failure_reason = (status ? status->str() : std::string("bounce")) +
                                  (rcpt.diagnostic.empty() ? "" : " " + rcpt.diagnostic);
  }
  // The Action field is the reporting MTA's verdict.
  if (rcpt.action == "failed") {
    rcpt.outcome.disposition = Disposition::Failed;
    if (reply.code / 100 == 4 && rcpt.outcome.quarantine == QuarantineStrength::Hard)
      rcpt.outcome.quarantine = QuarantineStrength::None;  // gave up on a transient error
  } else if (rcpt.action == "delayed") {
    rcpt.outcome.disposition = Disposition::Deferred;
    if (rcpt.outcome.quarantine == QuarantineStrength::Hard) {
      rcpt.outcome.quarantine = QuarantineStrength::None;
      rcpt.outcome.quarantine_reason.clear();
    }
  } else if (rcpt.action == "delivered" || rcpt.action == "relayed" || rcpt.action == "expanded") {
    rcpt.outcome = Outcome{};
    rcpt.outcome.disposition = Disposition::Sent;
  }
}

const MimeEntity* find_part(const MimeEntity& e, const std::string& type) {
  if (e.content_type() == type) return &e;
  for (const auto& p : e.parts)
    if (const MimeEntity* f = find_part(p, type)) return f;
  return nullptr;
}

void collect_text(const MimeEntity& e, std::string& out) {
  std::string t = e.content_type();
  if (e.parts.empty() && (t == "text/plain" || t == "text/html")) {
    out += e.body;
    out += "\n";
  }
  for (const auto& p : e.parts) collect_text(p, out);
}

bool parse_dsn(const MimeEntity& root, BounceReport& r) {
  const MimeEntity* status = find_part(root, "message/delivery-status");
  if (!status) status = find_part(root, "message/global-delivery-status");
  if (!status) return false;
  r.is_dsn = true;
  std::string_view rest = status->body;
  bool first = true;
  while (!rest.empty()) {
    // Skip blank lines between blocks.
    while (!rest.empty() && (rest.front() == '\r' || rest.front() == '\n')) rest.remove_prefix(1);
    if (rest.empty()) break;
    std::string_view after;
    auto fields = parse_header_block(rest, &after);
    if (fields.empty() || after.size() == rest.size()) break;
    rest = after;
    BounceRecipient rcpt;
    bool has_recipient = false;
    for (const auto& [name, value] : fields) {
      std::string n = lower(name);
      if (n == "reporting-mta")
        r.reporting_mta = after_type(value);
      else if (n == "final-recipient")
        rcpt.final_recipient = after_type(value), has_recipient = true;
      else if (n == "original-recipient")
        rcpt.original_recipient = after_type(value);
      else if (n == "action")
        rcpt.action = lower(trim(value));
      else if (n == "status")
        rcpt.status = trim(value).substr(0, trim(value).find_first_of(" \t("));
      else if (n == "diagnostic-code")
        rcpt.diagnostic = after_type(value);
      else if (n == "remote-mta")
        rcpt.remote_mta = after_type(value);
    }
    if (has_recipient) {
      classify(rcpt);
      r.recipients.push_back(std::move(rcpt));
    }
    first = false;
  }
  (void)first;
  if (const MimeEntity* orig = find_part(root, "message/rfc822")) {
    if (!orig->parts.empty()) take_original_headers(r, orig->parts.front().headers);
  }
  if (const MimeEntity* hdrs = find_part(root, "text/rfc822-headers")) {
    take_original_headers(r, parse_header_block(hdrs->body, nullptr));
  }
  return true;
}

void parse_heuristic(const MimeEntity& root, std::string_view raw, BounceReport& r) {
  std::string text;
  collect_text(root, text);
  if (text.empty()) text.assign(raw);
  // Message-IDs of the quoted original (skip the bounce's own Message-ID).
  std::string own_id = root.header("message-id");
  static const std::regex kMessageId(R"((?:^|\n)[ \t>]*Message-ID:[ \t]*(<[^<>\s]+@[^<>\s]+>))",
                                     std::regex::icase);
  for (std::sregex_iterator it(text.begin(), text.end(), kMessageId), end; it != end; ++it) {
    std::string id = (*it)[1];
    if (id != trim(own_id)) add_message_id(r, id);
  }
  static const std::regex kEventId(R"((?:^|\n)[ \t>]*X-MC-Event-Id:[ \t]*(\S+))",
                                   std::regex::icase);
  std::smatch m;
  if (std::regex_search(text, m, kEventId)) r.event_id = m[1];

  // The failure: an SMTP reply (`550 5.1.1 text` / `550-5.1.1 text` / `550 text`), else a
  // qmail-style `(#5.1.1)`, else a phrase.
  static const std::regex kReply(
      R"((?:^|[\s:(])([45][0-9][0-9])[ -]((?:[245]\.[0-9]{1,3}\.[0-9]{1,3})?[^\n]*))");
  static const std::regex kQmail(R"(#([245]\.[0-9]{1,3}\.[0-9]{1,3}))");
  static const std::regex kAddress(R"(<?([A-Za-z0-9._%+=-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>?)");
  BounceRecipient rcpt;
  std::string line_of_failure;
  if (std::regex_search(text, m, kReply)) {
    rcpt.diagnostic = trim(std::string(m[1]) + " " + std::string(m[2]));
    line_of_failure = m[0];
  } else if (std::regex_search(text, m, kQmail)) {
    rcpt.status = m[1];
    // The sentence around the code is the diagnostic.
    std::size_t pos = static_cast<std::size_t>(m.position(0));
    std::size_t start = text.rfind('\n', pos);
    start = start == std::string::npos ? 0 : start + 1;
    std::size_t end = text.find('\n', pos);
    rcpt.diagnostic =
        trim(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    line_of_failure = rcpt.diagnostic;
  } else {
    QuarantineStrength s;
    std::string reason = quarantine_reason_for(550, std::nullopt, text, &s);
    if (reason.empty() || reason == "rejected") {
      std::string auto_sub = lower(root.header("auto-submitted"));
      if (auto_sub.rfind("auto-replied", 0) == 0) r.auto_reply = true;
      return;
    }
    rcpt.diagnostic = reason == "mailbox_full" ? "mailbox full" : "user unknown";
  }
  // The recipient: an address on the failure line, else the first in the text that is not the
  // bounce's own sender or recipient.
  std::string own_from = lower(root.header("from")), own_to = lower(root.header("to"));
  if (std::regex_search(line_of_failure, m, kAddress)) {
    rcpt.final_recipient = m[1];
  } else {
    for (std::sregex_iterator it(text.begin(), text.end(), kAddress), end; it != end; ++it) {
      std::string a = (*it)[1];
      if (own_from.find(lower(a)) == std::string::npos &&
          own_to.find(lower(a)) == std::string::npos &&
          std::find_if(r.message_ids.begin(), r.message_ids.end(), [&](const std::string& id) {
            return id.find(a) != std::string::npos;
          }) == r.message_ids.end()) {
        rcpt.final_recipient = a;
        break;
      }
    }
  }
  auto reply = parse_smtp_reply(rcpt.diagnostic);
  rcpt.action = (reply && reply->code / 100 == 4) ? "delayed" : "failed";
  if (reply && reply->enhanced) rcpt.status = reply->enhanced->str();
  classify(rcpt);
  r.recipients.push_back(std::move(rcpt));
}
}  // namespace

BounceReport parse_bounce(std::string_view raw) {
  BounceReport r;
  try {
    MimeEntity root = parse_mime(raw);
    if (!parse_dsn(root, r)) parse_heuristic(root, raw, r);
  } catch (...) {
    // Malformed beyond reading (or out of memory): report what was found so far.
  }
  return r;
}

}  // namespace mc::delivery
