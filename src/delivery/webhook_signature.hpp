// The webhook signature of the spec (section 8), GitHub style: `X-MC-Signature: sha256=<lowercase
// hex of HMAC-SHA256(key, raw body)>`, computed with OpenSSL libcrypto.
#pragma once

#include <string>
#include <string_view>

namespace mc::delivery {

// Lowercase hex of HMAC-SHA256(key, data).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// `sha256=<hex>`: the X-MC-Signature header value.
std::string webhook_signature(std::string_view key, std::string_view body);

// Constant-time check of a received header value against the body (for receivers and tests).
bool verify_webhook_signature(std::string_view key, std::string_view body,
                              std::string_view header_value);

}  // namespace mc::delivery
