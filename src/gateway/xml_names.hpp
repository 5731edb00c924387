// Namespace-aware names over pugixml, which keeps qualified names as written: a SOAP request
// is routed on the namespace URI and local name of the Body's first child, whatever prefixes
// the client chose (SOAP-ENV:, soapenv:, a default namespace...).
#pragma once

#include <pugixml.hpp>

#include <string>
#include <string_view>

namespace mcgw {

std::string_view local_name(const char* qualified);
// The namespace URI bound to the node's prefix (or the default namespace), "" when unbound.
std::string namespace_uri(pugi::xml_node node);
// First element child with this local name, or an empty node.
pugi::xml_node child_by_local_name(pugi::xml_node parent, std::string_view name);
pugi::xml_node first_element(pugi::xml_node parent);
// Concatenated text (PCDATA and CDATA) directly inside the node.
std::string direct_text(pugi::xml_node node);
bool is_namespace_declaration(const char* attribute_name);

}  // namespace mcgw
