// Unpredictable tokens for Message-IDs and MIME boundaries, from OpenSSL's CSPRNG (the process
// may fork: OpenSSL 3 reseeds after fork, std::mt19937 would not).
#pragma once

#include <cstddef>
#include <string>

namespace mc::delivery {

// `bytes` random bytes as lowercase hex (2 * bytes characters).
std::string random_hex(std::size_t bytes);

}  // namespace mc::delivery
