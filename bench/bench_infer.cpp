// bench_infer: the edge runtime (core/infer) against libtorch's CPU forward of the same model and
// against two limits measured in the same run.
//
// For each preset (random weights, N(0, 0.02)) and each type (F32, F16, Q8_0, Q4_0): prompt
// tokens/s (a 256-token prompt, or the context if shorter: one eval, the blocked matrix-matrix
// path) and generation tokens/s (64 greedy tokens after an 8-token prompt, one eval per token
// over the KV cache), at each thread count. The reference is a GPT-2 forward written here from
// torch ops (addmm, layer_norm, matmul attention with a KV cache for generation, tanh GELU)
// on the F32 file's weights; only the last prompt row goes through the output head, as in ours.
// The limits: generation's bandwidth bound (bytes of weights one token reads / the streaming
// read rate of a buffer that size and of one far larger than the caches), and the fp32 matmul
// peak (a 1024^2 torch::mm through OpenBLAS) against which the prompt's FLOP/s are put.
//
// Ours and libtorch alternate over rounds (bench_stats.h); ratios are medians of per-round ratios.
//
//   bench_infer [--rounds N] [--presets tiny,small,d6] [--threads 1,2] [--types f32,f16,q8_0,q4_0]
//               [--prompt-tokens 256] [--gen-tokens 64] [--big-buffer-mib 1024]
#include <dlfcn.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "bench_stats.h"
#include "gguf/gguf.h"
#include "gguf/keys.h"
#include "infer/model.h"
#include "infer/session.h"
#include "model/config.h"
#include "random_gguf.h"
#include "train/sample.h"

using namespace tinyllm;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs `fn` (which handles `units` tokens) until `min_seconds` have passed; units per second.
template <class Fn>
double rate(double units, double min_seconds, Fn fn) {
  int reps = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    fn();
    ++reps;
    elapsed = seconds_since(start);
  } while (elapsed < min_seconds);
  return units * reps / elapsed;
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// libtorch sets its own (OpenMP) threads; Debian's libtorch calls BLAS through libblas.so.3,
// which is OpenBLAS (pthreads) after setup.sh: its thread count is separate, set it as well.
void set_torch_threads(int threads) {
  at::set_num_threads(threads);
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set(threads);
}

std::string blas_name() {
  using Config = char* (*)();
  if (auto config = reinterpret_cast<Config>(dlsym(RTLD_DEFAULT, "openblas_get_config")))
    return std::string("OpenBLAS (") + config() + ")";
  return "not OpenBLAS (reference BLAS? run scripts/setup.sh)";
}

// ---- streaming read rate --------------------------------------------------------------------

#if defined(__x86_64__)
__attribute__((target("avx2"))) uint64_t read_all(const uint8_t* p, size_t bytes) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 128 <= bytes; i += 128) {
    a0 = _mm256_add_epi64(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_add_epi64(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
    a2 = _mm256_add_epi64(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 64)));
    a3 = _mm256_add_epi64(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 96)));
  }
  const __m256i s = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  uint64_t lanes[4];
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes), s);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}
#else
uint64_t read_all(const uint8_t* p, size_t bytes) {
  uint64_t sum = 0;
  for (size_t i = 0; i + 8 <= bytes; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    sum += v;
  }
  return sum;
}
#endif

// A buffer read by `threads` threads, each its own contiguous part, over and over: bytes/s.
class ReadRate {
 public:
  explicit ReadRate(size_t bytes) : bytes_((std::max<size_t>(bytes, 4096) + 127) / 128 * 128) {
    buffer_ = static_cast<uint8_t*>(std::aligned_alloc(64, bytes_));
    for (size_t i = 0; i < bytes_; ++i)  // touch every page (and give the sum something to add)
      buffer_[i] = uint8_t(i * 131);
  }
  ~ReadRate() { std::free(buffer_); }
  ReadRate(const ReadRate&) = delete;
  ReadRate& operator=(const ReadRate&) = delete;
  size_t bytes() const { return bytes_; }

