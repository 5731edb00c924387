// Reading SOAP requests as the SDK and documentation-based clients write them.
#include "gateway/soap_request.hpp"

#include <gtest/gtest.h>

#include "gateway/xml_names.hpp"

namespace {

// The SDK's PushEvent request, byte for byte the shape of acc-soap-contract.md §1.
const char* kSdkPushEvent =
    "<SOAP-ENV:Envelope xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "
    "xmlns:ns=\"http://xml.apache.org/xml-soap\"><SOAP-ENV:Header><Cookie>__sessiontoken=TOKEN"
    "</Cookie><X-Security-Token/></SOAP-ENV:Header><SOAP-ENV:Body><m:PushEvent "
    "xmlns:m=\"urn:nms:rtEvent\" "
    "SOAP-ENV:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><sessiontoken "
    "xsi:type=\"xsd:string\">TOKEN</sessiontoken><domEvent xsi:type=\"\" "
    "SOAP-ENV:encodingStyle=\"http://xml.apache.org/xml-soap/literalxml\"><rtEvent "
    "wishedChannel=\"0\" type=\"welcome\"><ctx><firstName>Ada</firstName></ctx></rtEvent>"
    "</domEvent></m:PushEvent></SOAP-ENV:Body></SOAP-ENV:Envelope>";

TEST(SoapRequest, TheSdkRequest) {
  mcgw::SoapCall call = mcgw::parse_soap(kSdkPushEvent, "");
  EXPECT_EQ(call.schema, "nms:rtEvent");
  EXPECT_EQ(call.method, "PushEvent");
  EXPECT_EQ(call.session_token, "TOKEN");
  ASSERT_EQ(call.params.size(), 2u);
  EXPECT_EQ(std::string(call.param("domEvent", 1).name()), "domEvent");
}

TEST(SoapRequest, DocumentationStyleClients) {
  // soapenv: and urn: prefixes, a qualified token, no xsi:type.
  mcgw::SoapCall a = mcgw::parse_soap(
      "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
      "xmlns:urn=\"urn:nms:batchEvent\"><soapenv:Header/><soapenv:Body><urn:PushEvents>"
      "<urn:sessiontoken> T2 </urn:sessiontoken><urn:domEventCollection><c><e type=\"x\"/></c>"
      "</urn:domEventCollection></urn:PushEvents></soapenv:Body></soapenv:Envelope>",
      "");
  EXPECT_EQ(a.schema, "nms:batchEvent");
  EXPECT_EQ(a.method, "PushEvents");
  EXPECT_EQ(a.session_token, "T2");
  // A default namespace on the method, xmlns="" on the event.
  mcgw::SoapCall b = mcgw::parse_soap(
      "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
      "<PushEvent xmlns=\"urn:nms:rtEvent\"><sessiontoken>T3</sessiontoken><domEvent>"
      "<rtEvent xmlns=\"\" type=\"x\"/></domEvent></PushEvent></s:Body></s:Envelope>",
      "");
  EXPECT_EQ(b.schema, "nms:rtEvent");
  EXPECT_EQ(b.session_token, "T3");
}

TEST(SoapRequest, SoapActionIsTheFallback) {
  const char* xml =
      "<Envelope><Body><PushEvent><sessiontoken/><domEvent/></PushEvent></Body></Envelope>";
  EXPECT_EQ(mcgw::parse_soap(xml, "nms:batchEvent#PushEvent").schema, "nms:batchEvent");
  EXPECT_EQ(mcgw::parse_soap(xml, "\"urn:nms:rtEvent#PushEvent\"").schema, "nms:rtEvent");
  EXPECT_EQ(mcgw::parse_soap(xml, "nms:rtEvent#Other").schema, "");
}

TEST(SoapRequest, UnsafeOrBrokenXmlIsRefused) {
  EXPECT_THROW(mcgw::parse_soap("<Envelope><Body>", ""), mcgw::SoapClientError);
  EXPECT_THROW(mcgw::parse_soap("<!DOCTYPE a [<!ENTITY x \"y\">]><Envelope><Body><M/></Body>"
                                "</Envelope>",
                                ""),
               mcgw::SoapClientError);
  EXPECT_THROW(mcgw::parse_soap("<NotSoap/>", ""), mcgw::SoapClientError);
  EXPECT_THROW(mcgw::parse_soap("<Envelope><Body/></Envelope>", ""), mcgw::SoapClientError);
}

TEST(SoapRequest, CookieToken) {
  EXPECT_EQ(mcgw::cookie_token("a=b; __sessiontoken=XYZ; c=d"), "XYZ");
  EXPECT_EQ(mcgw::cookie_token("__sessiontoken=XYZ"), "XYZ");
  EXPECT_EQ(mcgw::cookie_token("x__sessiontoken=no"), "");
}

TEST(XmlNames, NamespaceResolution) {
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string("<a xmlns=\"urn:d\" xmlns:p=\"urn:p\"><p:b/><c/></a>"));
  pugi::xml_node a = doc.document_element();
  EXPECT_EQ(mcgw::namespace_uri(a.first_child()), "urn:p");
  EXPECT_EQ(mcgw::namespace_uri(a.last_child()), "urn:d");
  EXPECT_EQ(mcgw::local_name("p:b"), "b");
}

}  // namespace
