#include "gateway/soap_response.hpp"

namespace mcgw {
namespace {

constexpr const char* kEnvelopeStart =
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    "<SOAP-ENV:Envelope xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:ns=\"";
constexpr const char* kEnvelopeMiddle =
    "\" xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Body>";
constexpr const char* kEnvelopeEnd = "</SOAP-ENV:Body></SOAP-ENV:Envelope>";
constexpr const char* kEncoding =
    " SOAP-ENV:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"";
constexpr const char* kLiteral =
    " SOAP-ENV:encodingStyle=\"http://xml.apache.org/xml-soap/literalxml\"";

std::string envelope(const std::string& ns, const std::string& body) {
  return std::string(kEnvelopeStart) + xml_escape(ns) + kEnvelopeMiddle + body + kEnvelopeEnd;
}

std::string without_session_marker(std::string text) {
  for (auto pos = text.find("XSV-350008"); pos != std::string::npos; pos = text.find("XSV-350008"))
    text.replace(pos, 10, "XSV-350OO8");
  return text;
}

// PushEvents declares an out parameter `ids` (a DOMDocument): the SDK returns it as JSON.
std::string schema_document(const std::string& name) {
  return "<schema namespace=\"nms\" name=\"" + name + "\"><element name=\"" + name +
         "\"/><methods>"
         "<method name=\"PushEvent\" static=\"true\"><parameters>"
         "<param name=\"domEvent\" type=\"DOMDocument\" inout=\"in\"/>"
         "<param name=\"plId\" type=\"int64\" inout=\"out\"/></parameters></method>"
         "<method name=\"PushEvents\" static=\"true\"><parameters>"
         "<param name=\"domEventCollection\" type=\"DOMDocument\" inout=\"in\"/>"
         "<param name=\"ids\" type=\"DOMDocument\" inout=\"out\"/></parameters></method>"
         "</methods></schema>";
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
          out += ' ';
        else
          out += c;
    }
  }
  return out;
}

std::string push_event_response(const std::string& schema, const std::string& id) {
  std::string urn = "urn:" + schema;
  return envelope(urn, "<PushEventResponse xmlns=\"" + urn + "\"" + kEncoding +
                           "><plId xsi:type=\"xsd:long\">" + id + "</plId></PushEventResponse>");
}

std::string push_events_response(const std::string& schema, const std::vector<std::string>& ids) {
  std::string urn = "urn:" + schema;
  std::string list;
  for (const auto& id : ids) list += "<id>" + id + "</id>";
  return envelope(urn, "<PushEventsResponse xmlns=\"" + urn + "\"" + kEncoding +
                           "><ids xsi:type=\"ns:Document\"" + kLiteral + "><ids>" + list +
                           "</ids></ids></PushEventsResponse>");
}

std::string entity_response(const std::optional<std::string>& schema) {
  std::string doc;
  if (schema == "nms:rtEvent") doc = schema_document("rtEvent");
  if (schema == "nms:batchEvent") doc = schema_document("batchEvent");
  return envelope("urn:xtk:persist",
                  std::string("<GetEntityIfMoreRecentResponse xmlns=\"urn:xtk:persist\"") +
                      kEncoding + "><pdomDoc xsi:type=\"ns:Element\"" + kLiteral + ">" + doc +
                      "</pdomDoc></GetEntityIfMoreRecentResponse>");
}

std::string fault_response(const Fault& fault) {
  bool session = fault.error_code == "XSV-350008";
  std::string message = session ? fault.message : without_session_marker(fault.message);
  std::string detail = session ? fault.detail : without_session_marker(fault.detail);
  return envelope("http://xml.apache.org/xml-soap",
                  "<SOAP-ENV:Fault><faultcode>" + fault.faultcode +
                      "</faultcode><faultstring xsi:type=\"xsd:string\">" +
                      xml_escape(fault.error_code + " " + message) +
                      "</faultstring><detail xsi:type=\"xsd:string\">" + xml_escape(detail) +
                      "</detail></SOAP-ENV:Fault>");
}

}  // namespace mcgw