  double measure(int threads, double min_seconds) {
    const size_t part = bytes_ / size_t(threads) / 128 * 128;
    std::vector<uint64_t> sums(size_t(threads), 0);
    std::vector<double> rates(size_t(threads), 0);
    auto reader = [&](int t) {
      const uint8_t* p = buffer_ + size_t(t) * part;
      rates[size_t(t)] =
          rate(double(part), min_seconds, [&] { sums[size_t(t)] += read_all(p, part); });
    };
    std::vector<std::thread> team;
    for (int t = 1; t < threads; ++t)
      team.emplace_back(reader, t);
    reader(0);
    for (auto& t : team)
      t.join();
    sink_ = sink_ + sums[0];
    double total = 0;
    for (double r : rates)
      total += r;
    return total;
  }

 private:
  size_t bytes_;
  uint8_t* buffer_ = nullptr;
  volatile uint64_t sink_ = 0;
};

// ---- libtorch's forward ---------------------------------------------------------------------

torch::Tensor tensor_of(const gguf::File& file, const std::string& name) {
  const gguf::TensorInfo* t = file.find_tensor(name);
  if (!t) throw std::runtime_error(file.where() + ": no tensor " + name);
  auto values = file.dequantize(*t);
  if (!values) throw std::runtime_error(values.error().to_string());
  std::vector<int64_t> shape(t->ne.rbegin(), t->ne.rend());  // ggml ne is innermost first
  return torch::from_blob(values->data(), shape, torch::kFloat32).clone();
}

// GPT-2 from torch ops, weights from a GGUF (F32: the same floats our engine reads), with a KV
// cache: eval(ids) runs them at positions n_past .. and returns the last token's logits.
class TorchGpt2 {
 public:
  explicit TorchGpt2(const gguf::File& f) {
    namespace keys = gguf::keys;
    C_ = int64_t(*f.get_u32(keys::kEmbeddingLength));
    H_ = int64_t(*f.get_u32(keys::kHeadCount));
    n_ctx_ = int64_t(*f.get_u32(keys::kContextLength));
    eps_ = double(*f.get_f32(keys::kLayerNormEpsilon));
    const int64_t layers = int64_t(*f.get_u32(keys::kBlockCount));
    wte_ = tensor_of(f, keys::kTokenEmbd);
    wpe_ = tensor_of(f, keys::kPositionEmbd);
    lnf_w_ = tensor_of(f, keys::kOutputNormWeight);
    lnf_b_ = tensor_of(f, keys::kOutputNormBias);
    head_ = tensor_of(f, keys::kOutput);
    for (int64_t i = 0; i < layers; ++i) {
      auto t = [&](const char* n) { return tensor_of(f, keys::block_tensor(int(i), n)); };
      layers_.push_back({t("attn_norm.weight"), t("attn_norm.bias"), t("attn_qkv.weight"),
                         t("attn_qkv.bias"), t("attn_output.weight"), t("attn_output.bias"),
                         t("ffn_norm.weight"), t("ffn_norm.bias"), t("ffn_up.weight"),
                         t("ffn_up.bias"), t("ffn_down.weight"), t("ffn_down.bias")});
    }
    const int64_t D = C_ / H_;
    k_cache_ = torch::zeros({layers, H_, n_ctx_, D});
    v_cache_ = torch::zeros({layers, H_, n_ctx_, D});
  }

  void rewind() { n_past_ = 0; }

