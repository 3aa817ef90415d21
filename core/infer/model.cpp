#include "infer/model.h"

#include <cstddef>
#include <limits>

#include "base/binary.h"
#include "gguf/keys.h"

namespace tinyllm::infer {
namespace {

namespace keys = gguf::keys;

// Checked views into the file: each tensor must exist with the expected shape and a type the
// kernels handle.
class Binder {
 public:
  explicit Binder(const gguf::File& file) : file_(file) {}

  Result<const float*> vector(const std::string& name, uint64_t size) const {
    TINYLLM_TRY_ASSIGN(t, find(name));
    if (t->type != gguf::TensorType::f32 || t->ne.size() != 1 || t->ne[0] != size)
      return error(name, "expected F32 [" + std::to_string(size) + "], got " +
                             gguf::to_string(t->type) + " " + shape(*t));
    TINYLLM_TRY_ASSIGN(data, aligned_data(*t, alignof(float)));
    return reinterpret_cast<const float*>(data);
  }

  Result<Matrix> matrix(const std::string& name, uint64_t rows, uint64_t cols) const {
    TINYLLM_TRY_ASSIGN(t, find(name));
    if (t->ne.size() != 2 || t->ne[0] != cols || t->ne[1] != rows)
      return error(name, "expected [" + std::to_string(cols) + ", " + std::to_string(rows) +
                             "], got " + shape(*t));
    const auto type = t->type;
    if (type != gguf::TensorType::f32 && type != gguf::TensorType::f16 &&
        type != gguf::TensorType::q8_0 && type != gguf::TensorType::q4_0)
      return error(name, std::string("type ") + gguf::to_string(type) +
                             " is not supported (F32, F16, Q8_0, Q4_0 are)");
    Matrix m;
    m.type = type;
    // F32 and F16 rows are read in place as float / uint16_t; quantized blocks byte by byte.
    const size_t value_alignment = type == gguf::TensorType::f32   ? alignof(float)
                                   : type == gguf::TensorType::f16 ? alignof(uint16_t)
                                                                   : 1;
    TINYLLM_TRY_ASSIGN(data, aligned_data(*t, value_alignment));
    m.data = data;
    m.rows = rows;
    m.cols = cols;
    m.row_bytes = t->bytes / rows;
    return m;
  }

