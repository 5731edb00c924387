#include "core/channel.hpp"

#include <array>

namespace mc::core {
namespace {
struct ChannelRow {
  Channel channel;
  std::string_view name;
  long long code;  // -1: no code in the original product
};
constexpr std::array<ChannelRow, 5> kChannels{{
    {Channel::Email, "email", 0},
    {Channel::Sms, "sms", 1},
    {Channel::PushIos, "push_ios", 41},
    {Channel::PushAndroid, "push_android", 42},
    {Channel::Webhook, "webhook", -1},
}};
}  // namespace

std::optional<Channel> channel_from_code(long long code) {
  for (const auto& row : kChannels)
    if (row.code >= 0 && row.code == code) return row.channel;
  return std::nullopt;
}

std::optional<Channel> parse_channel(std::string_view text) {
  for (const auto& row : kChannels)
    if (row.name == text) return row.channel;
  if (text.empty() || text.size() > 3) return std::nullopt;
  long long code = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    code = code * 10 + (c - '0');
  }
  return channel_from_code(code);
}

std::string_view channel_name(Channel channel) {
  for (const auto& row : kChannels)
    if (row.channel == channel) return row.name;
  return "email";
}

}  // namespace mc::core
