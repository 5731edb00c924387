#include "delivery/header_encoding.hpp"

#include "delivery/transfer_encoding.hpp"

#include <algorithm>

namespace mc::delivery {

namespace {
constexpr std::size_t kFoldAt = 78;        // RFC 5322 2.1.1: SHOULD be no more than 78
constexpr std::size_t kWordMax = 75;       // RFC 2047 2: an encoded-word at most 75 characters
constexpr std::size_t kWordLine = 76;      // RFC 2047 2: a line holding encoded-words, at most 76
constexpr std::size_t kWordOverhead = 12;  // "=?utf-8?B?" + "?="

// Length of the UTF-8 sequence a lead byte starts (1 for continuation or invalid bytes, so that
// broken input still advances).
std::size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

std::size_t raw_bytes_for(std::size_t room) {
  // base64 characters that fit, rounded down to whole quanta, as raw bytes.
  if (room <= kWordOverhead) return 0;
  std::size_t chars = std::min(room, kWordMax) - kWordOverhead;
  return chars / 4 * 3;
}
}  // namespace

bool is_printable_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c < 32 || c > 126) {
      if (c != '\t') return false;
    }
  return true;
}

std::string encoded_words(std::string_view value, std::size_t first_line_used) {
  std::string out;
  std::size_t budget = raw_bytes_for(kWordLine - std::min(first_line_used, kWordLine));
  if (budget < 4) {  // no room for one character: start on a fresh line
    out += "\r\n ";
    budget = raw_bytes_for(kWordLine - 1);
  }
  std::size_t i = 0;
  bool first = true;
  while (i < value.size()) {
    std::size_t end = i;
    while (end < value.size()) {
      std::size_t n = utf8_length(static_cast<unsigned char>(value[end]));
      if (end + n > value.size()) n = value.size() - end;
      if (end + n - i > budget) break;
      end += n;
    }
    if (end == i) end = i + 1;  // cannot happen with budget >= 4; guards against a stall
    if (!first) out += "\r\n ";
    out += "=?utf-8?B?";
    out += base64_encode(value.substr(i, end - i));
    out += "?=";
    first = false;
    i = end;
    budget = raw_bytes_for(kWordLine - 1);
  }
  return out;
}

std::string unstructured_field(std::string_view name, std::string_view value) {
  std::string out(name);
  out += ": ";
  // Encoded-words when the text is not plain ASCII, when it could be mistaken for one, or when
  // a single word would not fold under the hard 998 limit.
  bool encode = !is_printable_ascii(value) || value.find("=?") != std::string_view::npos;
  if (!encode) {
    std::size_t run = 0;
    for (char c : value) {
      run = (c == ' ' || c == '\t') ? 0 : run + 1;
      if (run > kFoldAt - 2) encode = true;
    }
  }
  if (encode) {
    out += encoded_words(value, out.size());
    out += "\r\n";
    return out;
  }
  // Fold at whitespace: the break goes before a blank, which stays as the continuation's lead.
  std::size_t line_start = 0;
  std::size_t i = 0;
  while (i < value.size()) {
    std::size_t word_end = value.find_first_of(" \t", i + 1);
    if (word_end == std::string_view::npos) word_end = value.size();
    std::size_t line_len = out.size() - line_start;
    if (line_len + (word_end - i) > kFoldAt && i > 0 && (value[i] == ' ' || value[i] == '\t')) {
      out += "\r\n";
      line_start = out.size();
    }
    out.append(value.substr(i, word_end - i));
    i = word_end;
  }
  out += "\r\n";
  return out;
}

std::string encode_display_name(std::string_view name, std::size_t line_used) {
  if (name.empty()) return {};
  if (!is_printable_ascii(name) || name.find("=?") != std::string_view::npos || name.size() > 60)
    return encoded_words(name, line_used);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string decode_header_value(std::string_view value) {
  // Unfold first (RFC 5322 2.2.3: remove CRLF before WSP).
  std::string unfolded;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\r' || value[i] == '\n') continue;
    unfolded += value[i];
  }
  std::string out;
  std::size_t i = 0;
  bool last_was_word = false;
  std::string pending_space;
  while (i < unfolded.size()) {
    if (unfolded.compare(i, 2, "=?") == 0) {
      std::size_t q1 = unfolded.find('?', i + 2);
      std::size_t q2 = q1 == std::string::npos ? q1 : unfolded.find('?', q1 + 1);
      std::size_t end = q2 == std::string::npos ? q2 : unfolded.find("?=", q2 + 1);
      if (end != std::string::npos && q2 == q1 + 2) {
        char enc = unfolded[q1 + 1];
        std::string_view text(unfolded.data() + q2 + 1, end - q2 - 1);
        std::string decoded;
        bool ok = true;
        if (enc == 'B' || enc == 'b') {
          ok = base64_decode(text, decoded);
        } else if (enc == 'Q' || enc == 'q') {
          std::string t(text);
          for (char& c : t)
            if (c == '_') c = ' ';
          decoded = quoted_printable_decode(t);
        } else {
          ok = false;
        }
        if (ok) {
          // RFC 2047 6.2: whitespace between adjacent encoded-words is not displayed.
          if (!last_was_word) out += pending_space;
          pending_space.clear();
          out += decoded;
          last_was_word = true;
          i = end + 2;
          continue;
        }
      }
    }
    char c = unfolded[i++];
    if (c == ' ' || c == '\t') {
      pending_space += c;
      continue;
    }
    out += pending_space;
    pending_space.clear();
    out += c;
    last_was_word = false;
  }
  out += pending_space;
  return out;
}

}  // namespace mc::delivery
