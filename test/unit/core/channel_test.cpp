#include "core/channel.hpp"

#include <gtest/gtest.h>

using mc::core::Channel;
using mc::core::channel_from_code;
using mc::core::channel_name;
using mc::core::parse_channel;

TEST(Channel, ParsesNamesAndOriginalCodes) {
  EXPECT_EQ(parse_channel("email"), Channel::Email);
  EXPECT_EQ(parse_channel("sms"), Channel::Sms);
  EXPECT_EQ(parse_channel("push_ios"), Channel::PushIos);
  EXPECT_EQ(parse_channel("push_android"), Channel::PushAndroid);
  EXPECT_EQ(parse_channel("webhook"), Channel::Webhook);
  EXPECT_EQ(parse_channel("0"), Channel::Email);
  EXPECT_EQ(parse_channel("1"), Channel::Sms);
  EXPECT_EQ(parse_channel("41"), Channel::PushIos);
  EXPECT_EQ(parse_channel("42"), Channel::PushAndroid);
  EXPECT_EQ(channel_from_code(42), Channel::PushAndroid);
}

TEST(Channel, RefusesEverythingElse) {
  for (const char* bad : {"", "Email", "fax", "2", "40", "043", "-1", "4200", "push"})
    EXPECT_FALSE(parse_channel(bad).has_value()) << bad;
  EXPECT_FALSE(channel_from_code(-1).has_value());
  EXPECT_FALSE(channel_from_code(3).has_value());
}

TEST(Channel, NamesRoundTrip) {
  for (Channel c :
       {Channel::Email, Channel::Sms, Channel::PushIos, Channel::PushAndroid, Channel::Webhook})
    EXPECT_EQ(parse_channel(channel_name(c)), c);
}
