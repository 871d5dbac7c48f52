// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Output: where a map's lambda appends an item's text or bytes. hpar joins the blocks' output
/// in item order, whatever the layout, and streams it to standard output or --output.

#include <charconv>
#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>

namespace hpar {

/// Appends text and bytes to one block's ordered output (owned by the engine). Numbers are
/// written as std::to_chars writes them: integers in decimal, floating point in the shortest
/// form that reads back to the same value. No locale, no allocation beyond the buffer's growth.
class Output {
 public:
  /// Appends to `buffer` (not owned; must outlive this Output).
  explicit Output(std::string& buffer) noexcept : buffer_(&buffer) {}

  /// Appends text.
  Output& operator<<(std::string_view text) {
    buffer_->append(text);
    return *this;
  }
  /// Appends a C string.
  Output& operator<<(const char* text) { return *this << std::string_view(text); }
  /// Appends one character.
  Output& operator<<(char c) {
    buffer_->push_back(c);
    return *this;
  }
  /// Appends an integer in decimal.
  template <std::integral T>
  requires(!std::same_as<T, char> && !std::same_as<T, bool>) Output& operator<<(T value) {
    return append_number(value);
  }
  /// Appends a floating-point number in its shortest round-trip form ("0.1", "1e+300").
  template <std::floating_point T>
  Output& operator<<(T value) {
    return append_number(value);
  }
  /// Appends raw bytes (binary output).
  Output& write(const void* data, std::size_t bytes) {
    buffer_->append(static_cast<const char*>(data), bytes);
    return *this;
  }
  /// The block's buffer, for anything else (e.g. std::format_to(std::back_inserter(...))).
  [[nodiscard]] std::string& buffer() noexcept { return *buffer_; }

 private:
  template <class T>
  Output& append_number(T value) {
    char text[64];  // the longest double is 24 characters
    const auto done = std::to_chars(text, text + sizeof text, value);
    buffer_->append(text, done.ptr);
    return *this;
  }

  std::string* buffer_;
};

}  // namespace hpar
