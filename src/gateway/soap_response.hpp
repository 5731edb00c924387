// SOAP answers exactly as @adobe/acc-js-sdk reads them (shared/design/acc-soap-contract.md
// §2-§4): literal SOAP-ENV: prefixes, unprefixed ...Response wrappers and fault children,
// xsi:type="xsd:long" on ids, no whitespace inside values, nothing before <?xml.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mcgw {

std::string xml_escape(const std::string& text);

// schema: "nms:rtEvent" or "nms:batchEvent".
std::string push_event_response(const std::string& schema, const std::string& id);
std::string push_events_response(const std::string& schema, const std::vector<std::string>& ids);
// The schema document of nms:rtEvent / nms:batchEvent, or an empty <pdomDoc/> for any other.
std::string entity_response(const std::optional<std::string>& schema);

struct Fault {
  std::string faultcode;   // "SOAP-ENV:Client" or "SOAP-ENV:Server"
  std::string error_code;  // MCG-nnnnnn (XSV-350008 for an invalid session only)
  std::string message;
  std::string detail;
};
// Echoed text never carries XSV-350008, which the SDK takes for an expired session.
std::string fault_response(const Fault& fault);

}  // namespace mcgw
