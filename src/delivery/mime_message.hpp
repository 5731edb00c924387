// Builds the RFC 5322 / MIME bytes of one email from plain fields: what the SMTP sender uploads
// and what DKIM signs. Output guarantees:
//  - CRLF line ends only, no line over 998 octets (bodies: 76), 7-bit only (curl never sends
//    BODY=8BITMIME): UTF-8 bodies in quoted-printable, or base64 when QP would be much larger;
//  - Date (RFC 5322 3.3, UTC), From, To, Subject (RFC 2047 encoded-words when non-ASCII),
//    Message-ID (given, or generated `<event-id.random@from-domain>`; returned), MIME-Version;
//  - text and HTML: multipart/alternative, text first, HTML last (the preferred part, RFC 2046
//    5.1.4); one of them: a single part; neither: an empty text/plain part;
//  - an unsubscribe URL: `List-Unsubscribe: <url>` and `List-Unsubscribe-Post:
//    List-Unsubscribe=One-Click` (RFC 8058);
//  - no header injection: CR, LF or NUL in any header input throws DeliveryError naming the field
//    (`subject: contains a line break ...`); so does an address that is no addr-spec.
// No dot-stuffing: libcurl does it on the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mc::delivery {

struct MailFields {
  std::string from_address;  // addr-spec: local@domain
  std::string from_name;     // display name, may be UTF-8; empty: none
  std::string to_address;
  std::string to_name;
  std::string subject;  // UTF-8
  std::string text;     // text/plain body, UTF-8; empty: none
  std::string html;     // text/html body, UTF-8; empty: none
  // Without angle brackets (`id@domain`); empty: generated.
  std::string message_id;
  // Folded into a generated Message-ID (`<event_id.random@domain>`) so a returned header
  // points back to the event even without a database lookup. Empty: random only.
  std::string event_id;
  std::optional<std::int64_t> date_unix;  // empty: now
  std::string unsubscribe_url;            // empty: no List-Unsubscribe
  // Extra fields (Reply-To, X-MC-Event-Id, ...): names must be RFC 5322 field names and must
  // not be one of the fields built here; values are unstructured text (encoded when non-ASCII).
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

struct BuiltMessage {
  std::string bytes;       // the whole message, CRLF line ends
  std::string message_id;  // as in the header, with angle brackets: `<...@domain>`
};

// Throws DeliveryError naming the offending field.
BuiltMessage build_message(const MailFields& fields);

// Refuses CR, LF and NUL in a header input: `field: contains a line break (CR or LF)`.
void check_header_input(const char* field, const std::string& value);

// Whether `addr` is a plausible addr-spec (local@domain, printable ASCII, no blanks, no <>()
// ,;:\" outside the local part's usual set). Not a full RFC 5321 validator: the address was
// validated at intake (core/address_syntax); this only keeps the header well-formed.
bool plausible_addr_spec(const std::string& addr);

}  // namespace mc::delivery
