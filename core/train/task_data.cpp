#include "train/task_data.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "base/random.h"
#include "text/prompt_template.h"

namespace tinyllm::train {

namespace {

class MemoryExamples : public ExampleSource {
 public:
  MemoryExamples(std::vector<TokenExample> examples, std::string description)
      : examples_(std::move(examples)), description_(std::move(description)) {}
  size_t size() const override { return examples_.size(); }
  Status read(size_t index, uint64_t, TokenExample& out) override {
    if (index >= examples_.size())
      return make_error(description_, "no example " + std::to_string(index));
    out = examples_[index];
    return {};
  }
  std::string describe() const override { return description_; }

 private:
  std::vector<TokenExample> examples_;
  std::string description_;
};

}  // namespace

std::shared_ptr<ExampleSource> memory_examples(std::vector<TokenExample> examples,
                                               std::string description) {
  return std::make_shared<MemoryExamples>(std::move(examples), std::move(description));
}

void build_batch(const std::vector<TokenExample>& examples, torch::Tensor& x, torch::Tensor& y) {
  size_t longest = 2;
  for (const auto& e : examples)
    longest = std::max(longest, e.prompt.size() + e.response.size());
  const int64_t rows = int64_t(examples.size()), T = int64_t(longest) - 1;
  x = torch::zeros({rows, T}, torch::kInt64);
  y = torch::full({rows, T}, -1, torch::kInt64);
  auto xa = x.accessor<int64_t, 2>();
  auto ya = y.accessor<int64_t, 2>();
  for (int64_t r = 0; r < rows; ++r) {
    const auto& e = examples[size_t(r)];
    std::vector<int32_t> all(e.prompt);
    all.insert(all.end(), e.response.begin(), e.response.end());
    for (size_t t = 0; t + 1 < all.size(); ++t) {
      xa[r][int64_t(t)] = all[t];
      // Target t is token t + 1: a response token when t + 1 >= prompt length.
      if (t + 1 >= e.prompt.size()) ya[r][int64_t(t)] = all[t + 1];
    }
  }
}

ExamplePick ExampleOrder::pick(uint64_t sequence) {
  const uint64_t epoch = sequence / count_;
  if (epoch != epoch_) {
    // The epoch's order: its examples sorted by a hash of (seed, epoch, index).
    std::vector<std::pair<uint64_t, uint32_t>> keys(count_);
    for (size_t i = 0; i < count_; ++i)
      keys[i] = {splitmix64(seed_ ^ splitmix64(epoch * 0x1000003ULL + i)), uint32_t(i)};
    std::sort(keys.begin(), keys.end());
    order_.resize(count_);
    for (size_t i = 0; i < count_; ++i)
      order_[i] = keys[i].second;
    epoch_ = epoch;
  }
  ExamplePick pick;
  pick.index = order_[sequence % count_];
  pick.draw = augment_ ? (splitmix64(seed_ + sequence) | 1) : 0;
  return pick;
}

AnswerTrie::AnswerTrie(const std::vector<std::vector<int32_t>>& answers) {
  std::map<std::pair<int32_t, int32_t>, int32_t> child;  // (parent, token) -> node
  for (const auto& answer : answers) {
    std::vector<int32_t> path;
    int32_t parent = -1;
    for (size_t d = 0; d < answer.size(); ++d) {
      auto [it, fresh] = child.emplace(std::make_pair(parent, answer[d]), int32_t(token_.size()));
      if (fresh) {
        token_.push_back(answer[d]);
        parent_.push_back(parent);
        depth_.push_back(int32_t(d));
      }
      path.push_back(it->second);
      parent = it->second;
    }
    answer_nodes_.push_back(std::move(path));
  }
}

torch::Tensor AnswerTrie::score(const Gpt2& model, const std::vector<std::vector<int32_t>>& prompts,
                                int batch) const {
  torch::NoGradGuard no_grad;
  const int64_t N = int64_t(nodes());
  auto out = torch::zeros({int64_t(prompts.size()), int64_t(answers())}, torch::kFloat64);
  for (size_t first = 0; first < prompts.size(); first += size_t(batch)) {
    const size_t last = std::min(prompts.size(), first + size_t(batch));
    const int64_t B = int64_t(last - first);
    int64_t longest = 0;
    for (size_t i = first; i < last; ++i)
      longest = std::max(longest, int64_t(prompts[i].size()));
    // Row layout: prompt left-padded to `longest` (pads attend only to themselves), then the
    // trie's nodes.
    const int64_t T = longest + N;
    auto idx = torch::zeros({B, T}, torch::kInt64);
    auto pos = torch::zeros({B, T}, torch::kInt64);
    auto bias = torch::full({B, T, T}, -INFINITY, torch::kFloat32);
    auto ia = idx.accessor<int64_t, 2>();
    auto pa = pos.accessor<int64_t, 2>();
    auto ba = bias.accessor<float, 3>();
    for (int64_t b = 0; b < B; ++b) {
      const auto& p = prompts[first + size_t(b)];
      const int64_t L = int64_t(p.size()), pad = longest - L;
      for (int64_t t = 0; t < pad; ++t)
        ba[b][t][t] = 0;
      for (int64_t t = 0; t < L; ++t) {
        ia[b][pad + t] = p[size_t(t)];
        pa[b][pad + t] = t;
        for (int64_t u = 0; u <= t; ++u)
          ba[b][pad + t][pad + u] = 0;
      }
      for (int64_t n = 0; n < N; ++n) {
        const int64_t row = longest + n;
        ia[b][row] = token_[size_t(n)];
        pa[b][row] = L + depth_[size_t(n)];
        for (int64_t u = 0; u < L; ++u)
          ba[b][row][pad + u] = 0;
        for (int32_t a = int32_t(n); a >= 0; a = parent_[size_t(a)])
          ba[b][row][longest + a] = 0;
      }
    }
    const auto device = model.device();
    auto logits = model.forward(idx.to(device), pos.to(device), bias.to(device));
    auto logp = torch::log_softmax(logits.to(torch::kFloat32), -1).to(torch::kCPU);
    auto la = logp.accessor<float, 3>();
    for (int64_t b = 0; b < B; ++b)
      for (size_t a = 0; a < answers(); ++a) {
        double sum = 0;
        for (int32_t n : answer_nodes_[a]) {
          // Node n's token is predicted at its parent's row, or at the prompt's last token.
          const int32_t parent = parent_[size_t(n)];
          const int64_t row = parent < 0 ? longest - 1 : longest + parent;
          sum += la[b][row][token_[size_t(n)]];
        }
        out[int64_t(first) + b][int64_t(a)] = sum;
      }
  }
  return out;
}

namespace {

// Greedy decoding of each prompt's answer, `batch` prompts at a time: `extend` appends the next
// token to an answer from its row of logits (or marks it complete), until every answer is
// complete, has `max_tokens` tokens or fills the context.
template <typename Extend>
std::vector<DecodedAnswer> decode_greedily(const Gpt2& model,
                                           const std::vector<std::vector<int32_t>>& prompts,
                                           int max_tokens, int batch, const Extend& extend) {
  torch::NoGradGuard no_grad;
  std::vector<DecodedAnswer> out(prompts.size());
  const int64_t n_ctx = model.config().n_ctx;
  for (size_t first = 0; first < prompts.size(); first += size_t(batch)) {
    const size_t last = std::min(prompts.size(), first + size_t(batch));
    for (int step = 0; step < max_tokens; ++step) {
      // The rows still decoding, each as prompt + answer so far, right-padded: causal attention
      // keeps the padding out of every real position.
      std::vector<size_t> active;
      int64_t longest = 0;
      for (size_t i = first; i < last; ++i) {
        const int64_t length = int64_t(prompts[i].size() + out[i].ids.size());
        if (out[i].complete || length >= n_ctx) continue;
        active.push_back(i);
        longest = std::max(longest, length);
      }
      if (active.empty()) break;
      auto idx = torch::zeros({int64_t(active.size()), longest}, torch::kInt64);
      auto ia = idx.accessor<int64_t, 2>();
      for (size_t r = 0; r < active.size(); ++r) {
        int64_t t = 0;
        for (int32_t id : prompts[active[r]])
          ia[int64_t(r)][t++] = id;
        for (int32_t id : out[active[r]].ids)
          ia[int64_t(r)][t++] = id;
      }
      const auto logits = model.forward(idx.to(model.device())).to(torch::kCPU, torch::kFloat32);
      for (size_t r = 0; r < active.size(); ++r) {
        DecodedAnswer& answer = out[active[r]];
        const int64_t at = int64_t(prompts[active[r]].size() + answer.ids.size()) - 1;
        const auto row = logits[int64_t(r)][at].contiguous();
        extend(row.data_ptr<float>(), answer);
      }
    }
  }
  return out;
}

}  // namespace

std::vector<DecodedAnswer> decode_with_form(const Gpt2& model,
                                            const std::vector<std::vector<int32_t>>& prompts,
                                            const std::vector<std::string>& token_texts,
                                            const text::AnswerForm& form, int max_tokens,
                                            int batch) {
  return decode_greedily(
      model, prompts, max_tokens, batch, [&](const float* l, DecodedAnswer& answer) {
        // Candidates best first; the first viable one wins (usually within a
        // few).
        std::vector<int32_t> order(token_texts.size());
        for (size_t v = 0; v < order.size(); ++v)
          order[v] = int32_t(v);
        std::sort(order.begin(), order.end(), [l](int32_t a, int32_t b) { return l[a] > l[b]; });
        for (int32_t v : order) {
          const std::string& piece = token_texts[size_t(v)];
          if (piece.empty()) continue;
          const std::string text = answer.text + piece;
          if (!form.viable(text)) continue;
          answer.text = text;
          answer.ids.push_back(v);
          answer.complete = form.complete(text);
          break;
        }
      });
}

std::vector<DecodedAnswer> decode_free(const Gpt2& model,
                                       const std::vector<std::vector<int32_t>>& prompts,
                                       const std::vector<std::string>& token_texts, int max_tokens,
                                       int batch) {
  const int vocab = int(token_texts.size());
  return decode_greedily(
      model, prompts, max_tokens, batch, [&](const float* l, DecodedAnswer& answer) {
        const int32_t v = int32_t(std::max_element(l, l + vocab) - l);
        answer.ids.push_back(v);
        const std::string& piece = token_texts[size_t(v)];
        // A control token (the tokenizer's end of sequence) ends it too.
        if (piece.empty()) {
          answer.complete = true;
          return;
        }
        answer.text += piece;
        answer.complete = answer.text.find(prompt::kEndMarker) != std::string::npos;
      });
}

}  // namespace tinyllm::train
