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
  std::string longest = "a@" + std::string(240, 'c') + ".com";
  EXPECT_NE(email_syntax_error(longest + std::string(20, 'd')), "");
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
