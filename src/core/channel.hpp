// Delivery channels and the numeric codes the original product used for them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mc::core {

enum class Channel : std::uint8_t { Email, Sms, PushIos, PushAndroid, Webhook };

// Accepts a channel name ("email", "sms", "push_ios", "push_android", "webhook") or one of
// the original product's codes written as text ("0" email, "1" sms, "41" iOS, "42" Android).
std::optional<Channel> parse_channel(std::string_view text);
std::optional<Channel> channel_from_code(long long code);
std::string_view channel_name(Channel channel);

}  // namespace mc::core
