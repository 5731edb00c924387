#include "delivery/delivery_error.hpp"
#include "delivery/header_encoding.hpp"
#include "delivery/mime_message.hpp"
#include "delivery/transfer_encoding.hpp"

#include <gtest/gtest.h>

#include <random>
#include <sstream>

using namespace mc::delivery;

namespace {
MailFields basic() {
  MailFields f;
  f.from_address = "news@example.test";
  f.from_name = "Example News";
  f.to_address = "ann@example.org";
  f.subject = "Hello";
  f.text = "Hi Ann\n";
  f.date_unix = 1796040055;  // Mon, 30 Nov 2026 12:00:55 +0000
  return f;
}

std::vector<std::string> lines_of(const std::string& m) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < m.size()) {
    std::size_t end = m.find("\r\n", start);
    if (end == std::string::npos) end = m.size();
    out.push_back(m.substr(start, end - start));
    start = end + 2;
  }
  return out;
}

std::string header_block(const std::string& m) { return m.substr(0, m.find("\r\n\r\n") + 2); }
}  // namespace

TEST(MimeMessage, SinglePartHeadersAndCrlf) {
  auto built = build_message(basic());
  const std::string& m = built.bytes;
  EXPECT_NE(m.find("Date: Mon, 30 Nov 2026 12:00:55 +0000\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("From: \"Example News\" <news@example.test>\r\n"), std::string::npos);
  EXPECT_NE(m.find("To: ann@example.org\r\n"), std::string::npos);
  EXPECT_NE(m.find("Subject: Hello\r\n"), std::string::npos);
  EXPECT_NE(m.find("MIME-Version: 1.0\r\n"), std::string::npos);
  EXPECT_NE(m.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(m.find("Message-ID: " + built.message_id + "\r\n"), std::string::npos);
  EXPECT_EQ(m.find("multipart"), std::string::npos);
  EXPECT_EQ(m.find("List-Unsubscribe"), std::string::npos);
  // Every LF is part of a CRLF, every CR too.
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\n') {
      ASSERT_TRUE(i > 0 && m[i - 1] == '\r') << i;
    }
    if (m[i] == '\r') {
      ASSERT_TRUE(i + 1 < m.size() && m[i + 1] == '\n') << i;
    }
  }
  EXPECT_EQ(m.substr(m.size() - 2), "\r\n");
}

TEST(MimeMessage, GeneratedMessageIdCarriesEventAndDomain) {
  auto f = basic();
  f.event_id = "4711";
  auto a = build_message(f);
  auto b = build_message(f);
  EXPECT_EQ(a.message_id.rfind("<4711.", 0), 0u) << a.message_id;
  EXPECT_EQ(a.message_id.substr(a.message_id.size() - 14), "@example.test>");
  EXPECT_NE(a.message_id, b.message_id);
  f.message_id = "given@example.test";
  EXPECT_EQ(build_message(f).message_id, "<given@example.test>");
  f.message_id = "<given2@example.test>";
  EXPECT_EQ(build_message(f).message_id, "<given2@example.test>");
  f.message_id = "no-domain";
  EXPECT_THROW(build_message(f), DeliveryError);
}

TEST(MimeMessage, MultipartAlternativeTextFirst) {
  auto f = basic();
  f.html = "<p>Hi <b>Ann</b></p>";
  auto m = build_message(f).bytes;
  auto ct = m.find("Content-Type: multipart/alternative; boundary=\"=_mc_");
  ASSERT_NE(ct, std::string::npos) << m;
  auto plain = m.find("Content-Type: text/plain");
  auto html = m.find("Content-Type: text/html");
  ASSERT_NE(plain, std::string::npos);
  ASSERT_NE(html, std::string::npos);
  EXPECT_LT(plain, html);
  std::size_t q = m.find('"', ct) + 1;
  std::string boundary = m.substr(q, m.find('"', q) - q);
  EXPECT_NE(m.find("\r\n--" + boundary + "--\r\n"), std::string::npos);
}

