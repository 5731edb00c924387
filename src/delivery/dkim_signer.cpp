#include "delivery/dkim_signer.hpp"

#include "delivery/delivery_error.hpp"

#include "delivery/opendkim_include.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstring>
#include <memory>

namespace mc::delivery {

namespace {
const char* kSignHeaders[] = {"from",
                              "to",
                              "cc",
                              "reply-to",
                              "subject",
                              "date",
                              "message-id",
                              "mime-version",
                              "content-type",
                              "content-transfer-encoding",
                              "list-unsubscribe",
                              "list-unsubscribe-post",
                              nullptr};
const char* kOversignHeaders[] = {"from", "subject", "list-unsubscribe", "list-unsubscribe-post",
                                  nullptr};

struct DkimFree {
  void operator()(DKIM* d) const { dkim_free(d); }
};

// Checks the key with OpenSSL before opendkim sees it: a clearer error, and libopendkim 2.11
// leaks its key buffer when it fails to load a key (dkim_privkey_load). RFC 8301: RSA keys of
// at least 1024 bits (2048 recommended).
void check_private_key(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) throw DeliveryError("dkim: out of memory");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!key) throw DeliveryError("dkim: the private key is not a PEM private key");
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA)
    throw DeliveryError("dkim: the private key is not an RSA key (rsa-sha256 signs)");
  if (EVP_PKEY_get_bits(key.get()) < 1024)
    throw DeliveryError("dkim: the RSA key has fewer than 1024 bits (RFC 8301)");
}

std::string error_text(DKIM* dkim, DKIM_STAT stat) {
  std::string out = dkim_getresultstr(stat) ? dkim_getresultstr(stat) : "unknown error";
  const char* detail = dkim ? dkim_geterror(dkim) : nullptr;
  if (detail && *detail) out += std::string(": ") + detail;
  return out;
}
}  // namespace

DkimSigner::DkimSigner() : lib_(dkim_init(nullptr, nullptr)) {
  if (!lib_) throw DeliveryError("dkim: dkim_init failed");
  // The length argument is that of a pointer (the library checks it); the oversign list is kept
  // by pointer, hence static storage.
  if (dkim_options(lib_, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, kSignHeaders, sizeof(char**)) !=
          DKIM_STAT_OK ||
      dkim_options(lib_, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, kOversignHeaders,
                   sizeof(char**)) != DKIM_STAT_OK) {
    dkim_close(lib_);
    throw DeliveryError("dkim: cannot set the signed header lists");
  }
}

DkimSigner::~DkimSigner() { dkim_close(lib_); }

std::string DkimSigner::signature_field(std::string_view message, const DkimKey& key) {
  if (key.domain.empty() || key.selector.empty())
    throw DeliveryError("dkim: domain and selector are required");
  if (key.private_key.empty()) throw DeliveryError("dkim: no private key (set_provider_secret)");
  check_private_key(key.private_key);
  DKIM_STAT stat = DKIM_STAT_OK;
  std::unique_ptr<DKIM, DkimFree> dkim(
      dkim_sign(lib_, reinterpret_cast<const unsigned char*>("mc"), nullptr,
                reinterpret_cast<dkim_sigkey_t>(const_cast<char*>(key.private_key.c_str())),
                reinterpret_cast<const unsigned char*>(key.selector.c_str()),
                reinterpret_cast<const unsigned char*>(key.domain.c_str()), DKIM_CANON_RELAXED,
                DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &stat));
  if (!dkim) throw DeliveryError("dkim: cannot start signing: " + error_text(nullptr, stat));

  std::string field_error;
  std::size_t body = for_each_header_field(message, [&](std::string_view field) {
    if (!field_error.empty()) return;
    DKIM_STAT s = dkim_header(
        dkim.get(), reinterpret_cast<u_char*>(const_cast<char*>(field.data())), field.size());
    if (s != DKIM_STAT_OK) field_error = error_text(dkim.get(), s);
  });
  if (!field_error.empty()) throw DeliveryError("dkim: header refused: " + field_error);
  if ((stat = dkim_eoh(dkim.get())) != DKIM_STAT_OK)
    throw DeliveryError("dkim: " + error_text(dkim.get(), stat));
  if (body < message.size()) {
    stat =
        dkim_body(dkim.get(), reinterpret_cast<u_char*>(const_cast<char*>(message.data() + body)),
                  message.size() - body);
    if (stat != DKIM_STAT_OK) throw DeliveryError("dkim: " + error_text(dkim.get(), stat));
  }
  if ((stat = dkim_eom(dkim.get(), nullptr)) != DKIM_STAT_OK)
    throw DeliveryError("dkim: signing failed (bad or too small key?): " +
                        error_text(dkim.get(), stat));
  u_char* sig = nullptr;
  size_t len = 0;
  stat = dkim_getsighdr_d(dkim.get(), std::strlen(DKIM_SIGNHEADER) + 2, &sig, &len);
  if (stat != DKIM_STAT_OK || !sig) throw DeliveryError("dkim: " + error_text(dkim.get(), stat));
  // The library folds with bare LF (or CRLF, by version): make every break CRLF.
  std::string field = DKIM_SIGNHEADER ": ";
  for (size_t i = 0; i < len; ++i) {
    char c = static_cast<char>(sig[i]);
    if (c == '\r') continue;
    if (c == '\n') field += '\r';
    field += c;
  }
  field += "\r\n";
  return field;
}

std::string DkimSigner::sign(std::string_view message, const DkimKey& key) {
  std::string out = signature_field(message, key);
  out.append(message);
  return out;
}

}  // namespace mc::delivery
