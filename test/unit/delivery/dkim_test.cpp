// DKIM: sign with a key generated at test time (libcrypto EVP), verify with libopendkim reading
// the public key from a key file (DKIM_QUERY_FILE), no DNS. Tampering must make it fail.
#include "delivery/delivery_error.hpp"
#include "delivery/dkim_signer.hpp"
#include "delivery/dkim_verifier.hpp"
#include "delivery/mime_message.hpp"
#include "delivery/transfer_encoding.hpp"
#include "test_keys.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace mc::delivery;

namespace {
using mc::delivery::testing::generate_rsa;
using mc::delivery::testing::KeyPair;

class Dkim : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = new KeyPair(generate_rsa(2048));
    other_ = new KeyPair(generate_rsa(2048));
    dir_ = new std::string(std::filesystem::temp_directory_path() /
                           ("mc-dkim-" + std::to_string(::getpid())));
    std::filesystem::create_directories(*dir_);
    write_key_file(*dir_ + "/keys", key_->public_b64);
    write_key_file(*dir_ + "/other-keys", other_->public_b64);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete key_;
    delete other_;
    delete dir_;
  }
  static void write_key_file(const std::string& path, const std::string& p) {
    mc::delivery::testing::write_dkim_key_file(path, "s1", "example.test", p);
  }
  static std::string message() {
    MailFields f;
    f.from_address = "news@example.test";
    f.from_name = "Example News";
    f.to_address = "ann@example.org";
    f.subject = "Grüße, Ann: a subject long enough to be folded by the encoder somewhere";
    f.text = "Hello Ann\n.dot line\n";
    f.html = "<p>Hello Ann</p>";
    f.unsubscribe_url = "https://example.test/u/abc";
    f.date_unix = 1796040055;
    return build_message(f).bytes;
  }
  static DkimKey signing_key() { return DkimKey{"example.test", "s1", key_->private_pem}; }

  static KeyPair* key_;
  static KeyPair* other_;
  static std::string* dir_;
};
KeyPair* Dkim::key_ = nullptr;
KeyPair* Dkim::other_ = nullptr;
std::string* Dkim::dir_ = nullptr;
}  // namespace

TEST_F(Dkim, SignedMessageVerifies) {
  DkimSigner signer;
  std::string signed_msg = signer.sign(message(), signing_key());
  ASSERT_EQ(signed_msg.rfind(
                "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.test; s=s1;", 0),
            0u)
      << signed_msg.substr(0, 300);
  // CRLF only.
  for (std::size_t i = 0; i < signed_msg.size(); ++i)
    if (signed_msg[i] == '\n') {
      ASSERT_EQ(signed_msg[i - 1], '\r') << i;
    }
  EXPECT_EQ(signed_msg.find("l="), std::string::npos);
  auto v = dkim_verify_with_key_file(signed_msg, *dir_ + "/keys");
  EXPECT_TRUE(v.pass) << v.result;
  for (char& c : v.signed_headers)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // From, Subject and both List-Unsubscribe fields signed, and oversigned (listed twice).
  for (const char* h : {"from", "subject", "list-unsubscribe", "list-unsubscribe-post"}) {
    std::string list = ":" + v.signed_headers + ":";
    std::string needle = std::string(":") + h + ":";
    std::size_t first = list.find(needle);
    ASSERT_NE(first, std::string::npos) << h << " in " << v.signed_headers;
    EXPECT_NE(list.find(needle, first + 1), std::string::npos)
        << h << " oversigned: " << v.signed_headers;
  }
  for (const char* h : {"to", "date", "message-id", "mime-version", "content-type"})
    EXPECT_NE((":" + v.signed_headers + ":").find(std::string(":") + h + ":"), std::string::npos)
        << h;
}

TEST_F(Dkim, TamperingFailsVerification) {
  DkimSigner signer;
  std::string signed_msg = signer.sign(message(), signing_key());
  std::string body_changed = signed_msg;
  body_changed.replace(body_changed.find("Hello Ann"), 9, "Hello Bob");
  EXPECT_FALSE(dkim_verify_with_key_file(body_changed, *dir_ + "/keys").pass);
  std::string to_changed = signed_msg;
  to_changed.replace(to_changed.find("To: ann@example.org"), 19, "To: bob@example.org");
  EXPECT_FALSE(dkim_verify_with_key_file(to_changed, *dir_ + "/keys").pass);
  // A second Subject added after signing: caught by oversigning.
  std::string added = signed_msg;
  added.insert(added.find("\r\n\r\n") + 2, "Subject: injected\r\n");
  EXPECT_FALSE(dkim_verify_with_key_file(added, *dir_ + "/keys").pass);
  EXPECT_FALSE(dkim_verify_with_key_file(signed_msg, *dir_ + "/other-keys").pass);
}

TEST_F(Dkim, RelaxedCanonicalizationToleratesWhitespace) {
  DkimSigner signer;
  std::string signed_msg = signer.sign(message(), signing_key());
  std::string respaced = signed_msg;
  respaced.replace(respaced.find("MIME-Version: 1.0"), 17, "MIME-Version:   1.0  ");
  EXPECT_TRUE(dkim_verify_with_key_file(respaced, *dir_ + "/keys").pass);
}

TEST_F(Dkim, BadKeyIsAClearError) {
  DkimSigner signer;
  EXPECT_THROW(signer.sign(message(), DkimKey{"example.test", "s1", "not a key"}), DeliveryError);
  EXPECT_THROW(signer.sign(message(), DkimKey{"example.test", "s1", ""}), DeliveryError);
  EXPECT_THROW(signer.sign(message(), DkimKey{"", "s1", key_->private_pem}), DeliveryError);
  auto small = mc::delivery::testing::generate_rsa(512);
  try {
    signer.sign(message(), DkimKey{"example.test", "s1", small.private_pem});
    FAIL() << "a 512-bit key was accepted";
  } catch (const DeliveryError& e) {
    EXPECT_NE(std::string(e.what()).find("1024"), std::string::npos) << e.what();
  }
  // The signer stays usable after an error.
  EXPECT_TRUE(
      dkim_verify_with_key_file(signer.sign(message(), signing_key()), *dir_ + "/keys").pass);
}
