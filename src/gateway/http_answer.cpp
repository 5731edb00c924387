#include "gateway/http_answer.hpp"

namespace mcgw {

const char* http_reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return status < 300 ? "OK" : status < 500 ? "Bad Request" : "Internal Server Error";
  }
}

void begin_answer(std::string& out, int status) {
  out.append("HTTP/1.1 ").append(std::to_string(status)).append(" ");
  out.append(http_reason_phrase(status)).append("\r\n");
}

void add_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ");
  std::size_t at = out.size();
  out.append(value);
  for (std::size_t i = at; i < out.size(); ++i)
    if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
  out.append("\r\n");
}

void end_answer(std::string& out, std::string_view body, bool keep_alive, int minor_version,
                bool head_only) {
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  if (!keep_alive)
    out.append("Connection: close\r\n");
  else if (minor_version == 0)
    out.append("Connection: keep-alive\r\n");
  out.append("\r\n");
  if (!head_only) out.append(body);
}

}  // namespace mcgw