TEST(MimeMessage, NonAsciiSubjectIsEncodedWordsOnCharacterBoundaries) {
  auto f = basic();
  // 40 two-byte and three-byte characters: several encoded-words.
  std::string subject;
  for (int i = 0; i < 20; ++i) subject += "é€";
  f.subject = subject;
  f.from_name = "Zoë Ünïcode";
  auto m = build_message(f).bytes;
  std::string headers = header_block(m);
  for (const auto& line : lines_of(headers)) {
    EXPECT_LE(line.size(), 78u) << line;
    for (unsigned char c : line) EXPECT_LT(c, 128) << line;
  }
  std::size_t s = headers.find("Subject: ");
  std::size_t e = headers.find("\r\nMessage-ID");
  std::string value = headers.substr(s + 9, e - s - 9);
  EXPECT_EQ(decode_header_value(value), subject);
  // Every word decodes to whole UTF-8 characters on its own.
  std::size_t pos = 0;
  int words = 0;
  while ((pos = value.find("=?utf-8?B?", pos)) != std::string::npos) {
    std::size_t end = value.find("?=", pos + 10);
    EXPECT_LE(end + 2 - pos, 75u);
    std::string raw;
    ASSERT_TRUE(base64_decode(value.substr(pos + 10, end - pos - 10), raw));
    unsigned char last_lead = 0;
    for (unsigned char c : raw)
      if ((c & 0xC0) != 0x80) last_lead = c;
    std::size_t tail = 0;
    for (auto it = raw.rbegin();
         it != raw.rend() && (static_cast<unsigned char>(*it) & 0xC0) == 0x80; ++it)
      ++tail;
    std::size_t need = last_lead >= 0xE0 ? 2 : last_lead >= 0xC0 ? 1 : 0;
    EXPECT_EQ(tail, need) << "word " << words << " cuts a character";
    ++words;
    pos = end;
  }
  EXPECT_GE(words, 2);
  EXPECT_NE(headers.find("From: =?utf-8?B?"), std::string::npos) << headers;
}

TEST(MimeMessage, LongAsciiSubjectFoldsAtWhitespace) {
  auto f = basic();
  std::string subject;
  for (int i = 0; i < 30; ++i) subject += "word" + std::to_string(i) + " ";
  subject.pop_back();
  f.subject = subject;
  std::string headers = header_block(build_message(f).bytes);
  std::size_t s = headers.find("Subject: ");
  std::size_t e = headers.find("\r\nMessage-ID");
  std::string value = headers.substr(s + 9, e - s - 9);
  EXPECT_NE(value.find("\r\n "), std::string::npos);
  EXPECT_EQ(decode_header_value(value), subject);
  for (const auto& line : lines_of(headers)) EXPECT_LE(line.size(), 78u) << line;
}

TEST(MimeMessage, HeaderInjectionRefusedNamingTheField) {
  auto f = basic();
  f.subject = "Hi\r\nBcc: victim@example.org";
  try {
    build_message(f);
    FAIL() << "no error";
  } catch (const DeliveryError& e) {
    EXPECT_NE(std::string(e.what()).find("subject"), std::string::npos) << e.what();
  }
  f = basic();
  f.to_name = "x\nBcc: y@z";
  EXPECT_THROW(build_message(f), DeliveryError);
  f = basic();
  f.to_address = "a@b.test>\r\nBcc: c@d";
  EXPECT_THROW(build_message(f), DeliveryError);
  f = basic();
  f.to_address = "a@b.test, c@d.test";
  EXPECT_THROW(build_message(f), DeliveryError);
  f = basic();
  f.unsubscribe_url = "https://x.test/u\n";
  EXPECT_THROW(build_message(f), DeliveryError);
  f = basic();
  f.extra_headers = {{"X-Tag", "a\rb"}};
  try {
    build_message(f);
    FAIL();
  } catch (const DeliveryError& e) {
    EXPECT_NE(std::string(e.what()).find("extra_headers.X-Tag"), std::string::npos) << e.what();
  }
  f.extra_headers = {{"Subject", "second"}};
  EXPECT_THROW(build_message(f), DeliveryError);
  f.extra_headers = {{"Bad Name", "v"}};
  EXPECT_THROW(build_message(f), DeliveryError);
}

TEST(MimeMessage, DisplayNameQuotingEscapes) {
  auto f = basic();
  f.from_name = "Ann \"The\" O\\Neil";
  auto m = build_message(f).bytes;
  EXPECT_NE(m.find("From: \"Ann \\\"The\\\" O\\\\Neil\" <news@example.test>"), std::string::npos)
      << m;
}

TEST(MimeMessage, ListUnsubscribeOneClick) {
  auto f = basic();
  f.unsubscribe_url = "https://example.test/u/abc123";
  auto m = build_message(f).bytes;
  EXPECT_NE(m.find("List-Unsubscribe: <https://example.test/u/abc123>\r\n"), std::string::npos);
  EXPECT_NE(m.find("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"), std::string::npos);
}

TEST(MimeMessage, BodiesAreSevenBitWithShortLines) {
  auto f = basic();
  std::string text;
  for (int i = 0; i < 30; ++i) text += "abcdefghijä";  // one long line, some non-ASCII
  text += "\n.leading dot\nFrom here\ntrailing space \n";
  f.text = text;
  f.html = std::string(3000, 'x');  // one long line, no blanks
  auto m = build_message(f).bytes;
  for (const auto& line : lines_of(m)) {
    EXPECT_LE(line.size(), line.rfind("Content-Type:", 0) == 0 ? 78u : 76u) << line;
    for (unsigned char c : line) ASSERT_LT(c, 128);
  }
  EXPECT_NE(m.find("\r\n.leading dot\r\n"), std::string::npos);  // no dot-stuffing here
}

