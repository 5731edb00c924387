#include "control/conninfo.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

using mc::control::Options;
using mc::control::split_conninfo;

namespace {

std::string find(const Options& options, const std::string& key) {
  for (const auto& [k, v] : options)
    if (k == key) return v;
  return "<absent>";
}

}  // namespace

TEST(Conninfo, KeyValueCredentialsGoToTheUserMapping) {
  auto split = split_conninfo("host=127.0.0.1 port=5433 dbname=exec1 user=mc password='s e'");
  EXPECT_EQ(find(split.server, "host"), "127.0.0.1");
  EXPECT_EQ(find(split.server, "port"), "5433");
  EXPECT_EQ(find(split.server, "dbname"), "exec1");
  EXPECT_EQ(find(split.server, "user"), "<absent>");
  EXPECT_EQ(find(split.server, "password"), "<absent>");
  EXPECT_EQ(find(split.user_mapping, "user"), "mc");
  EXPECT_EQ(find(split.user_mapping, "password"), "s e");
}

TEST(Conninfo, TheKeyPassphraseIsACredentialToo) {
  auto split = split_conninfo("host=h sslmode=require sslkey=/k sslpassword=secret");
  EXPECT_EQ(find(split.server, "sslpassword"), "<absent>");
  EXPECT_EQ(find(split.user_mapping, "sslpassword"), "secret");
  EXPECT_EQ(find(split.user_mapping, "sslkey"), "/k");
  EXPECT_EQ(find(split.server, "sslmode"), "require");
}

TEST(Conninfo, UriForm) {
  auto split = split_conninfo("postgresql://ada:pw@db.example:6543/exec2?sslmode=require");
  EXPECT_EQ(find(split.server, "host"), "db.example");
  EXPECT_EQ(find(split.server, "port"), "6543");
  EXPECT_EQ(find(split.server, "dbname"), "exec2");
  EXPECT_EQ(find(split.server, "sslmode"), "require");
  EXPECT_EQ(find(split.user_mapping, "user"), "ada");
  EXPECT_EQ(find(split.user_mapping, "password"), "pw");
}

TEST(Conninfo, OnlyGivenOptionsAppear) {
  auto split = split_conninfo("port=5432");
  ASSERT_EQ(split.server.size(), 1u);
  EXPECT_TRUE(split.user_mapping.empty());
}

TEST(Conninfo, MalformedStringsAreRefusedWithLibpqsMessage) {
  EXPECT_THROW(split_conninfo("host=a nonsense_option=1"), std::invalid_argument);
  EXPECT_THROW(split_conninfo("host='unterminated"), std::invalid_argument);
  try {
    split_conninfo("bogus=1");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("bogus"), std::string::npos);
  }
}
