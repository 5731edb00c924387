// DKIM signing (RFC 6376) of a built message with libopendkim: rsa-sha256, relaxed/relaxed, no
// l= (section 8.2). Signed fields: From, To, Cc, Reply-To, Subject, Date, Message-ID,
// MIME-Version, Content-Type, Content-Transfer-Encoding, List-Unsubscribe, List-Unsubscribe-Post
// (RFC 8058 section 4: both must be covered for one-click); From, Subject and the two
// List-Unsubscribe fields are oversigned (listed once more than present, section 5.4.2) so that
// none can be added later. The DKIM-Signature field is put first.
//
// The library handle is created once per signer with malloc/free (never palloc: opendkim is C
// code a longjmp must not leave). Not thread-safe: one signer per thread.
#pragma once

#include <string>
#include <string_view>

struct dkim_lib;  // opendkim's DKIM_LIB (forward-declared: keeps <opendkim/dkim.h> out of users)

namespace mc::delivery {

struct DkimKey {
  std::string domain;       // d=
  std::string selector;     // s=
  std::string private_key;  // PEM, as given to mc.set_provider_secret(name || ':dkim', pem)
};

class DkimSigner {
 public:
  DkimSigner();
  ~DkimSigner();
  DkimSigner(const DkimSigner&) = delete;
  DkimSigner& operator=(const DkimSigner&) = delete;

  // The message with a `DKIM-Signature:` field prepended (CRLF line ends). Throws DeliveryError
  // with opendkim's explanation (bad key, key too small, malformed message).
  std::string sign(std::string_view message, const DkimKey& key);
  // Only the field (`DKIM-Signature: v=1; ...` + CRLF), for callers that keep the bytes apart.
  std::string signature_field(std::string_view message, const DkimKey& key);

 private:
  dkim_lib* lib_;
};

// Calls `on_field` for every header field of `message` as it appears (continuation lines
// included, no final CRLF) and returns the offset of the body (after the empty line).
template <typename F>
std::size_t for_each_header_field(std::string_view message, F&& on_field) {
  std::size_t pos = 0, field_start = std::string_view::npos;
  while (pos < message.size()) {
    std::size_t eol = message.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = message.size();
    bool empty = eol == pos;
    bool continuation = !empty && (message[pos] == ' ' || message[pos] == '\t');
    if (!continuation && field_start != std::string_view::npos) {
      on_field(message.substr(field_start, pos - 2 - field_start));
      field_start = std::string_view::npos;
    }
    if (empty) return std::min(message.size(), eol + 2);
    if (!continuation) field_start = pos;
    pos = eol + 2;
  }
  if (field_start != std::string_view::npos)
    on_field(message.substr(field_start, std::min(pos, message.size()) - field_start));
  return message.size();
}

}  // namespace mc::delivery