  torch::Tensor eval(const std::vector<int64_t>& ids) {
    torch::InferenceMode guard;
    const int64_t T = int64_t(ids.size()), pos = n_past_, S = pos + T, D = C_ / H_;
    const double scale = 1.0 / std::sqrt(double(D));
    auto idx = torch::tensor(ids, torch::kInt64);
    auto x = wte_.index_select(0, idx) + wpe_.narrow(0, pos, T);  // (T, C)
    torch::Tensor mask;
    if (T > 1)  // query i (at pos + i) sees keys 0 .. pos + i
      mask = torch::ones({T, S}, torch::kBool).triu(pos + 1);
    for (size_t l = 0; l < layers_.size(); ++l) {
      const Layer& b = layers_[l];
      auto h = torch::layer_norm(x, {C_}, b.ln1_w, b.ln1_b, eps_);
      auto qkv = torch::addmm(b.qkv_b, h, b.qkv_w.t());  // (T, 3C)
      auto heads = [&](int64_t part) {
        return qkv.narrow(1, part * C_, C_).view({T, H_, D}).transpose(0, 1);  // (H, T, D)
      };
      k_cache_[int64_t(l)].narrow(1, pos, T).copy_(heads(1));
      v_cache_[int64_t(l)].narrow(1, pos, T).copy_(heads(2));
      auto keys = k_cache_[int64_t(l)].narrow(1, 0, S);
      auto values = v_cache_[int64_t(l)].narrow(1, 0, S);
      auto att = torch::matmul(heads(0), keys.transpose(1, 2)) * scale;  // (H, T, S)
      if (T > 1) att = att.masked_fill(mask, -INFINITY);
      att = torch::softmax(att, -1);
      auto y = torch::matmul(att, values).transpose(0, 1).reshape({T, C_});
      x = x + torch::addmm(b.proj_b, y, b.proj_w.t());
      h = torch::layer_norm(x, {C_}, b.ln2_w, b.ln2_b, eps_);
      h = torch::gelu(torch::addmm(b.up_b, h, b.up_w.t()), "tanh");
      x = x + torch::addmm(b.down_b, h, b.down_w.t());
    }
    n_past_ = S;
    auto last = torch::layer_norm(x.narrow(0, T - 1, 1), {C_}, lnf_w_, lnf_b_, eps_);
    return torch::mm(last, head_.t()).view({-1});
  }

 private:
  struct Layer {
    torch::Tensor ln1_w, ln1_b, qkv_w, qkv_b, proj_w, proj_b, ln2_w, ln2_b, up_w, up_b, down_w,
        down_b;
  };
  int64_t C_ = 0, H_ = 0, n_ctx_ = 0, n_past_ = 0;
  double eps_ = 1e-5;
  torch::Tensor wte_, wpe_, lnf_w_, lnf_b_, head_, k_cache_, v_cache_;
  std::vector<Layer> layers_;
};

// ---- what one round measures ----------------------------------------------------------------

struct Workload {
  std::vector<int32_t> prompt;     // the prompt-speed prompt
  std::vector<int32_t> gen_start;  // the short prompt before generation
  size_t gen_tokens = 64;
  double min_seconds = 0.25;  // each timing repeats until this long
};

struct Speeds {
  double prompt = 0, gen = 0;  // tokens/s
};

size_t argmax(const float* v, size_t n) {
  return size_t(std::max_element(v, v + n) - v);
}

Speeds ours(infer::Session& s, const Workload& w) {
  Speeds r;
  const size_t V = size_t(s.model().hparams().n_vocab);
  r.prompt = rate(double(w.prompt.size()), w.min_seconds, [&] {
    s.rewind(0);
    (void)s.eval(w.prompt);
  });
  double gen_seconds = 0;
  int reps = 0;
  while (gen_seconds < w.min_seconds) {
    s.rewind(0);
    (void)s.eval(w.gen_start);
    const auto start = Clock::now();
    for (size_t i = 0; i < w.gen_tokens; ++i) {
      const auto next = int32_t(argmax(s.logits().data(), V));
      (void)s.eval(&next, 1);
    }
    gen_seconds += seconds_since(start);
    ++reps;
  }
  r.gen = double(w.gen_tokens) * reps / gen_seconds;
  return r;
}

