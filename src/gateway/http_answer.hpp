// An HTTP/1.1 answer written as one piece of bytes (status line, fields, Content-Length,
// Connection, body), so that the server sends it with one system call.
#pragma once

#include <string>
#include <string_view>

namespace mcgw {

const char* http_reason_phrase(int status);

// "HTTP/1.1 <status> <reason>\r\n" appended to out.
void begin_answer(std::string& out, int status);
// "<name>: <value>\r\n"; a CR or LF in the value becomes a space (no field can be injected).
void add_field(std::string& out, std::string_view name, std::string_view value);
// Content-Length, "Connection: close" unless keep_alive ("Connection: keep-alive" for an
// HTTP/1.0 request kept alive), the blank line, and the body unless head_only (HEAD).
void end_answer(std::string& out, std::string_view body, bool keep_alive, int minor_version,
                bool head_only);

}  // namespace mcgw
