// The webhook signature of the spec (section 8), GitHub style: `X-MC-Signature: sha256=<lowercase
// hex of HMAC-SHA256(key, raw body)>`, computed with OpenSSL libcrypto.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mc::delivery {

// Lowercase hex of HMAC-SHA256(key, data).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// The one-click unsubscribe token of a message (RFC 8058 link, mc-gateway's POST /u/{token}):
// `<event id>.<hex HMAC-SHA256(key, "<event id>\n<address>")>`, the same value as SQL's
// mc.unsubscribe_token (sql/functions/unsubscribe.sql), key = mc.unsubscribe_key's raw bytes.
std::string unsubscribe_token(std::string_view key, std::int64_t event_id,
                              std::string_view address);

// `sha256=<hex>`: the X-MC-Signature header value.
std::string webhook_signature(std::string_view key, std::string_view body);

// Constant-time check of a received header value against the body (for receivers and tests).
bool verify_webhook_signature(std::string_view key, std::string_view body,
                              std::string_view header_value);

}  // namespace mc::delivery
