// RSA key pairs generated at test time with libcrypto's EVP API, for DKIM tests: the private key
// as PEM (what mc.set_provider_secret(name:dkim) receives) and the public key as the base64
// SubjectPublicKeyInfo a DKIM DNS record carries in p=.
#pragma once

#include "delivery/transfer_encoding.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <fstream>
#include <stdexcept>
#include <string>

namespace mc::delivery::testing {

struct KeyPair {
  std::string private_pem;
  std::string public_b64;
};

inline KeyPair generate_rsa(int bits) {
  EVP_PKEY* pkey = EVP_RSA_gen(static_cast<unsigned>(bits));
  if (!pkey) throw std::runtime_error("EVP_RSA_gen failed");
  KeyPair kp;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  kp.private_pem.assign(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  unsigned char* der = nullptr;
  int der_len = i2d_PUBKEY(pkey, &der);
  kp.public_b64 = mc::delivery::base64_encode(std::string(reinterpret_cast<char*>(der), der_len));
  OPENSSL_free(der);
  EVP_PKEY_free(pkey);
  return kp;
}

// A key file for DKIM_QUERY_FILE: `<selector>._domainkey.<domain> v=DKIM1;k=rsa;p=<key>`.
inline void write_dkim_key_file(const std::string& path, const std::string& selector,
                                const std::string& domain, const std::string& public_b64) {
  std::ofstream out(path, std::ios::binary);
  out << selector << "._domainkey." << domain << " v=DKIM1;k=rsa;p=" << public_b64;
}

}  // namespace mc::delivery::testing
