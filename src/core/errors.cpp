// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/core/errors.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <new>

namespace hpar {
namespace {

/// Length of the UTF-8 sequence at the start of `text` (2 to 4 bytes), or 0 when it is not a
/// valid one (bad lead or continuation byte, overlong form, surrogate, above U+10FFFF).
std::size_t utf8_sequence(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  unsigned low = 0x80;  // bounds of the second byte, which rule out overlong forms and more
  unsigned high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;  // no UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

void append_hex(std::string& out, const char* prefix, unsigned value) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%s%02x", prefix, value);
  out += buf;
}

/// The code point of the valid UTF-8 sequence of `n` bytes at the start of `text`.
unsigned code_point(std::string_view text, std::size_t n) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned cp = byte(0) & (n == 2 ? 0x1FU : n == 3 ? 0x0FU : 0x07U);
  for (std::size_t i = 1; i < n; ++i) cp = (cp << 6) | (byte(i) & 0x3FU);
  return cp;
}

/// True for the characters that reorder text on a terminal (Unicode's bidirectional
/// formatting controls and marks): echoed raw, they make a message read other than it is.
bool is_bidi_control(unsigned cp) {
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

/// `text` with control characters (C0, C1 and the bidirectional controls) and bytes that are
/// not UTF-8 escaped, cut once the result
/// reaches `most` bytes. Sets `cut` when it was.
std::string escape(std::string_view text, std::size_t most, bool& cut) {
  std::string out;
  cut = false;
  for (std::size_t i = 0; i < text.size();) {
    if (out.size() >= most) {
      cut = true;
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
      ++i;
    } else if (c == '\n' || c == '\t' || c == '\r' || c == 0x1B) {
      out += c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : "\\e";
      ++i;
    } else if (const std::size_t n = c < 0x80 ? 0 : utf8_sequence(text.substr(i)); n == 0) {
      append_hex(out, "\\x", c);  // another control character, or a byte that is not UTF-8
      ++i;
    } else if (c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0) {
      append_hex(out, "\\u00", static_cast<unsigned char>(text[i + 1]));  // a C1 control
      i += n;
    } else if (const unsigned cp = code_point(text.substr(i), n); is_bidi_control(cp)) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", cp);  // U+202E would turn the line around
      out += buf;
      i += n;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace

std::string quote_for_message(std::string_view text, std::size_t most) {
  bool cut = false;
  std::string out = "'" + escape(text, most, cut) + "'";
  if (cut) out.insert(out.size() - 1, "...").append(" (" + std::to_string(text.size()) + " bytes)");
  return out;
}

std::string one_line_message(std::string_view text, std::size_t most) {
  bool cut = false;
  std::string out = escape(text, most, cut);
  if (cut) out += "... (" + std::to_string(text.size()) + " bytes in all)";
  return out;
}

std::pair<int, std::string> describe(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const Error& e) {
    return {static_cast<int>(e.code()), e.what()};
  } catch (const std::bad_alloc&) {
    return {static_cast<int>(ExitCode::runtime), "out of memory"};
  } catch (const std::exception& e) {
    return {static_cast<int>(ExitCode::runtime), e.what()};
  } catch (...) {
    return {static_cast<int>(ExitCode::runtime), "unknown exception"};
  }
}

std::string mpi_error_text(int rc) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(rc);
  // MPICH's texts are error stacks, one frame a line: one line here.
  std::string out(text, static_cast<std::size_t>(std::max(len, 0)));
  std::replace(out.begin(), out.end(), '\n', ' ');
  return out;
}

void check_mpi(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  throw RuntimeError(std::string(what) + " failed: " + mpi_error_text(rc));
}

}  // namespace hpar
