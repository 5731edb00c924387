#include "gateway/ctx_xml.hpp"

#include <cstring>

#include "gateway/soap_request.hpp"
#include "gateway/xml_names.hpp"

namespace mcgw {
namespace {

using nlohmann::json;

bool has_element_children(pugi::xml_node n) { return static_cast<bool>(first_element(n)); }

bool has_own_attributes(pugi::xml_node n) {
  for (pugi::xml_attribute a : n.attributes())
    if (!is_namespace_declaration(a.name())) return true;
  return false;
}

bool is_blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

// Adds a member; a name seen before turns into an array of its values, in document order.
void add_member(json& object, const std::string& name, json value) {
  auto it = object.find(name);
  if (it == object.end()) {
    object[name] = std::move(value);
  } else {
    if (!it->is_array()) *it = json::array({std::move(*it)});
    it->push_back(std::move(value));
  }
}

json element_value(pugi::xml_node element, int depth) {
  if (!has_own_attributes(element) && !has_element_children(element)) return direct_text(element);
  return element_members(element, depth);
}

}  // namespace

json element_members(pugi::xml_node element, int depth) {
  if (depth > kMaxXmlDepth)
    throw SoapClientError("MCG-100004", "the event is nested deeper than " +
                                            std::to_string(kMaxXmlDepth) + " elements");
  json object = json::object();
  for (pugi::xml_attribute a : element.attributes())
    if (!is_namespace_declaration(a.name())) add_member(object, a.name(), a.value());
  for (pugi::xml_node c : element.children())
    if (c.type() == pugi::node_element)
      add_member(object, std::string(local_name(c.name())), element_value(c, depth + 1));
  std::string text = direct_text(element);
  if (!is_blank(text)) add_member(object, "$", text);
  return object;
}

json event_document(pugi::xml_node event) {
  json doc = json::object();
  for (pugi::xml_attribute a : event.attributes()) {
    const char* name = a.name();
    // xtkschema names the SDK's schema; prefixed attributes are SOAP/XSI plumbing.
    if (is_namespace_declaration(name) || std::strchr(name, ':') ||
        std::strcmp(name, "xtkschema") == 0)
      continue;
    add_member(doc, name, a.value());
  }
  for (pugi::xml_node c : event.children()) {
    if (c.type() != pugi::node_element) continue;
    std::string name(local_name(c.name()));
    add_member(doc, name, name == "ctx" ? element_members(c, 1) : element_value(c, 1));
  }
  return doc;
}

}  // namespace mcgw