Speeds torch_speeds(TorchGpt2& m, const Workload& w) {
  Speeds r;
  const std::vector<int64_t> prompt(w.prompt.begin(), w.prompt.end());
  const std::vector<int64_t> start_ids(w.gen_start.begin(), w.gen_start.end());
  r.prompt = rate(double(prompt.size()), w.min_seconds, [&] {
    m.rewind();
    (void)m.eval(prompt);
  });
  double gen_seconds = 0;
  int reps = 0;
  while (gen_seconds < w.min_seconds) {
    m.rewind();
    auto logits = m.eval(start_ids);
    const auto start = Clock::now();
    for (size_t i = 0; i < w.gen_tokens; ++i) {
      const int64_t next = logits.argmax().item<int64_t>();
      logits = m.eval({next});
    }
    gen_seconds += seconds_since(start);
    ++reps;
  }
  r.gen = double(w.gen_tokens) * reps / gen_seconds;
  return r;
}

// Bytes of weights one generated token reads: every matrix and vector once (the embedding and
// position rows it looks up are a negligible part).
uint64_t weight_bytes_per_token(const infer::Model& m) {
  const auto& hp = m.hparams();
  const uint64_t C = uint64_t(hp.n_embd), F = uint64_t(hp.n_ff);
  auto bytes = [](const infer::Matrix& w) { return uint64_t(w.rows) * w.row_bytes; };
  uint64_t total = bytes(m.output()) + 2 * C * 4;
  for (const auto& b : m.blocks())
    total += bytes(b.attn_qkv) + bytes(b.attn_output) + bytes(b.ffn_up) + bytes(b.ffn_down) +
             4 * (3 * C + C + F + C + 4 * C);
  return total;
}

// FLOPs of one prompt: the matrices for every token, causal attention, the head for the last.
double prompt_flops(const model::ModelConfig& c, size_t tokens) {
  const double T = double(tokens), C = c.n_embd, F = c.n_ff, L = c.n_layer, V = c.n_vocab;
  const double matrices = 2.0 * T * L * (4 * C * C + 2 * C * F);
  const double attention = L * 2.0 * 2.0 * C * T * (T + 1) / 2;  // q.k and p.v over the spans
  return matrices + attention + 2.0 * C * V;
}

double max_logit_diff(infer::Session& s, TorchGpt2& m, const std::vector<int32_t>& ids) {
  s.rewind(0);
  (void)s.eval(ids);
  m.rewind();
  auto ref = m.eval(std::vector<int64_t>(ids.begin(), ids.end())).contiguous();
  const float* r = ref.data_ptr<float>();
  double diff = 0;
  for (size_t i = 0; i < s.logits().size(); ++i)
    diff = std::max(diff, std::fabs(double(s.logits()[i]) - double(r[i])));
  return diff;
}

struct Row {
  std::vector<double> prompt, gen, prompt_ratio, gen_ratio, bound_small, bound_big;
};

}  // namespace

