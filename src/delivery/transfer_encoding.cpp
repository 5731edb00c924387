#include "delivery/transfer_encoding.hpp"

#include <algorithm>
#include <cstdint>

namespace mc::delivery {

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kHex[] = "0123456789ABCDEF";

int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// What quoted-printable does with each byte: leaves it as it is (space and tab only where no
// line end follows), escapes it as =XX, or ends the line. A table, not comparisons: the sender
// classifies every byte of every body (the comparisons were 6 % of a busy worker).
enum : unsigned char { kQpEscape = 0, kQpLiteral = 1, kQpLineEnd = 2 };
struct QpClasses {
  unsigned char of[256];
  constexpr QpClasses() : of() {
    for (int c = 0; c < 256; ++c)
      of[c] = c == '\r' || c == '\n'                                       ? kQpLineEnd
              : (c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t' ? kQpLiteral
                                                                           : kQpEscape;
  }
};
constexpr QpClasses kQp;

bool qp_literal(unsigned char c) { return kQp.of[c] == kQpLiteral; }

// One line (no CR or LF in it), with soft breaks: at most 76 characters per output line, the
// '=' of a soft break included; space and tab at its end escaped.
void quoted_printable_line(std::string& out, std::string_view text) {
  std::size_t col = 0;  // characters on the current output line
  auto emit = [&](const char* s, std::size_t n, bool last_on_line) {
    // A soft break leaves room for the '=' that ends the line: 75 characters of content.
    std::size_t limit = last_on_line ? 76 : 75;
    if (col + n > limit) {
      out += "=\r\n";
      col = 0;
    }
    out.append(s, n);
    col += n;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    // A run of literal characters, none of them the last of the line, goes in chunks up to
    // the soft-break column instead of one append per character.
    std::size_t run = i;
    while (run + 1 < text.size() && qp_literal(static_cast<unsigned char>(text[run]))) ++run;
    while (i < run) {
      if (col >= 75) {
        out += "=\r\n";
        col = 0;
      }
      std::size_t n = std::min(run - i, 75 - col);
      out.append(text.data() + i, n);
      col += n;
      i += n;
    }
    if (i >= text.size()) break;
    unsigned char c = static_cast<unsigned char>(text[i]);
    bool at_line_end = i + 1 == text.size();
    if (qp_literal(c) && !((c == ' ' || c == '\t') && at_line_end)) {
      char ch = static_cast<char>(c);
      emit(&ch, 1, at_line_end);
    } else {
      char esc[3] = {'=', kHex[c >> 4], kHex[c & 15]};
      emit(esc, 3, at_line_end);
    }
    ++i;
  }
}
}  // namespace

std::string base64_encode(std::string_view in, std::size_t line_length) {
  std::string out;
  out.reserve(in.size() / 3 * 4 + 4 + (line_length ? in.size() / line_length * 2 : 0));
  std::size_t col = 0;
  auto put = [&](char c) {
    if (line_length && col == line_length) {
      out += "\r\n";
      col = 0;
    }
    out += c;
    ++col;
  };
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    std::uint32_t v =
        (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8) | std::uint8_t(in[i + 2]);
    put(kB64[v >> 18]);
    put(kB64[(v >> 12) & 63]);
    put(kB64[(v >> 6) & 63]);
    put(kB64[v & 63]);
  }
  if (i < in.size()) {
    std::uint32_t v = std::uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= std::uint8_t(in[i + 1]) << 8;
    put(kB64[v >> 18]);
    put(kB64[(v >> 12) & 63]);
    put(i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=');
    put('=');
  }
  return out;
}

bool base64_decode(std::string_view in, std::string& out) {
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    if (c == '=') break;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    int v = b64_value(c);
    if (v < 0) return false;
    acc = (acc << 6) | std::uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xFF);
    }
  }
  return true;
}

std::string normalize_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  // Runs between line ends are copied whole (one append per line, not per character: this
  // was 3 % of a busy sender worker).
  std::size_t i = 0;
  while (i < text.size()) {
    // (A loop, not find_first_of: libstdc++'s calls memchr on the set once per character.)
    std::size_t end = i;
    while (end < text.size() && text[end] != '\r' && text[end] != '\n') ++end;
    if (end == text.size()) {
      out.append(text.data() + i, text.size() - i);
      break;
    }
    out.append(text.data() + i, end - i);
    out += "\r\n";
    i = end + (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n' ? 2 : 1);
  }
  return out;
}

std::string quoted_printable_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t i = 0;
  while (i < text.size()) {
    // Most lines of a text body need no encoding at all: literal bytes only, at most 76 of
    // them, no space or tab at the end. Those are copied whole; the others take the full path.
    std::size_t end = i;
    bool plain = true;
    unsigned char k;
    while (end < text.size() && (k = kQp.of[static_cast<unsigned char>(text[end])]) != kQpLineEnd) {
      plain &= k == kQpLiteral;
      ++end;
    }
    std::string_view line = text.substr(i, end - i);
    if (plain && line.size() <= 76 && (line.empty() || (line.back() != ' ' && line.back() != '\t')))
      out.append(line);
    else
      quoted_printable_line(out, line);
    if (end == text.size()) break;
    out += "\r\n";
    i = end + (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n' ? 2 : 1);
  }
  return out;
}

std::size_t quoted_printable_size(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += kQp.of[c] == kQpEscape ? 3 : 1;
  return n + n / 75 * 3;
}

std::string quoted_printable_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '=') {
      out += c;
      continue;
    }
    if (i + 1 < in.size() && (in[i + 1] == '\r' || in[i + 1] == '\n')) {  // soft break
      i += (in[i + 1] == '\r' && i + 2 < in.size() && in[i + 2] == '\n') ? 2 : 1;
      continue;
    }
    if (i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
      out += char(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
      i += 2;
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace mc::delivery
