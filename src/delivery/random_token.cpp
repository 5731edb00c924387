#include "delivery/random_token.hpp"

#include "delivery/delivery_error.hpp"

#include <openssl/rand.h>

#include <vector>

namespace mc::delivery {

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(bytes)) != 1)
    throw DeliveryError("random_hex: the OpenSSL random generator failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace mc::delivery
