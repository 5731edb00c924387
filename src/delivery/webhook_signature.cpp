#include "delivery/webhook_signature.hpp"

#include "delivery/delivery_error.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace mc::delivery {

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // HMAC() with a NULL output buffer would use a static one: not thread-safe, so pass ours.
  static const unsigned char kEmpty = 0;
  if (!HMAC(EVP_sha256(), key.empty() ? static_cast<const void*>(&kEmpty) : key.data(),
            static_cast<int>(key.size()),
            data.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(data.data()),
            data.size(), mac, &len))
    throw DeliveryError("webhook signature: HMAC-SHA256 failed in OpenSSL");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

std::string unsubscribe_token(std::string_view key, std::int64_t event_id,
                              std::string_view address) {
  std::string id = std::to_string(event_id);
  std::string data = id;
  data += '\n';
  data.append(address.data(), address.size());
  return id + "." + hmac_sha256_hex(key, data);
}

std::string webhook_signature(std::string_view key, std::string_view body) {
  return "sha256=" + hmac_sha256_hex(key, body);
}

bool verify_webhook_signature(std::string_view key, std::string_view body,
                              std::string_view header_value) {
  std::string expected = webhook_signature(key, body);
  return header_value.size() == expected.size() &&
         CRYPTO_memcmp(expected.data(), header_value.data(), expected.size()) == 0;
}

}  // namespace mc::delivery
