#include "core/address_syntax.hpp"

#include <gtest/gtest.h>

#include <string>

using mc::core::email_syntax_error;
using mc::core::phone_syntax_error;

TEST(EmailSyntax, AcceptsOrdinaryAddresses) {
  for (const char* ok : {"ada@example.com", "first.last+tag@sub.example.co.uk", "o'neil@example.ie",
                         "x@example-domain.org", "jos\xc3\xa9@exemple.fr", "a@b.io"})
    EXPECT_EQ(email_syntax_error(ok), "") << ok;
}

TEST(EmailSyntax, RefusesMalformedAddresses) {
  for (const char* bad :
       {"", "ada", "ada@", "@example.com", "ada@@example.com", "ada@example", "ada@example.",
        "ada@.example.com", "ada@exa mple.com", ".ada@example.com", "ada.@example.com",
        "a..da@example.com", "ada@-example.com", "ada@example-.com", "ada@example.123",
        "ada example@example.com", "ada@exa_mple.com", "\"ada\"@example.com"})
    EXPECT_NE(email_syntax_error(bad), "") << bad;
}

TEST(EmailSyntax, EnforcesLengths) {
  std::string local(64, 'a');
  EXPECT_EQ(email_syntax_error(local + "@example.com"), "");
  EXPECT_NE(email_syntax_error(local + "a@example.com"), "");
  std::string label(63, 'b');
  EXPECT_EQ(email_syntax_error("a@" + label + ".com"), "");
  EXPECT_NE(email_syntax_error("a@" + label + "b.com"), "");
}

// The 254-character address limit, reached with labels of at most 63 characters (a longer
// label is refused by the label rule before any length limit matters). The domain's own 253
// limit cannot be met from outside: an address of at most 254 characters has at most 252 after
// its "a@", so the address limit is the one that refuses a 253-character domain.
TEST(EmailSyntax, EnforcesTotalLength) {
  const std::string l63(63, 'c');
  const std::string domain252 = l63 + "." + l63 + "." + l63 + "." + std::string(56, 'd') + ".com";
  const std::string domain253 = l63 + "." + l63 + "." + l63 + "." + std::string(57, 'd') + ".com";
  ASSERT_EQ(domain252.size(), 252u);
  ASSERT_EQ(domain253.size(), 253u);
  EXPECT_EQ(email_syntax_error("a@" + domain252), "");  // 254
  EXPECT_EQ(email_syntax_error("a@" + domain253), "the address is longer than 254 characters");
  // With the longest local part: 64 + 1 + 189 = 254 accepted, one more refused.
  const std::string domain189 = l63 + "." + l63 + "." + std::string(57, 'e') + ".com";
  const std::string domain190 = l63 + "." + l63 + "." + std::string(58, 'e') + ".com";
  ASSERT_EQ(domain189.size(), 189u);
  ASSERT_EQ(domain190.size(), 190u);
  EXPECT_EQ(email_syntax_error(std::string(64, 'a') + "@" + domain189), "");
  EXPECT_EQ(email_syntax_error(std::string(64, 'a') + "@" + domain190),
            "the address is longer than 254 characters");
  // And the limit holds whatever the split: a long domain is refused by it, not by a label.
  EXPECT_EQ(email_syntax_error("a@" + l63 + "." + domain253),
            "the address is longer than 254 characters");
}

TEST(PhoneSyntax, AcceptsInternationalAndLocalForms) {
  for (const char* ok : {"+46701234567", "+1 (555) 010-9999", "06 12 34 56 78", "+82.10.1234.5678"})
    EXPECT_EQ(phone_syntax_error(ok), "") << ok;
}

TEST(PhoneSyntax, RefusesWhatIsNoNumber) {
  for (const char* bad : {"", "12345", "+1234567890123456", "0701234567x", "07+01234567", "call me",
                          "+46 70 123 45 67 89 01 23"})
    EXPECT_NE(phone_syntax_error(bad), "") << bad;
}
