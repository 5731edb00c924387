// DKIM verification with libopendkim, for tests and diagnostics. The public key is looked up in
// a key file (opendkim's DKIM_QUERY_FILE: lines `<selector>._domainkey.<domain> <TXT data>`)
// instead of DNS, so tests run offline and can fail for real.
#pragma once

#include <string>
#include <string_view>

namespace mc::delivery {

struct DkimVerification {
  bool pass = false;           // signature present, verified, body hash matched
  std::string result;          // opendkim's status text, or the failure detail
  std::string signed_headers;  // h= of the (first) signature, as opendkim saw it
};

// `key_file`: a file in the format above.
DkimVerification dkim_verify_with_key_file(std::string_view message, const std::string& key_file);

}  // namespace mc::delivery
