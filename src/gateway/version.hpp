// The extension's version (default_version of message_center.control), set by CMake.
#pragma once

namespace mcgw {
constexpr const char* kVersion = MC_VERSION;
}