TEST(MimeMessage, ChoosesBase64WhenQuotedPrintableWouldBePoor) {
  auto f = basic();
  f.text = "Привет, мир! Это тестовое сообщение на русском языке.";
  auto m = build_message(f).bytes;
  EXPECT_NE(m.find("Content-Transfer-Encoding: base64"), std::string::npos);
  f.text = "Grüße aus Köln, mostly ASCII text here.";
  m = build_message(f).bytes;
  EXPECT_NE(m.find("Content-Transfer-Encoding: quoted-printable"), std::string::npos);
  EXPECT_NE(m.find("Gr=C3=BC=C3=9Fe"), std::string::npos);
}

TEST(TransferEncoding, QuotedPrintableRoundTripsAndSoftBreaks) {
  std::string in = std::string(200, 'a') + "=b \t\nline2 \nä€";
  std::string qp = quoted_printable_encode(in);
  EXPECT_NE(qp.find("=3D"), std::string::npos);
  EXPECT_NE(qp.find("=20\r\n"), std::string::npos);  // trailing blank before a hard break
  for (const auto& line : lines_of(qp)) EXPECT_LE(line.size(), 76u);
  EXPECT_EQ(quoted_printable_decode(qp), normalize_crlf(in));
}

TEST(TransferEncoding, QuotedPrintablePlainLinesAreCopiedAsTheyAre) {
  EXPECT_EQ(quoted_printable_encode("Hello world.\nSecond line\r\n\nend"),
            "Hello world.\r\nSecond line\r\n\r\nend");
  std::string line76(76, 'x');
  EXPECT_EQ(quoted_printable_encode(line76 + "\n"), line76 + "\r\n");
  // One more character, a trailing blank, or an '=': the line is encoded.
  EXPECT_EQ(quoted_printable_encode(line76 + "y"), std::string(75, 'x') + "=\r\nxy");
  EXPECT_EQ(quoted_printable_encode("ab \ncd"), "ab=20\r\ncd");
  EXPECT_EQ(quoted_printable_encode("a=b"), "a=3Db");
}

// Random text of the bytes that matter (blanks, '=', line ends of every kind, UTF-8, long
// runs): the encoding decodes to the input, and every line obeys RFC 2045 section 6.7.
TEST(TransferEncoding, QuotedPrintablePropertiesOnRandomText) {
  const std::vector<std::string> pieces = {"a",        "Z",
                                           " ",        "\t",
                                           "=",        "\n",
                                           "\r\n",     "\r",
                                           "\xc3\xa4", "\xe2\x82\xac",
                                           ".",        std::string(40, 'w'),
                                           "\x7f",     std::string(1, '\0')};
  std::mt19937 rng(20261130);
  for (int round = 0; round < 2000; ++round) {
    std::string in;
    int n = static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) in += pieces[rng() % pieces.size()];
    std::string qp = quoted_printable_encode(in);
    ASSERT_EQ(quoted_printable_decode(qp), normalize_crlf(in)) << in;
    EXPECT_EQ(quoted_printable_size(in) >= in.size(), true);
    for (const auto& line : lines_of(qp)) {
      ASSERT_LE(line.size(), 76u) << in;
      if (!line.empty()) {
        EXPECT_NE(line.back(), ' ') << in;
        EXPECT_NE(line.back(), '\t') << in;
      }
      for (unsigned char c : line)
        EXPECT_TRUE((c >= 33 && c <= 126) || c == ' ' || c == '\t') << in;
    }
  }
}

TEST(TransferEncoding, NormalizeCrlfEveryLineEnd) {
  EXPECT_EQ(normalize_crlf(""), "");
  EXPECT_EQ(normalize_crlf("no line end"), "no line end");
  EXPECT_EQ(normalize_crlf("a\nb"), "a\r\nb");
  EXPECT_EQ(normalize_crlf("a\r\nb"), "a\r\nb");
  EXPECT_EQ(normalize_crlf("a\rb"), "a\r\nb");
  EXPECT_EQ(normalize_crlf("a\n\nb\r\r\n"), "a\r\n\r\nb\r\n\r\n");
  EXPECT_EQ(normalize_crlf("\n"), "\r\n");
  EXPECT_EQ(normalize_crlf("\r"), "\r\n");
  EXPECT_EQ(normalize_crlf("end\r"), "end\r\n");
  EXPECT_EQ(normalize_crlf("\n\r"), "\r\n\r\n");
}

TEST(TransferEncoding, Base64KnownValues) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  std::string out;
  ASSERT_TRUE(base64_decode("Zm9v\r\nYmFy", out));
  EXPECT_EQ(out, "foobar");
  std::string big(100, 'z');
  std::string wrapped = base64_encode(big, 76);
  EXPECT_EQ(wrapped.find("\r\n"), 76u);
}
