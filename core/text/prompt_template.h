// The prompt template of task examples, defined once for the whole tool chain: data preparation
// writes it, the tokenizer makes its markers single tokens, fine-tuning masks the prompt, and the
// edge runtime builds prompts and stops generating at the end marker. Header only, plain C++17,
// no dependencies (target tinyllm_prompt_template).
//
//   ### Instruction:\n<instruction>\n### Input:\n<input>\n### Response:\n<answer>\n### End
//   \___________________________ prompt ______________________________/\___ response ___/
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tinyllm::prompt {

inline constexpr std::string_view kInstructionMarker = "### Instruction:";
inline constexpr std::string_view kInputMarker = "### Input:";
inline constexpr std::string_view kResponseMarker = "### Response:";
inline constexpr std::string_view kEndMarker = "### End";  // the runtime's stop marker
// In the order they appear in an example.
inline constexpr std::string_view kMarkers[] = {kInstructionMarker, kInputMarker, kResponseMarker,
                                                kEndMarker};

struct Example {
  std::string prompt;    // "### Instruction:\n...\n### Input:\n...\n### Response:\n"
  std::string response;  // "wing\n### End"
};

// "### Instruction:\n<instruction>\n### Input:\n<input>\n### Response:\n"
inline std::string build_prompt(std::string_view instruction, std::string_view input) {
  std::string out;
  out.reserve(instruction.size() + input.size() + 48);
  out.append(kInstructionMarker).append("\n").append(instruction).append("\n");
  out.append(kInputMarker).append("\n").append(input).append("\n");
  out.append(kResponseMarker).append("\n");
  return out;
}

// "<answer>\n### End"
inline std::string build_response(std::string_view answer) {
  std::string out(answer);
  out.append("\n").append(kEndMarker);
  return out;
}

inline Example build_example(std::string_view instruction, std::string_view input,
                             std::string_view answer) {
  return {build_prompt(instruction, input), build_response(answer)};
}

// The text a model sees in training: prompt then response.
inline std::string full_text(const Example& example) {
  return example.prompt + example.response;
}

// Splits a full text after its response marker line; nullopt when it has none.
inline std::optional<Example> split_example(std::string_view text) {
  std::string marker(kResponseMarker);
  marker += '\n';
  const size_t at = text.find(marker);
  if (at == std::string_view::npos) return std::nullopt;
  const size_t cut = at + marker.size();
  return Example{std::string(text.substr(0, cut)), std::string(text.substr(cut))};
}

// The answer in a response or in generated text: everything before "\n### End" (all of it when
// generation stopped before the marker).
inline std::string_view answer_of(std::string_view response) {
  std::string end("\n");
  end += kEndMarker;
  const size_t at = response.find(end);
  return at == std::string_view::npos ? response : response.substr(0, at);
}

}  // namespace tinyllm::prompt
