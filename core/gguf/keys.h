// Every GGUF key and tensor name the project writes or reads, in one place (llama.cpp's
// llama-arch.cpp is the model). Standard keys and types follow
// ../shared/reference/gguf-gpt2.md §1-§3; ours live under "tinyllm." (docs/gguf.md lists them).
#pragma once

#include <cstdint>
#include <string>

namespace tinyllm::gguf::keys {

// --- general.* ---
inline constexpr const char* kArchitecture = "general.architecture";  // str "gpt2"
inline constexpr const char* kName = "general.name";                  // str
inline constexpr const char* kFileType = "general.file_type";         // u32 (kFileType*)
inline constexpr const char* kQuantizationVersion = "general.quantization_version";  // u32 2
inline constexpr const char* kAlignment = "general.alignment";  // u32, power of two (not written)
inline constexpr const char* kArchGpt2 = "gpt2";
inline constexpr uint32_t kQuantizationVersionValue = 2;  // GGML_QNT_VERSION
// general.file_type values (llama_ftype).
inline constexpr uint32_t kFileTypeAllF32 = 0, kFileTypeMostlyF16 = 1, kFileTypeMostlyQ4_0 = 2,
                          kFileTypeMostlyQ8_0 = 7;

// --- gpt2.* hyper-parameters: u32 except the epsilon (llama.cpp checks the types) ---
inline constexpr const char* kContextLength = "gpt2.context_length";
inline constexpr const char* kEmbeddingLength = "gpt2.embedding_length";
inline constexpr const char* kFeedForwardLength = "gpt2.feed_forward_length";
inline constexpr const char* kBlockCount = "gpt2.block_count";
inline constexpr const char* kHeadCount = "gpt2.attention.head_count";
inline constexpr const char* kLayerNormEpsilon = "gpt2.attention.layer_norm_epsilon";  // f32

// --- tokenizer.ggml.* (SentencePiece BPE as llama.cpp's "llama" model) ---
inline constexpr const char* kTokenizerModel = "tokenizer.ggml.model";             // str "llama"
inline constexpr const char* kTokenizerPre = "tokenizer.ggml.pre";                 // str "default"
inline constexpr const char* kTokens = "tokenizer.ggml.tokens";                    // str[]
inline constexpr const char* kScores = "tokenizer.ggml.scores";                    // f32[]
inline constexpr const char* kTokenTypes = "tokenizer.ggml.token_type";            // i32[]
inline constexpr const char* kBosId = "tokenizer.ggml.bos_token_id";               // u32
inline constexpr const char* kEosId = "tokenizer.ggml.eos_token_id";               // u32
inline constexpr const char* kUnkId = "tokenizer.ggml.unknown_token_id";           // u32
inline constexpr const char* kPadId = "tokenizer.ggml.padding_token_id";           // u32
inline constexpr const char* kAddBos = "tokenizer.ggml.add_bos_token";             // bool
inline constexpr const char* kAddEos = "tokenizer.ggml.add_eos_token";             // bool
inline constexpr const char* kAddSpacePrefix = "tokenizer.ggml.add_space_prefix";  // bool
inline constexpr const char* kTokenizerModelLlama = "llama";
inline constexpr const char* kTokenizerPreDefault = "default";
// llama.cpp token types (SentencePiece's piece types have the same numbers).
inline constexpr int32_t kTokenNormal = 1, kTokenUnknown = 2, kTokenControl = 3,
                         kTokenUserDefined = 4, kTokenUnused = 5, kTokenByte = 6;

// --- tinyllm.*: what the device needs to turn readings into a prompt and read the answer ---
inline constexpr const char* kTinyFormatVersion = "tinyllm.format_version";  // u32 1
// The tinyllm.* layout this code writes and the newest it reads: a runtime refuses a file whose
// format_version is newer than its own (it would misread keys it does not know).
inline constexpr uint32_t kTinyFormatVersionCurrent = 1;
inline constexpr const char* kTinyWorkbenchVersion = "tinyllm.workbench_version";  // str "0.1.0"
inline constexpr const char* kTinySourceSha256 = "tinyllm.source.sha256";  // str: model.safetensors
inline constexpr const char* kTinySourceCheckpoint = "tinyllm.source.checkpoint";  // str, relative
inline constexpr const char* kTinyTask = "tinyllm.task.name";                      // str "gesture"
inline constexpr const char* kTinyTaskKind = "tinyllm.task.kind";    // str classification|position
inline constexpr const char* kTinyAnswers = "tinyllm.task.answers";  // str[] (classification)
inline constexpr const char* kTinyInstruction = "tinyllm.prompt.instruction";  // str
inline constexpr const char* kTinyPromptTemplate =
    "tinyllm.prompt.template";  // str, {instruction} {input}
inline constexpr const char* kTinyResponseTemplate =
    "tinyllm.prompt.response_template";                                     // {answer}
inline constexpr const char* kTinyMarkers = "tinyllm.prompt.markers";       // str[4]
inline constexpr const char* kTinyEndMarker = "tinyllm.prompt.end_marker";  // str "### End"
inline constexpr const char* kTinySensorKind = "tinyllm.sensor.kind";       // str imu|rssi
inline constexpr const char* kTinyChannels = "tinyllm.sensor.channels";     // str[]
inline constexpr const char* kTinyChannelUnits = "tinyllm.sensor.units";    // str[], as recorded
inline constexpr const char* kTinySampleRate = "tinyllm.sensor.sample_rate_hz";  // f64, 0 unknown
inline constexpr const char* kTinyTextStyle = "tinyllm.text.style";              // str
inline constexpr const char* kTinySiUnits = "tinyllm.text.si_units";             // bool
inline constexpr const char* kTinyDecimalsSetting =
    "tinyllm.text.decimals_setting";                                     // i32, -1 auto
inline constexpr const char* kTinyDecimals = "tinyllm.text.decimals";    // i32[] per channel
inline constexpr const char* kTinyTextUnits = "tinyllm.text.units";      // str[] after conversion
inline constexpr const char* kTinyRssiTopK = "tinyllm.text.rssi_top_k";  // u32
inline constexpr const char* kTinyResampleHz = "tinyllm.text.resample_hz";   // f64, 0 keep
inline constexpr const char* kTinyRateHz = "tinyllm.text.rate_hz";           // f64 after resampling
inline constexpr const char* kTinyWindowRows = "tinyllm.text.window_rows";   // u32
inline constexpr const char* kTinyWindowSeconds = "tinyllm.text.window_s";   // f64
inline constexpr const char* kTinyStrideSeconds = "tinyllm.text.stride_s";   // f64
inline constexpr const char* kTinyNormalize = "tinyllm.text.normalize";      // str none|zscore
inline constexpr const char* kTinyNormMean = "tinyllm.text.norm_mean";       // f64[] (zscore only)
inline constexpr const char* kTinyNormStd = "tinyllm.text.norm_std";         // f64[] (zscore only)
inline constexpr const char* kTinyLevelCount = "tinyllm.text.levels.count";  // u32 (levels)
inline constexpr const char* kTinyLevelCenter = "tinyllm.text.levels.center";  // f64[]
inline constexpr const char* kTinyLevelStep = "tinyllm.text.levels.step";      // f64[]
// SentencePiece's own add_dummy_prefix, for our encoder (llama.cpp's add_space_prefix differs).
inline constexpr const char* kTinyAddDummyPrefix = "tinyllm.tokenizer.add_dummy_prefix";  // bool
// The tokenizer's .model bytes, so the runtime's encoder gives exactly the training ids.
inline constexpr const char* kTinyTokenizerProto = "tinyllm.tokenizer.model_proto";  // u8[]

// --- tensor names (blk.N.* per block; model/names.h maps them from the checkpoint) ---
inline constexpr const char* kTokenEmbd = "token_embd.weight";
inline constexpr const char* kPositionEmbd = "position_embd.weight";
inline constexpr const char* kOutputNormWeight = "output_norm.weight";
inline constexpr const char* kOutputNormBias = "output_norm.bias";
inline constexpr const char* kOutput = "output.weight";
// The per-block tensor names, without the "blk.N." prefix.
inline constexpr const char* kBlockTensors[] = {
    "attn_norm.weight",   "attn_norm.bias",   "attn_qkv.weight", "attn_qkv.bias",
    "attn_output.weight", "attn_output.bias", "ffn_norm.weight", "ffn_norm.bias",
    "ffn_up.weight",      "ffn_up.bias",      "ffn_down.weight", "ffn_down.bias"};
inline std::string block_tensor(int block, const char* name) {
  return "blk." + std::to_string(block) + "." + name;
}

}  // namespace tinyllm::gguf::keys
