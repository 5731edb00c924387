#include "delivery/mime_message.hpp"

#include "delivery/delivery_error.hpp"
#include "delivery/header_encoding.hpp"
#include "delivery/random_token.hpp"
#include "delivery/rfc5322_date.hpp"
#include "delivery/transfer_encoding.hpp"

#include <cctype>
#include <ctime>
#include <strings.h>

namespace mc::delivery {

namespace {
// Fields built here; an extra header may not add a second one.
constexpr const char* kOwnFields[] = {"date",
                                      "from",
                                      "to",
                                      "subject",
                                      "message-id",
                                      "mime-version",
                                      "content-type",
                                      "content-transfer-encoding",
                                      "list-unsubscribe",
                                      "list-unsubscribe-post",
                                      "dkim-signature"};

bool valid_field_name(const std::string& name) {
  if (name.empty() || name.size() > 76) return false;
  for (unsigned char c : name)
    if (c < 33 || c > 126 || c == ':') return false;
  return true;
}

std::string mailbox(const std::string& name, const std::string& addr, std::size_t line_used) {
  if (name.empty()) return addr;
  std::string display = encode_display_name(name, line_used);
  // Put the address on its own folded line when the name was long.
  std::size_t last_line = display.rfind("\r\n");
  std::size_t tail =
      last_line == std::string::npos ? line_used + display.size() : display.size() - last_line - 2;
  return display + (tail + addr.size() + 3 > 78 ? "\r\n <" : " <") + addr + ">";
}

// A body part: headers (Content-Type, Content-Transfer-Encoding), a blank line, the encoded body.
// Quoted-printable unless base64 is shorter (text that is mostly not ASCII). Encoded first and
// measured after: one pass over the body, not three (line ends, size, encoding: 8 % of a busy
// sender worker). The quoted-printable encoder makes every line end CRLF itself.
std::string body_part(const char* subtype, const std::string& content) {
  std::string encoded = quoted_printable_encode(content);
  bool base64 = encoded.size() > content.size() * 4 / 3 + 16 + content.size() / 76 * 3;
  if (base64) encoded = base64_encode(normalize_crlf(content), 76);
  std::string out = "Content-Type: text/";
  out += subtype;
  out += "; charset=utf-8\r\nContent-Transfer-Encoding: ";
  out += base64 ? "base64" : "quoted-printable";
  out += "\r\n\r\n";
  out += encoded;
  return out;
}
}  // namespace

void check_header_input(const char* field, const std::string& value) {
  for (char c : value)
    if (c == '\r' || c == '\n' || c == '\0')
      throw DeliveryError(std::string(field) +
                          ": contains a line break (CR or LF) or NUL; refused (header injection)");
}

bool plausible_addr_spec(const std::string& addr) {
  std::size_t at = addr.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == addr.size() || addr.size() > 320)
    return false;
  for (std::size_t i = 0; i < addr.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(addr[i]);
    if (c <= 32 || c == 127) return false;  // no blanks or controls (8-bit allowed: SMTPUTF8)
    if (c == '<' || c == '>' || c == '(' || c == ')' || c == ',' || c == ';' || c == '\\' ||
        c == '"')
      return false;
    if (c == ':' && i > at) return false;
  }
  return true;
}

BuiltMessage build_message(const MailFields& f) {
  check_header_input("from_address", f.from_address);
  check_header_input("from_name", f.from_name);
  check_header_input("to_address", f.to_address);
  check_header_input("to_name", f.to_name);
  check_header_input("subject", f.subject);
  check_header_input("message_id", f.message_id);
  check_header_input("event_id", f.event_id);
  check_header_input("unsubscribe_url", f.unsubscribe_url);
  if (!plausible_addr_spec(f.from_address))
    throw DeliveryError("from_address: not an address (local@domain): \"" + f.from_address + "\"");
  if (!plausible_addr_spec(f.to_address))
    throw DeliveryError("to_address: not an address (local@domain): \"" + f.to_address + "\"");
  for (const auto& [name, value] : f.extra_headers) {
    check_header_input("extra_headers name", name);
    check_header_input(("extra_headers." + name).c_str(), value);
    if (!valid_field_name(name))
      throw DeliveryError("extra_headers." + name + ": not a header field name");
    for (const char* own : kOwnFields)
      if (strcasecmp(name.c_str(), own) == 0)
        throw DeliveryError("extra_headers." + name + ": set by the message builder itself");
  }
  if (!f.unsubscribe_url.empty()) {
    for (unsigned char c : f.unsubscribe_url)
      if (c <= 32 || c > 126 || c == '<' || c == '>')
        throw DeliveryError("unsubscribe_url: must be a URL of printable ASCII without blanks");
  }

  BuiltMessage built;
  std::string domain = f.from_address.substr(f.from_address.rfind('@') + 1);
  if (!f.message_id.empty()) {
    std::string id = f.message_id;
    if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
    if (!plausible_addr_spec(id))
      throw DeliveryError("message_id: must look like id@domain: \"" + f.message_id + "\"");
    built.message_id = "<" + id + ">";
  } else {
    std::string local;
    for (char c : f.event_id)
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') local += c;
    if (!local.empty()) local += '.';
    built.message_id = "<" + local + random_hex(12) + "@" + domain + ">";
  }

  std::string& m = built.bytes;
  m.reserve(512 + f.text.size() * 11 / 10 + f.html.size() * 11 / 10);
  m += "Date: " + rfc5322_date(f.date_unix ? *f.date_unix : std::int64_t(std::time(nullptr))) +
       "\r\n";
  m += "From: " + mailbox(f.from_name, f.from_address, 6) + "\r\n";
  m += "To: " + mailbox(f.to_name, f.to_address, 4) + "\r\n";
  m += unstructured_field("Subject", f.subject);
  m += "Message-ID: " + built.message_id + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  if (!f.unsubscribe_url.empty()) {
    m += "List-Unsubscribe: <" + f.unsubscribe_url + ">\r\n";
    m += "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n";
  }
  for (const auto& [name, value] : f.extra_headers) m += unstructured_field(name, value);

  if (!f.text.empty() && !f.html.empty()) {
    // "=_" never occurs in quoted-printable or base64 output (RFC 2045), so the boundary
    // cannot occur inside a part.
    std::string boundary = "=_mc_" + random_hex(12);
    m += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
    m += "This is a multi-part message in MIME format.\r\n";
    m += "\r\n--" + boundary + "\r\n" + body_part("plain", f.text);
    m += "\r\n--" + boundary + "\r\n" + body_part("html", f.html);
    m += "\r\n--" + boundary + "--\r\n";
  } else {
    m += body_part(f.html.empty() ? "plain" : "html", f.html.empty() ? f.text : f.html);
    m += "\r\n";
  }
  return built;
}

}  // namespace mc::delivery