int main(int argc, char** argv) {
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  int rounds_arg = 0, prompt_tokens = 256, gen_tokens = 64, big_mib = 1024;
  std::string presets = "tiny,small,d6", thread_list = "1," + std::to_string(cores),
              type_list = "f32,f16,q8_0,q4_0";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--rounds")
      rounds_arg = std::atoi(argv[i + 1]);
    else if (a == "--presets")
      presets = argv[i + 1];
    else if (a == "--threads")
      thread_list = argv[i + 1];
    else if (a == "--types")
      type_list = argv[i + 1];
    else if (a == "--prompt-tokens")
      prompt_tokens = std::atoi(argv[i + 1]);
    else if (a == "--gen-tokens")
      gen_tokens = std::atoi(argv[i + 1]);
    else if (a == "--big-buffer-mib")
      big_mib = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  const int rounds = bench::rounds_setting(rounds_arg, 5);
  std::vector<int> thread_counts;
  for (const auto& t : split(thread_list))
    thread_counts.push_back(std::max(1, std::atoi(t.c_str())));
  std::vector<gguf::TensorType> types;
  for (const auto& t : split(type_list)) {
    auto type = gguf::tensor_type_from_string(t);
    if (!type) {
      std::fprintf(stderr, "unknown type %s (f32, f16, q8_0, q4_0)\n", t.c_str());
      return 2;
    }
    types.push_back(*type);
  }
  const fs::path dir = fs::temp_directory_path() / ("bench_infer-" + std::to_string(::getpid()));
  fs::create_directories(dir);

  // The limits that do not depend on the model: the matmul peak and the big buffer's read rate.
  std::map<int, double> peak, big_rate;
  ReadRate big(size_t(big_mib) << 20);
  for (int t : thread_counts) {
    set_torch_threads(t);
    peak[t] = train::measure_matmul_flops(torch::kCPU);
    big_rate[t] = big.measure(t, 0.5);
  }
  std::printf(
      "BLAS: %s; kernels: %s; %d rounds, ours and libtorch alternating; tok/s are "
      "medians, ratios medians of per-round ratios (min..max)\n",
      blas_name().c_str(), infer::best_kernels().name, rounds);
  for (int t : thread_counts)
    std::printf(
        "threads %d: fp32 matmul peak %.1f GFLOP/s (1024^2 torch::mm); streaming read "
        "%.1f GB/s (%d MiB buffer)\n",
        t, peak[t] / 1e9, big_rate[t] / 1e9, big_mib);
  std::printf("\n");

  std::vector<std::string> table;
  for (const auto& name : split(presets)) {
    auto config = model::preset(name);
    if (!config) {
      std::fprintf(stderr, "%s\n", config.error().to_string().c_str());
      return 2;
    }
    std::map<gguf::TensorType, fs::path> files;
    for (auto type : types) {
      files[type] = dir / (name + "-" + gguf::to_string(type) + ".gguf");
      if (auto st = bench::write_random_gguf(*config, type, files[type]); !st) {
        std::fprintf(stderr, "%s\n", st.error().to_string().c_str());
        return 1;
      }
    }
    const fs::path f32_path = dir / (name + "-F32.gguf");
    if (!files.count(gguf::TensorType::f32))
      if (auto st = bench::write_random_gguf(*config, gguf::TensorType::f32, f32_path); !st) {
        std::fprintf(stderr, "%s\n", st.error().to_string().c_str());
        return 1;
      }
    auto f32_file = gguf::File::map(f32_path);
    if (!f32_file) {
      std::fprintf(stderr, "%s\n", f32_file.error().to_string().c_str());
      return 1;
    }
    TorchGpt2 reference(*f32_file);

    std::mt19937 gen(1);
    Workload work;
    work.prompt.resize(size_t(std::min(prompt_tokens, config->n_ctx)));
    for (auto& id : work.prompt)
      id = int32_t(gen() % uint32_t(config->n_vocab));
    work.gen_start.assign(work.prompt.begin(), work.prompt.begin() + 8);
    work.gen_tokens = size_t(std::min(gen_tokens, config->n_ctx - 8));

    std::map<gguf::TensorType, infer::Model> models;
    for (auto type : types) {
      auto m = infer::Model::load(files[type]);
      if (!m) {
        std::fprintf(stderr, "%s\n", m.error().to_string().c_str());
        return 1;
      }
      models.emplace(type, std::move(*m));
    }
    // Load time, mapped (what Model::load does now) against read whole (gguf::File::open).
    std::map<gguf::TensorType, std::pair<double, double>> load_ms;
    for (auto type : types) {
      std::vector<double> mapped, read;
      for (int r = 0; r < std::max(3, rounds); ++r) {
        auto start = Clock::now();
        (void)infer::Model::load(files[type]);
        mapped.push_back(seconds_since(start) * 1e3);
        start = Clock::now();
        if (auto f = gguf::File::open(files[type])) (void)infer::Model::from_file(std::move(*f));
        read.push_back(seconds_since(start) * 1e3);
      }
      load_ms[type] = {bench::spread(mapped).median, bench::spread(read).median};
    }

    for (int threads : thread_counts) {
      set_torch_threads(threads);
      std::map<gguf::TensorType, std::unique_ptr<infer::Session>> sessions;
      for (auto type : types) {
        infer::SessionOptions options;
        options.threads = threads;
        sessions[type] = std::make_unique<infer::Session>(models.at(type), options);
      }
      if (sessions.count(gguf::TensorType::f32))
        std::printf("%s, %d threads: F32 logits of the prompt, ours vs libtorch: max diff %.2e\n",
                    name.c_str(), threads,
                    max_logit_diff(*sessions[gguf::TensorType::f32], reference, work.prompt));
      std::map<gguf::TensorType, std::unique_ptr<ReadRate>> buffers;
      for (auto type : types)
        buffers[type] = std::make_unique<ReadRate>(size_t(weight_bytes_per_token(models.at(type))));
      std::map<gguf::TensorType, Row> rows;
      std::vector<double> torch_prompt, torch_gen;
      for (int r = 0; r < rounds; ++r) {
        Speeds ref;
        std::map<gguf::TensorType, Speeds> mine;
        if (bench::ours_first(r)) {
          for (auto type : types)
            mine[type] = ours(*sessions[type], work);
          ref = torch_speeds(reference, work);
        } else {
          ref = torch_speeds(reference, work);
          for (auto type : types)
            mine[type] = ours(*sessions[type], work);
        }
        torch_prompt.push_back(ref.prompt);
        torch_gen.push_back(ref.gen);
        const double big_now = big.measure(threads, 0.2);
        for (auto type : types) {
          Row& row = rows[type];
          const double bytes = double(weight_bytes_per_token(models.at(type)));
          row.prompt.push_back(mine[type].prompt);
          row.gen.push_back(mine[type].gen);
          row.prompt_ratio.push_back(mine[type].prompt / ref.prompt);
          row.gen_ratio.push_back(mine[type].gen / ref.gen);
          row.bound_small.push_back(mine[type].gen /
                                    (buffers[type]->measure(threads, 0.1) / bytes));
          row.bound_big.push_back(mine[type].gen / (big_now / bytes));
        }
      }
      const double flops = prompt_flops(*config, work.prompt.size());
      char line[512];
      const double tp = bench::spread(torch_prompt).median, tg = bench::spread(torch_gen).median;
      std::snprintf(line, sizeof line,
                    "| %s | libtorch F32 | %d | %.1f | | %.0f | 1x | %.1f%% | %.0f | 1x | |",
                    name.c_str(), threads, double(fs::file_size(f32_path)) / (1 << 20), tp,
                    100.0 * tp * flops / double(work.prompt.size()) / peak[threads], tg);
      table.push_back(line);
      for (auto type : types) {
        const Row& row = rows[type];
        const double p = bench::spread(row.prompt).median, g = bench::spread(row.gen).median;
        std::snprintf(
            line, sizeof line,
            "| %s | %s | %d | %.1f | %.1f / %.1f | %.0f | %s | %.1f%% | %.0f | %s | %.0f%% / "
            "%.0f%% |",
            name.c_str(), gguf::to_string(type), threads,
            double(fs::file_size(files[type])) / (1 << 20), load_ms[type].first,
            load_ms[type].second, p, bench::format_ratio(bench::spread(row.prompt_ratio)).c_str(),
            100.0 * p * flops / double(work.prompt.size()) / peak[threads], g,
            bench::format_ratio(bench::spread(row.gen_ratio)).c_str(),
            100.0 * bench::spread(row.bound_small).median,
            100.0 * bench::spread(row.bound_big).median);
        table.push_back(line);
      }
      std::fflush(stdout);
    }
  }
  std::printf(
      "\nprompt: %d tokens (or the context); generation: %d tokens after 8. load: Model::load "
      "mapped / read whole, ms. %% of bound: generation tok/s against (read rate / bytes of "
      "weights per token), the read rate of a buffer the size of the weights / of %d MiB.\n\n",
      prompt_tokens, gen_tokens, big_mib);
  std::printf(
      "| preset | type | threads | file MiB | load ms | prompt tok/s | x libtorch | %% of matmul "
      "peak | gen tok/s | x libtorch | %% of bandwidth bound |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (const auto& line : table)
    std::printf("%s\n", line.c_str());
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