 private:
  // The tensor's bytes, checked to start at an address aligned for its values: a file with a
  // general.alignment of 1 or 2 can misplace them, and 32-bit ARM faults on unaligned floats.
  Result<const uint8_t*> aligned_data(const gguf::TensorInfo& t, size_t alignment) const {
    const auto* data = reinterpret_cast<const uint8_t*>(file_.tensor_data(t).data());
    if (reinterpret_cast<uintptr_t>(data) % alignment != 0)
      return make_error(at_offset(file_.where(), t.info_offset),
                        "tensor '" + t.name + "': its data (at data offset " +
                            std::to_string(t.offset) + ") is not aligned to " +
                            std::to_string(alignment) + " bytes for its " +
                            gguf::to_string(t.type) + " values (general.alignment " +
                            std::to_string(file_.alignment()) + ")");
    return data;
  }
  Result<const gguf::TensorInfo*> find(const std::string& name) const {
    const gguf::TensorInfo* t = file_.find_tensor(name);
    if (!t) return error(name, "the tensor is missing");
    return t;
  }
  Error error(const std::string& name, const std::string& message) const {
    return make_error(file_.where(), "tensor '" + name + "': " + message);
  }
  static std::string shape(const gguf::TensorInfo& t) {
    std::string s = "[";
    for (size_t i = 0; i < t.ne.size(); ++i)
      s += (i ? ", " : "") + std::to_string(t.ne[i]);
    return s + "]";
  }
  const gguf::File& file_;
};

Result<int> positive_u32(const gguf::File& file, const char* key) {
  TINYLLM_TRY_ASSIGN(v, file.get_u32(key));
  if (v == 0 || v > (1u << 24))
    return make_error(file.where(), std::string(key) + " = " + std::to_string(v) +
                                        " is out of range (1 .. 16777216)");
  return int(v);
}

}  // namespace

Result<Model> Model::load(const std::filesystem::path& path) {
  // Mapped, not read: the weights are used in place, paged in as the kernels first touch them.
  TINYLLM_TRY_ASSIGN(file, gguf::File::map(path));
  return from_file(std::move(file));
}

Result<Model> Model::from_file(gguf::File file) {
  Model m;
  m.file_ = std::make_unique<gguf::File>(std::move(file));
  const gguf::File& f = *m.file_;
  TINYLLM_TRY_ASSIGN(arch, f.get_string(keys::kArchitecture));
  if (arch != keys::kArchGpt2)
    return make_error(f.where(), "architecture '" + arch + "' is not supported (gpt2 is)");
  Hyperparameters& hp = m.hp_;
  TINYLLM_TRY_ASSIGN(n_ctx, positive_u32(f, keys::kContextLength));
  TINYLLM_TRY_ASSIGN(n_embd, positive_u32(f, keys::kEmbeddingLength));
  TINYLLM_TRY_ASSIGN(n_ff, positive_u32(f, keys::kFeedForwardLength));
  TINYLLM_TRY_ASSIGN(n_layer, positive_u32(f, keys::kBlockCount));
  TINYLLM_TRY_ASSIGN(n_head, positive_u32(f, keys::kHeadCount));
  TINYLLM_TRY_ASSIGN(eps, f.get_f32(keys::kLayerNormEpsilon));
  hp.n_ctx = n_ctx, hp.n_embd = n_embd, hp.n_ff = n_ff, hp.n_layer = n_layer, hp.n_head = n_head;
  hp.norm_eps = eps;
  if (n_embd % n_head != 0)
    return make_error(f.where(), "embedding length " + std::to_string(n_embd) +
                                     " is not a multiple of the head count " +
                                     std::to_string(n_head));
  if (n_embd % int(kBlock) != 0 || n_ff % int(kBlock) != 0)
    return make_error(f.where(), "embedding and feed-forward lengths must be multiples of 32");
  // The KV cache (Session) takes n_layer x n_ctx x n_embd floats twice; the sizes are counted in
  // 64 bits so that a 32-bit runtime refuses what it cannot address instead of wrapping.
  const uint64_t kv_bytes = 2 * 4 * uint64_t(n_layer) * uint64_t(n_ctx) * uint64_t(n_embd);
  if (kv_bytes > uint64_t(std::numeric_limits<std::ptrdiff_t>::max()))
    return make_error(f.where(), "the KV cache would take " + std::to_string(kv_bytes) +
                                     " bytes (n_layer x n_ctx x n_embd), more than a " +
                                     std::to_string(sizeof(void*) * 8) +
                                     "-bit runtime can address");
  const gguf::TensorInfo* embd = f.find_tensor(keys::kTokenEmbd);
  if (!embd || embd->ne.size() != 2 || embd->ne[1] == 0 || embd->ne[1] > (1u << 24))
    return make_error(
        f.where(), std::string("tensor '") + keys::kTokenEmbd + "' is missing or has a bad shape");
  hp.n_vocab = int(embd->ne[1]);

  const Binder bind(f);
  const uint64_t C = uint64_t(n_embd), F = uint64_t(n_ff), V = uint64_t(hp.n_vocab);
  TINYLLM_TRY_ASSIGN(token_embd, bind.matrix(keys::kTokenEmbd, V, C));
  TINYLLM_TRY_ASSIGN(position_embd, bind.matrix(keys::kPositionEmbd, uint64_t(n_ctx), C));
  if (position_embd.type != gguf::TensorType::f32)
    return make_error(f.where(), std::string("tensor '") + keys::kPositionEmbd +
                                     "' must be F32 (the exporter keeps it so)");
  TINYLLM_TRY_ASSIGN(norm_w, bind.vector(keys::kOutputNormWeight, C));
  TINYLLM_TRY_ASSIGN(norm_b, bind.vector(keys::kOutputNormBias, C));
  TINYLLM_TRY_ASSIGN(output, bind.matrix(keys::kOutput, V, C));
  m.token_embd_ = token_embd;
  m.position_embd_ = reinterpret_cast<const float*>(position_embd.data);
  m.output_norm_w_ = norm_w;
  m.output_norm_b_ = norm_b;
  m.output_ = output;
  for (int i = 0; i < n_layer; ++i) {
    auto name = [i](const char* n) { return keys::block_tensor(i, n); };
    BlockWeights b;
    TINYLLM_TRY_ASSIGN(ln1_w, bind.vector(name("attn_norm.weight"), C));
    TINYLLM_TRY_ASSIGN(ln1_b, bind.vector(name("attn_norm.bias"), C));
    TINYLLM_TRY_ASSIGN(qkv, bind.matrix(name("attn_qkv.weight"), 3 * C, C));
    TINYLLM_TRY_ASSIGN(qkv_b, bind.vector(name("attn_qkv.bias"), 3 * C));
    TINYLLM_TRY_ASSIGN(proj, bind.matrix(name("attn_output.weight"), C, C));
    TINYLLM_TRY_ASSIGN(proj_b, bind.vector(name("attn_output.bias"), C));
    TINYLLM_TRY_ASSIGN(ln2_w, bind.vector(name("ffn_norm.weight"), C));
    TINYLLM_TRY_ASSIGN(ln2_b, bind.vector(name("ffn_norm.bias"), C));
    TINYLLM_TRY_ASSIGN(up, bind.matrix(name("ffn_up.weight"), F, C));
    TINYLLM_TRY_ASSIGN(up_b, bind.vector(name("ffn_up.bias"), F));
    TINYLLM_TRY_ASSIGN(down, bind.matrix(name("ffn_down.weight"), C, F));
    TINYLLM_TRY_ASSIGN(down_b, bind.vector(name("ffn_down.bias"), C));
    b.attn_norm_w = ln1_w, b.attn_norm_b = ln1_b, b.attn_qkv = qkv, b.attn_qkv_b = qkv_b;
    b.attn_output = proj, b.attn_output_b = proj_b, b.ffn_norm_w = ln2_w, b.ffn_norm_b = ln2_b;
    b.ffn_up = up, b.ffn_up_b = up_b, b.ffn_down = down, b.ffn_down_b = down_b;
    m.blocks_.push_back(b);
  }
  return m;
}

std::string Model::weight_type() const {
  return blocks_.empty() ? gguf::to_string(output_.type)
                         : gguf::to_string(blocks_.front().attn_qkv.type);
}

uint64_t Model::parameter_count() const {
  uint64_t n = 0;
  for (const auto& t : file_->tensors())
    n += t.elements();
  return n;
}

}  // namespace tinyllm::infer
