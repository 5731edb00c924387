#include "gateway/xml_names.hpp"

#include <cstring>

namespace mcgw {

std::string_view local_name(const char* qualified) {
  std::string_view q(qualified);
  auto colon = q.find(':');
  return colon == std::string_view::npos ? q : q.substr(colon + 1);
}

std::string namespace_uri(pugi::xml_node node) {
  std::string_view q(node.name());
  auto colon = q.find(':');
  std::string attr = colon == std::string_view::npos ? std::string("xmlns")
                                                     : "xmlns:" + std::string(q.substr(0, colon));
  for (pugi::xml_node n = node; n && n.type() == pugi::node_element; n = n.parent()) {
    if (pugi::xml_attribute a = n.attribute(attr.c_str())) return a.value();
  }
  return "";
}

pugi::xml_node child_by_local_name(pugi::xml_node parent, std::string_view name) {
  for (pugi::xml_node c : parent.children())
    if (c.type() == pugi::node_element && local_name(c.name()) == name) return c;
  return {};
}

pugi::xml_node first_element(pugi::xml_node parent) {
  for (pugi::xml_node c : parent.children())
    if (c.type() == pugi::node_element) return c;
  return {};
}

std::string direct_text(pugi::xml_node node) {
  std::string text;
  for (pugi::xml_node c : node.children())
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) text += c.value();
  return text;
}

bool is_namespace_declaration(const char* attribute_name) {
  return std::strcmp(attribute_name, "xmlns") == 0 ||
         std::strncmp(attribute_name, "xmlns:", 6) == 0;
}

}  // namespace mcgw
