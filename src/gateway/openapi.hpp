// src/gateway/openapi.json, embedded at build time (CMake writes openapi_json.cpp).
#pragma once

namespace mcgw {
extern const char* const kOpenApiJson;
}
