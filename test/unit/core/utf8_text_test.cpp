#include "core/utf8_text.hpp"

#include <gtest/gtest.h>

#include <string>

using mc::core::valid_utf8_text;

namespace {
const std::string kFffd = "\xEF\xBF\xBD";
}

TEST(Utf8Text, WellFormedTextIsUnchanged) {
  EXPECT_EQ(valid_utf8_text(""), "");
  EXPECT_EQ(valid_utf8_text("550 5.1.1 User unknown"), "550 5.1.1 User unknown");
  const std::string mixed = "Adresse ung\xC3\xBCltig \xE2\x82\xAC \xF0\x9F\x93\xA7 \xED\x9F\xBF";
  EXPECT_EQ(valid_utf8_text(mixed), mixed);
}

TEST(Utf8Text, Latin1BytesAreReplaced) {
  EXPECT_EQ(valid_utf8_text("550 Adresse ung\xFCltig"), "550 Adresse ung" + kFffd + "ltig");
  EXPECT_EQ(valid_utf8_text("\xE9t\xE9"), kFffd + "t" + kFffd);
}

TEST(Utf8Text, NulIsReplaced) {
  EXPECT_EQ(valid_utf8_text(std::string("a\0b", 3)), "a" + kFffd + "b");
}

TEST(Utf8Text, MalformedSequencesAreReplacedBytewise) {
  EXPECT_EQ(valid_utf8_text("\xC3"), kFffd);                          // truncated at the end
  EXPECT_EQ(valid_utf8_text("\xC3("), kFffd + "(");                   // bad continuation
  EXPECT_EQ(valid_utf8_text("\xC0\xAF"), kFffd + kFffd);              // overlong '/'
  EXPECT_EQ(valid_utf8_text("\xE0\x80\xAF"), kFffd + kFffd + kFffd);  // overlong, 3 bytes
  EXPECT_EQ(valid_utf8_text("\xED\xA0\x80"), kFffd + kFffd + kFffd);  // a surrogate
  EXPECT_EQ(valid_utf8_text("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // > U+10FFFF
  EXPECT_EQ(valid_utf8_text("\x80x"), kFffd + "x");  // a lone continuation byte
  EXPECT_EQ(valid_utf8_text("\xFF"), kFffd);
}
