// Generated text made readable for people, in the GUI and the CLI alike: byte-fallback pieces that
// form UTF-8 become their characters, stray bytes stay visible as <0xNN>, a newline shows as ⏎
// (and still breaks the line), other C0 controls as their U+2400 pictures; never U+FFFD for a
// byte the model did produce. Plain C++17.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tinyllm::text {

class Tokenizer;

// The ids' text, readable (UTF-8). An id outside the vocabulary shows as <id N?>.
std::string readable_sample(const Tokenizer& tokenizer, const std::vector<int32_t>& ids);
// The same for text that has no ids (bytes that are not UTF-8 show as <0xNN>).
std::string readable_text(std::string_view text);
// Appends code point `c` to `out` as UTF-8.
void append_utf8(std::string& out, char32_t c);
// A piece's text with SentencePiece's space mark "▁" as a space.
std::string piece_text(std::string_view piece);

}  // namespace tinyllm::text
