#include "gateway/soap_request.hpp"

#include "gateway/xml_names.hpp"

namespace mcgw {
namespace {

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// "urn:nms:rtEvent" -> "nms:rtEvent"
std::string schema_of_urn(const std::string& uri) {
  return uri.rfind("urn:", 0) == 0 ? uri.substr(4) : "";
}

}  // namespace

pugi::xml_node SoapCall::param(const char* name, std::size_t position) const {
  for (pugi::xml_node p : params)
    if (local_name(p.name()) == name) return p;
  return position < params.size() ? params[position] : pugi::xml_node();
}

std::string cookie_token(const std::string& cookie_header) {
  std::size_t pos = 0;
  while (pos < cookie_header.size()) {
    auto end = cookie_header.find(';', pos);
    if (end == std::string::npos) end = cookie_header.size();
    std::string pair = trim(cookie_header.substr(pos, end - pos));
    if (pair.rfind("__sessiontoken=", 0) == 0) return pair.substr(15);
    pos = end + 1;
  }
  return "";
}

SoapCall parse_soap(const std::string& body, const std::string& soap_action) {
  SoapCall call;
  call.doc = std::make_unique<pugi::xml_document>();
  // parse_doctype keeps a DOCTYPE as a node so that it can be refused below; pugixml never
  // expands entities other than the five predefined ones and character references, and never
  // reads external resources. The body is decoded as UTF-8 whatever charset= says.
  unsigned options = pugi::parse_default | pugi::parse_doctype;
  pugi::xml_parse_result parsed =
      call.doc->load_buffer(body.data(), body.size(), options, pugi::encoding_utf8);
  if (!parsed)
    throw SoapClientError("MCG-100001", std::string("malformed XML: ") + parsed.description() +
                                            " at offset " + std::to_string(parsed.offset));
  for (pugi::xml_node n : call.doc->children())
    if (n.type() == pugi::node_doctype)
      throw SoapClientError("MCG-100001", "a DOCTYPE is not allowed in a SOAP message");

  pugi::xml_node envelope = call.doc->document_element();
  if (local_name(envelope.name()) != "Envelope")
    throw SoapClientError("MCG-100001", "the root element is not a SOAP Envelope");
  pugi::xml_node body_node = child_by_local_name(envelope, "Body");
  pugi::xml_node method = first_element(body_node);
  if (!method) throw SoapClientError("MCG-100001", "the SOAP Body has no method element");

  call.method = std::string(local_name(method.name()));
  call.schema = schema_of_urn(namespace_uri(method));
  if (call.schema.empty()) {
    // Fallback: "nms:rtEvent#PushEvent", quoted or not.
    std::string action = soap_action;
    if (action.size() >= 2 && action.front() == '"' && action.back() == '"')
      action = action.substr(1, action.size() - 2);
    auto hash = action.find('#');
    if (hash != std::string::npos && action.substr(hash + 1) == call.method) {
      std::string schema = action.substr(0, hash);
      call.schema = schema.rfind("urn:", 0) == 0 ? schema.substr(4) : schema;
    }
  }

  for (pugi::xml_node p : method.children())
    if (p.type() == pugi::node_element) call.params.push_back(p);
  // The original reads the token as the first parameter; by name first for clients that
  // qualify it (<urn:sessiontoken>).
  pugi::xml_node token = child_by_local_name(method, "sessiontoken");
  if (token) call.session_token = trim(direct_text(token));
  if (call.session_token.empty()) {
    pugi::xml_node header = child_by_local_name(envelope, "Header");
    if (pugi::xml_node cookie = child_by_local_name(header, "Cookie"))
      call.session_token = cookie_token(direct_text(cookie));
  }
  return call;
}

}  // namespace mcgw
