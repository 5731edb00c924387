# Writes OUT, a C++ file defining mcgw::kOpenApiJson as the text of IN (a raw string literal).
file(READ "${IN}" content)
string(FIND "${content}" ")openapi\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )openapi\"")
endif()
file(WRITE "${OUT}" "// Generated from src/gateway/openapi.json by embed_openapi.cmake.\n#include \"gateway/openapi.hpp\"\nnamespace mcgw {\nconst char* const kOpenApiJson = R\"openapi(${content})openapi\";\n}\n")
