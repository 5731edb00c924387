// The SOAP event element -> mc.push_event document rule (README "mc-gateway").
#include "gateway/ctx_xml.hpp"

#include <gtest/gtest.h>

#include "gateway/soap_request.hpp"

namespace {

using nlohmann::json;

pugi::xml_node parse(pugi::xml_document& doc, const char* xml) {
  EXPECT_TRUE(doc.load_string(xml));
  return doc.document_element();
}

TEST(CtxXml, TheSdkSimpleJsonExampleComesBack) {
  // acc-soap-contract.md §1: ctx:{plain:"v", $age:36, order:{id:"A1", line:[{sku:"X"},{sku:"Y"}]}}
  pugi::xml_document doc;
  auto e = parse(doc,
                 "<rtEvent wishedChannel=\"0\" type=\"welcome\" email=\"ada@example.com\" "
                 "externalId=\"cust-42\"><ctx plain=\"v\"><age>36</age><order id=\"A1\">"
                 "<line sku=\"X\"/><line sku=\"Y\"/></order></ctx></rtEvent>");
  json expected = {{"wishedChannel", "0"},
                   {"type", "welcome"},
                   {"email", "ada@example.com"},
                   {"externalId", "cust-42"},
                   {"ctx",
                    {{"plain", "v"},
                     {"age", "36"},
                     {"order", {{"id", "A1"}, {"line", {{{"sku", "X"}}, {{"sku", "Y"}}}}}}}}};
  EXPECT_EQ(mcgw::event_document(e), expected);
}

TEST(CtxXml, TextOnlyEmptyAndMixedElements) {
  pugi::xml_document doc;
  auto e = parse(doc,
                 "<e type=\"t\"><ctx><empty/><name>Ada</name><note lang=\"en\">hi</note>"
                 "<box><a>1</a>\n  </box></ctx></e>");
  json ctx = mcgw::event_document(e)["ctx"];
  EXPECT_EQ(ctx["empty"], "");
  EXPECT_EQ(ctx["name"], "Ada");
  EXPECT_EQ(ctx["note"], (json{{"lang", "en"}, {"$", "hi"}}));
  EXPECT_EQ(ctx["box"], (json{{"a", "1"}}));  // blank text is layout, not content
}

TEST(CtxXml, AnEmptyCtxIsAnObject) {
  pugi::xml_document doc;
  auto e = parse(doc, "<e type=\"t\"><ctx/></e>");
  EXPECT_EQ(mcgw::event_document(e)["ctx"], json::object());
}

TEST(CtxXml, PlumbingAttributesAreDropped) {
  pugi::xml_document doc;
  auto e = parse(doc,
                 "<rtEvent xmlns=\"\" xmlns:x=\"urn:x\" xtkschema=\"nms:rtEvent\" xsi:type=\"\" "
                 "type=\"t\"><ctx xmlns:y=\"urn:y\" a=\"1\"/></rtEvent>");
  EXPECT_EQ(mcgw::event_document(e), (json{{"type", "t"}, {"ctx", {{"a", "1"}}}}));
}

TEST(CtxXml, EntitiesAndCharacterReferencesAreText) {
  pugi::xml_document doc;
  auto e = parse(doc, "<e type=\"a&amp;b\"><ctx><s>&lt;&#233;&gt;</s></ctx></e>");
  json d = mcgw::event_document(e);
  EXPECT_EQ(d["type"], "a&b");
  EXPECT_EQ(d["ctx"]["s"], "<\xC3\xA9>");
}

TEST(CtxXml, DeepNestingIsRefused) {
  std::string xml = "<e type=\"t\"><ctx>";
  for (int i = 0; i < 100; ++i) xml += "<a>";
  for (int i = 0; i < 100; ++i) xml += "</a>";
  xml += "</ctx></e>";
  pugi::xml_document doc;
  auto e = parse(doc, xml.c_str());
  EXPECT_THROW(mcgw::event_document(e), mcgw::SoapClientError);
}

}  // namespace
