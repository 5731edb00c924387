// Reading a SOAP request: safely (no DTD, so no entity expansion or external entity; the size
// is bounded before the body is read), and tolerant of how clients spell it (see
// shared/design/acc-soap-contract.md §1: route on namespace URI + local name, read parameters
// by name or position).
#pragma once

#include <pugixml.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcgw {

// A request the gateway cannot read: answered with a SOAP-ENV:Client fault.
struct SoapClientError : std::runtime_error {
  SoapClientError(std::string error_code, const std::string& message)
      : std::runtime_error(message), code(std::move(error_code)) {}
  std::string code;  // MCG-1xxxxx
};

struct SoapCall {
  std::unique_ptr<pugi::xml_document> doc;
  std::string schema;                  // "nms:rtEvent", "nms:batchEvent", "xtk:persist"
  std::string method;                  // "PushEvent", ...
  std::string session_token;           // <sessiontoken>, else the SOAP header's <Cookie>, else ""
  std::vector<pugi::xml_node> params;  // element children of the method element, in order
  pugi::xml_node param(const char* name, std::size_t position) const;
};

// soap_action: the SoapAction header or ?soapAction= ("nms:rtEvent#PushEvent"), a fallback
// when the method element carries no namespace.
SoapCall parse_soap(const std::string& body, const std::string& soap_action);

// "__sessiontoken=..." out of a Cookie header value, "" when absent.
std::string cookie_token(const std::string& cookie_header);

}  // namespace mcgw
