// The answers, in the literal shapes the SDK reads (acc-soap-contract.md §2-§4).
#include "gateway/soap_response.hpp"

#include <gtest/gtest.h>
#include <pugixml.hpp>

namespace {

bool well_formed(const std::string& xml) {
  pugi::xml_document doc;
  return static_cast<bool>(doc.load_string(xml.c_str()));
}

TEST(SoapResponse, PushEventResponse) {
  std::string r = mcgw::push_event_response("nms:rtEvent", "72057594037927937");
  EXPECT_EQ(r.rfind("<?xml version='1.0' encoding='UTF-8'?>", 0), 0u);  // nothing before it
  EXPECT_NE(r.find("<SOAP-ENV:Body><PushEventResponse xmlns=\"urn:nms:rtEvent\""),
            std::string::npos);
  EXPECT_NE(r.find("<plId xsi:type=\"xsd:long\">72057594037927937</plId>"), std::string::npos);
  EXPECT_TRUE(well_formed(r));
  EXPECT_NE(mcgw::push_event_response("nms:batchEvent", "1").find("xmlns=\"urn:nms:batchEvent\""),
            std::string::npos);
}

TEST(SoapResponse, PushEventsResponseMatchesTheSchema) {
  std::string r = mcgw::push_events_response("nms:batchEvent", {"1", "2"});
  EXPECT_NE(r.find("<PushEventsResponse xmlns=\"urn:nms:batchEvent\""), std::string::npos);
  EXPECT_NE(r.find("<ids><id>1</id><id>2</id></ids></ids>"), std::string::npos);
  EXPECT_TRUE(well_formed(r));
  std::string schema = mcgw::entity_response(std::string("nms:batchEvent"));
  EXPECT_NE(schema.find("<param name=\"ids\" type=\"DOMDocument\" inout=\"out\"/>"),
            std::string::npos);
}

TEST(SoapResponse, SchemaDocuments) {
  std::string rt = mcgw::entity_response(std::string("nms:rtEvent"));
  EXPECT_NE(rt.find("<GetEntityIfMoreRecentResponse xmlns=\"urn:xtk:persist\""), std::string::npos);
  EXPECT_NE(rt.find("<schema namespace=\"nms\" name=\"rtEvent\">"), std::string::npos);
  EXPECT_NE(rt.find("<method name=\"PushEvent\" static=\"true\">"), std::string::npos);
  EXPECT_NE(rt.find("type=\"int64\""), std::string::npos);
  EXPECT_EQ(rt.find("implements"), std::string::npos);
  EXPECT_TRUE(well_formed(rt));
  std::string other = mcgw::entity_response(std::string("nms:delivery"));
  EXPECT_EQ(other.find("<schema"), std::string::npos);
  EXPECT_NE(other.find("></pdomDoc>"), std::string::npos);
}

TEST(SoapResponse, FaultShape) {
  std::string f = mcgw::fault_response(
      {"SOAP-ENV:Client", "MCG-200001", "[22P02] field \"email\" <bad>", "SQLSTATE 22P02: x"});
  EXPECT_NE(f.find("<SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode><faultstring "
                   "xsi:type=\"xsd:string\">MCG-200001 [22P02] field &quot;email&quot; "
                   "&lt;bad&gt;</faultstring>"),
            std::string::npos);
  EXPECT_TRUE(well_formed(f));
}

TEST(SoapResponse, EchoedTextNeverLooksLikeAnExpiredSession) {
  std::string f =
      mcgw::fault_response({"SOAP-ENV:Client", "MCG-200001", "XSV-350008@x", "XSV-350008"});
  EXPECT_EQ(f.find("XSV-350008"), std::string::npos);
  std::string s = mcgw::fault_response({"SOAP-ENV:Client", "XSV-350008", "expired", ""});
  EXPECT_NE(s.find("XSV-350008 expired"), std::string::npos);
}

TEST(SoapResponse, XmlEscape) {
  EXPECT_EQ(mcgw::xml_escape("a<b>&\"'\x01"), "a&lt;b&gt;&amp;&quot;&apos; ");
}

}  // namespace
