// An event element of a SOAP PushEvent(s) as the JSON document mc.push_event takes.
//
// Rule (the inverse of the SDK's SimpleJson, see README "mc-gateway"): attributes and child
// elements both become members; an element with neither attributes nor child elements is its
// text, as a string ("" when empty); repeated siblings of one name become an array (so a
// single element cannot be told from a list of one); any other element is an object, and its
// non-blank text, if it has some, goes into member "$". Every scalar is a string. On the event
// element itself, namespace declarations, prefixed attributes (xsi:type...) and xtkschema are
// dropped; <ctx> is always an object.
#pragma once

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

namespace mcgw {

// Nesting deeper than this is refused (SoapClientError), so that conversion stays bounded.
constexpr int kMaxXmlDepth = 64;

nlohmann::json event_document(pugi::xml_node event);
nlohmann::json element_members(pugi::xml_node element, int depth);

}  // namespace mcgw
