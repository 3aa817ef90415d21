// The training loop: one Trainer per run_training() call, its policy in small named methods.
#include <ATen/autocast_mode.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "base/files.h"
#include "base/random.h"
#include "model/config_json.h"
#include "pipeline/worker_events.h"
#include "train/checkpoint.h"
#include "train/gpt2.h"
#include "train/optimizer.h"
#include "train/sample.h"
#include "train/task_data.h"
#include "train/train.h"

namespace tinyllm::train {
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// Assumed model-FLOP utilization for the time estimate printed before the first step.
constexpr double kAssumedMfu = 0.3;
// The spike guard starts once it has seen this many good steps.
constexpr int64_t kSpikeWarmup = 10;
// A position answer ("x=12.5 y=-3.25" and the end marker) is far shorter than this many tokens.
constexpr int kMaxPositionTokens = 32;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// bf16 autocast around forward passes on CUDA; a no-op elsewhere.
class AutocastScope {
 public:
  explicit AutocastScope(bool on) : on_(on) {
    if (on_) at::autocast::set_enabled(true);
  }
  ~AutocastScope() {
    if (on_) {
      at::autocast::clear_cache();
      at::autocast::set_enabled(false);
    }
  }

 private:
  bool on_;
};

class Trainer {
 public:
  Trainer(TrainConfig cfg, const DataSplit& data, const TaskData* task, const EventSink& sink,
          const std::atomic<bool>* stop, const TextCodec* codec, TrainHooks hooks,
          const std::atomic<bool>* pause)
      : cfg_(std::move(cfg)),
        data_(data),
        task_(task),
        sink_(sink),
        stop_(stop),
        pause_(pause),
        codec_(codec),
        hooks_(std::move(hooks)) {}

  Result<TrainOutcome> run(const Rendezvous& rendezvous);

 private:
  void emit(json event) {
    if (rank_ != 0 || !sink_) return;
    event["t"] = std::round(seconds_since(start_) * 1000.0) / 1000.0;
    sink_(event);
  }
  Status setup(const Rendezvous& rendezvous);
  Status fill_batch(SequenceSampler& sampler, uint64_t first_sequence, torch::Tensor& x,
                    torch::Tensor& y);
  Status fill_task_batch(uint64_t first_sequence, torch::Tensor& x, torch::Tensor& y);
  Status setup_task();
  Result<double> evaluate_task();
  double area_diagonal() const;
  Result<double> train_step(bool& stop_requested);
  Result<double> evaluate();
  Result<bool> pause_requested();
  Result<double> wait_while_paused(bool& stop_requested);
  void sample();
  Status save(bool step_checkpoint, bool best);
  json start_event() const;

  TrainConfig cfg_;
  DataSplit data_;
  const TaskData* task_;  // set when fine-tuning
  std::optional<AnswerTrie> answers_;
  std::optional<ExampleOrder> example_order_;
  int64_t val_unparseable_ = 0;    // position tasks: validation answers not of the form
  int64_t batch_tokens_seen_ = 0;  // fine-tuning: real (unpadded) tokens of the last step
  const EventSink& sink_;
  const std::atomic<bool>* stop_;
  const std::atomic<bool>* pause_;
  const TextCodec* codec_;
  TrainHooks hooks_;
  Clock::time_point start_ = Clock::now();

  int rank_ = 0, world_ = 1;
  std::unique_ptr<Collective> collective_;
  torch::Device device_ = torch::kCPU;
  bool autocast_ = false;
  int64_t grad_accum_ = 1;
  int64_t step_tokens_ = 0;     // tokens per optimizer step, all processes
  int64_t step_sequences_ = 0;  // sequences per optimizer step, all processes
  double peak_flops_ = 0;
  fs::path out_dir_;
  std::optional<Gpt2> model_;
  std::optional<AdamW> optimizer_;
  std::optional<SequenceSampler> train_sampler_, val_sampler_;
  TrainState state_;
  fs::path last_checkpoint_;
  std::string resumed_from_;
  double last_grad_norm_ = 0;
};

Status Trainer::setup(const Rendezvous& rendezvous) {
  rank_ = rendezvous.rank;
  world_ = rendezvous.world_size;
  const int threads =
      cfg_.threads > 0 ? cfg_.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  cfg_.threads = threads;
  device_ = torch::Device(resolve_device(cfg_.device));
  if (device_.is_cuda()) {
    const int gpus = int(torch::cuda::device_count());
    if (rendezvous.local_rank >= gpus)
      return make_error("local_rank", "GPU " + std::to_string(rendezvous.local_rank) +
                                          " asked for, but this host has " + std::to_string(gpus));
    device_ = torch::Device(torch::kCUDA,
                            rendezvous.local_rank >= 0 ? rendezvous.local_rank : rank_ % gpus);
  }
  if (cfg_.precision == "fp16")
    return make_error("precision", "fp16 needs loss scaling, which is not implemented; use bf16");
  if (cfg_.precision == "bf16" && !device_.is_cuda())
    return make_error("precision", "bf16 autocast is for CUDA; the CPU trains in fp32");
  autocast_ = device_.is_cuda() && cfg_.precision != "fp32";
  if (autocast_) at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
  cfg_.precision = autocast_ ? "bf16" : "fp32";

  if (task_) {
    TINYLLM_TRY(setup_task());
  } else {
    // The data decides the vocabulary.
    if (!data_.train || !data_.val) return make_error("data", "no training or validation tokens");
    if (int v = data_.train->vocab_size(); v > 0) cfg_.model.n_vocab = v;
  }
  TINYLLM_TRY(model::validate(cfg_.model));
  const int64_t micro_tokens = int64_t(cfg_.batch_size) * cfg_.seq_len * world_;
  if (task_) cfg_.batch_tokens = micro_tokens;  // a step is batch_size examples
  if (cfg_.batch_tokens == 0) cfg_.batch_tokens = micro_tokens;
  if (cfg_.batch_tokens % micro_tokens != 0)
    return make_error("batch_tokens", std::to_string(cfg_.batch_tokens) +
                                          " is not a multiple of batch_size * seq_len * processes"
                                          " = " +
                                          std::to_string(micro_tokens));
  grad_accum_ = cfg_.batch_tokens / micro_tokens;
  step_tokens_ = cfg_.batch_tokens;
  step_sequences_ = step_tokens_ / cfg_.seq_len;

  if (!task_) {
    TINYLLM_TRY_ASSIGN(train_sampler,
                       SequenceSampler::create(data_.train, cfg_.seq_len, cfg_.seed, true));
    train_sampler_ = std::move(train_sampler);
    TINYLLM_TRY_ASSIGN(val_sampler,
                       SequenceSampler::create(data_.val, cfg_.seq_len, cfg_.seed, false));
    val_sampler_ = std::move(val_sampler);
  }

  if (world_ > 1) {
    TINYLLM_TRY_ASSIGN(collective, Collective::connect(rendezvous, device_));
    collective_ = std::move(collective);
  }
  TINYLLM_TRY_ASSIGN(model, Gpt2::create(cfg_.model, device_, cfg_.seed));
  model_.emplace(std::move(model));
  state_.seed = cfg_.seed;
  // LoRA freezes the starting weights, so a resumed LoRA run loads them again (and checks they
  // are the same) before its adapters; full fine-tuning starts from them only when fresh.
  const bool lora = task_ && cfg_.lora_rank > 0;
  std::string base_sha;
  if (task_ && !cfg_.init_from.empty() && (!cfg_.resume || lora)) {
    TINYLLM_TRY(load_checkpoint(cfg_.init_from, *model_, nullptr));
    if (lora) {
      TINYLLM_TRY_ASSIGN(sha, sha256_file(fs::path(cfg_.init_from) / "model.safetensors"));
      base_sha = sha;
    }
  }
  if (lora) {
    TINYLLM_TRY(model_->add_lora(
        {cfg_.lora_rank, cfg_.lora_alpha, cfg_.lora_dropout, cfg_.lora_targets}, cfg_.seed));
    state_.base_sha256 = base_sha;
  }
  optimizer_.emplace(model_->trainable_params(), model_->trainable_decay_count(),
                     AdamWSettings{cfg_.beta1, cfg_.beta2, cfg_.adam_eps, cfg_.weight_decay});

  out_dir_ = cfg_.out_dir;
  if (cfg_.resume) {
    TINYLLM_TRY_ASSIGN(dir, latest_checkpoint(out_dir_));
    TINYLLM_TRY_ASSIGN(info, read_checkpoint_info(dir));
    if (!(info.model == cfg_.model))
      return make_error(dir.string(), "the checkpoint's model (" +
                                          model::to_json(info.model).dump() +
                                          ") differs from this run's (" +
                                          model::to_json(cfg_.model).dump() + ")");
    if (lora && info.state.base_sha256 != base_sha)
      return make_error(cfg_.init_from,
                        "the LoRA run in " + out_dir_.string() +
                            " adapted other weights than this checkpoint holds now (it was "
                            "retrained or replaced): start a new fine-tuning run");
    TINYLLM_TRY(load_checkpoint(dir, *model_, &*optimizer_));
    state_ = info.state;
    resumed_from_ = dir.string();
    last_checkpoint_ = dir;
  }
  peak_flops_ = cfg_.peak_flops > 0 ? cfg_.peak_flops : measure_matmul_flops(device_);
  return {};
}

json Trainer::start_event() const {
  const auto& m = cfg_.model;
  const auto mem = model::estimate_memory(m, cfg_.batch_size, cfg_.seq_len);
  const double flops_token = model::training_flops_per_token(m, cfg_.seq_len);
  const double est_tps = kAssumedMfu * peak_flops_ * world_ / flops_token;
  const int64_t tokens_left = (cfg_.steps - state_.step) * step_tokens_;
  return json{
      {events::kEvent, events::kStart},
      {"config", to_json(cfg_)},
      {"params", model::parameter_count(m)},
      {"params_text", model::format_count(model::parameter_count(m))},
      {"trainable_params", model_->has_lora() ? model_->lora_count() : model::parameter_count(m)},
      {"lora", model_->has_lora() ? json{{"rank", cfg_.lora_rank},
                                         {"alpha", cfg_.lora_alpha},
                                         {"dropout", cfg_.lora_dropout},
                                         {"targets", cfg_.lora_targets},
                                         {"adapted", model_->lora_parameters().size() / 2}}
                                  : json()},
      {"memory_bytes", mem.total()},
      {"memory",
       {{"weights", mem.weights},
        {"gradients", mem.gradients},
        {"optimizer", mem.optimizer},
        {"activations", mem.activations}}},
      {"flops_per_token", flops_token},
      {"train_tokens", task_ ? 0 : data_.train->size()},
      {"val_tokens", task_ ? 0 : data_.val->size()},
      {"data", task_ ? task_->train->describe() : data_.train->describe()},
      {"objective", cfg_.objective},
      {"train_examples", task_ ? task_->train->size() : 0},
      {"val_examples", task_ && task_->val ? task_->val->size() : 0},
      {"classes", task_ ? json(task_->classes) : json::array()},
      {"init_from", cfg_.init_from},
      {"grad_accum", grad_accum_},
      {"batch_tokens", step_tokens_},
      {"world_size", world_},
      {"device", device_.str()},
      {"precision", cfg_.precision},
      {"threads", cfg_.threads},
      {"peak_flops", peak_flops_},
      {"estimate",
       {{"tokens_per_s", est_tps},
        {"seconds", model::estimate_seconds(tokens_left, est_tps)},
        {"assumed_mfu", kAssumedMfu}}},
      {"step", state_.step},
      {"steps", cfg_.steps},
      {"resumed_from", resumed_from_},
      {"out_dir", out_dir_.string()}};
}

// Fine-tuning: the task decides the vocabulary, and a pre-trained checkpoint the model.
Status Trainer::setup_task() {
  if (!task_->train || task_->train->size() == 0)
    return make_error("examples", "no training examples");
  if (task_->is_position()) {
    if (task_->token_texts.size() != size_t(task_->vocab_size))
      return make_error("examples", "the position task has no token texts for its vocabulary");
    if (task_->val && task_->val_targets.size() != task_->val->size())
      return make_error("examples",
                        "the position task's validation targets do not match its "
                        "examples");
  } else if (task_->classes.empty() || task_->answers.size() != task_->classes.size()) {
    return make_error("examples", "the task has no answer set");
  }
  cfg_.model.n_vocab = task_->vocab_size;
  if (!cfg_.init_from.empty() && !cfg_.resume) {
    TINYLLM_TRY_ASSIGN(info, read_checkpoint_info(cfg_.init_from));
    if (info.model.n_vocab != task_->vocab_size)
      return make_error(cfg_.init_from,
                        "the checkpoint has a vocabulary of " + std::to_string(info.model.n_vocab) +
                            " tokens but the project's tokenizer has " +
                            std::to_string(task_->vocab_size) +
                            ": pre-train again with this tokenizer, or fine-tune from scratch");
    cfg_.model = info.model;
    cfg_.seq_len = std::min(cfg_.seq_len, cfg_.model.n_ctx);
    if (cfg_.seq_len <= 0) cfg_.seq_len = cfg_.model.n_ctx;
  }
  if (!task_->is_position()) answers_.emplace(task_->answers);
  example_order_.emplace(task_->train->size(), cfg_.seed, cfg_.augment);
  return {};
}

// Examples of sequences [first, first + batch_size) into x, y, padded to the longest; targets
// are -1 outside the responses.
Status Trainer::fill_task_batch(uint64_t first, torch::Tensor& x, torch::Tensor& y) {
  std::vector<TokenExample> batch(size_t(cfg_.batch_size));
  batch_tokens_seen_ = 0;
  for (int64_t row = 0; row < cfg_.batch_size; ++row) {
    const ExamplePick pick = example_order_->pick(first + uint64_t(row));
    TINYLLM_TRY(task_->train->read(pick.index, pick.draw, batch[size_t(row)]));
    const auto& e = batch[size_t(row)];
    const size_t length = e.prompt.size() + e.response.size();
    if (length > size_t(cfg_.model.n_ctx))
      return make_error(task_->train->describe(), "example " + std::to_string(pick.index + 1) +
                                                      " has " + std::to_string(length) +
                                                      " tokens, more than the context (" +
                                                      std::to_string(cfg_.model.n_ctx) + ")");
    batch_tokens_seen_ += int64_t(length);
  }
  build_batch(batch, x, y);
  x = x.to(device_);
  y = y.to(device_);
  return {};
}

// Fine-tuning's validation: the loss on the answers of every validation example, and the
// accuracy of the constrained prediction (the best-scoring answer). Sets state_.val_accuracy.
Result<double> Trainer::evaluate_task() {
  torch::NoGradGuard no_grad;
  if (!task_->val || task_->val->size() == 0) {
    state_.val_accuracy = -1;
    return 0.0;
  }
  double loss_sum = 0, error_sum = 0;
  int64_t loss_batches = 0;
  size_t correct = 0, unparseable = 0;
  const size_t n = task_->val->size();
  // With several processes each takes every world_-th batch, and the sums are shared after.
  const size_t stride = size_t(cfg_.batch_size) * size_t(world_);
  try {
    for (size_t first = size_t(rank_) * size_t(cfg_.batch_size); first < n; first += stride) {
      std::vector<TokenExample> batch;
      std::vector<std::vector<int32_t>> prompts;
      for (size_t i = first; i < std::min(n, first + size_t(cfg_.batch_size)); ++i) {
        TokenExample e;
        TINYLLM_TRY(task_->val->read(i, 0, e));
        prompts.push_back(e.prompt);
        batch.push_back(std::move(e));
      }
      torch::Tensor x, y;
      build_batch(batch, x, y);
      {
        AutocastScope autocast(autocast_);
        loss_sum += model_->loss(x.to(device_), y.to(device_)).item<double>();
      }
      ++loss_batches;
      if (task_->is_position()) {
        const auto decoded = decode_with_form(*model_, prompts, task_->token_texts, *task_->form,
                                              kMaxPositionTokens, cfg_.batch_size);
        for (size_t k = 0; k < decoded.size(); ++k) {
          const auto p = text::parse_position(decoded[k].text);
          if (!p || !decoded[k].complete) {
            ++unparseable;
            continue;
          }
          const auto& t = task_->val_targets[first + k];
          error_sum += std::hypot(p->x - t.x, p->y - t.y);
        }
        continue;
      }
      const auto scores = answers_->score(*model_, prompts, cfg_.batch_size);
      const auto best = scores.argmax(1);
      for (size_t k = 0; k < batch.size(); ++k)
        if (best[int64_t(k)].item<int64_t>() == batch[k].label) ++correct;
    }
    if (collective_) {
      auto sums = torch::tensor(
          {loss_sum, double(loss_batches), double(correct), error_sum, double(unparseable)},
          torch::TensorOptions().dtype(torch::kFloat64).device(device_));
      TINYLLM_TRY(collective_->allreduce_sum(sums));
      sums = sums.cpu();
      loss_sum = sums[0].item<double>();
      loss_batches = int64_t(std::llround(sums[1].item<double>()));
      correct = size_t(std::llround(sums[2].item<double>()));
      error_sum = sums[3].item<double>();
      unparseable = size_t(std::llround(sums[4].item<double>()));
    }
  } catch (const c10::Error& e) {
    return make_error("validation", e.what_without_backtrace());
  }
  if (task_->is_position()) {
    // An unparseable answer counts as far off as the validation area is wide, so that a model
    // cannot look better by answering less.
    state_.val_error = (error_sum + double(unparseable) * area_diagonal()) / double(n);
    val_unparseable_ = int64_t(unparseable);
    return loss_sum / double(std::max<int64_t>(1, loss_batches));
  }
  state_.val_accuracy = double(correct) / double(n);
  return loss_sum / double(std::max<int64_t>(1, loss_batches));
}

// The diagonal of the box around the validation positions: how wrong an unparseable answer is.
double Trainer::area_diagonal() const {
  if (task_->val_targets.empty()) return 0;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const auto& t : task_->val_targets) {
    x0 = std::min(x0, t.x), x1 = std::max(x1, t.x);
    y0 = std::min(y0, t.y), y1 = std::max(y1, t.y);
  }
  return std::hypot(x1 - x0, y1 - y0);
}

// Sequences [first, first + batch_size) of the sampler into x, y: (batch_size, seq_len) int64.
Status Trainer::fill_batch(SequenceSampler& sampler, uint64_t first, torch::Tensor& x,
                           torch::Tensor& y) {
  const int64_t T = cfg_.seq_len;
  auto buffer = torch::empty({cfg_.batch_size, T + 1}, torch::kInt64);
  int64_t* p = buffer.data_ptr<int64_t>();
  for (int64_t row = 0; row < cfg_.batch_size; ++row)
    TINYLLM_TRY(sampler.read(first + uint64_t(row), p + row * (T + 1)));
  x = buffer.narrow(1, 0, T).contiguous().to(device_);
  y = buffer.narrow(1, 1, T).contiguous().to(device_);
  return {};
}

// One optimizer step: grad_accum micro-batches, gradient averaging across processes, clipping,
// the NaN/spike guard, and the AdamW update. Returns the step's mean loss.
Result<double> Trainer::train_step(bool& stop_requested) {
  const double lr = lr_at(state_.step, {cfg_.lr, cfg_.min_lr_ratio, cfg_.warmup_steps, cfg_.steps});
  auto& grads = model_->trainable_grads();
  grads.zero_();
  // Adapter dropout masks from (seed, step) alone, so that a resumed run draws the same ones.
  if (model_->has_lora())
    model_->reseed_dropout(cfg_.seed ^ (uint64_t(state_.step + 1) * kSplitMixGamma));
  auto loss_sum = torch::zeros({}, torch::TensorOptions().device(device_));
  // This process's share of the step's sequences: rank r takes the r-th contiguous slice.
  const uint64_t first = uint64_t(state_.step) * uint64_t(step_sequences_) +
                         uint64_t(rank_) * uint64_t(step_sequences_ / world_);
  try {
    for (int64_t micro = 0; micro < grad_accum_; ++micro) {
      torch::Tensor x, y;
      const uint64_t micro_first = first + uint64_t(micro * cfg_.batch_size);
      if (task_)
        TINYLLM_TRY(fill_task_batch(micro_first, x, y));
      else
        TINYLLM_TRY(fill_batch(*train_sampler_, micro_first, x, y));
      torch::Tensor loss;
      {
        AutocastScope autocast(autocast_);
        loss = model_->loss(x, y) / double(grad_accum_);
      }
      loss.backward();
      loss_sum += loss.detach().to(torch::kFloat32);
    }
    // One allreduce carries the loss and everyone's stop request along with the gradients.
    const bool stop_here = stop_ && stop_->load();
    if (collective_) {
      TINYLLM_TRY(collective_->allreduce_sum(grads));
      grads.div_(double(world_));
      auto stats =
          torch::stack({loss_sum, torch::full({}, stop_here ? 1.0 : 0.0, loss_sum.options()),
                        torch::full({}, double(batch_tokens_seen_), loss_sum.options())});
      TINYLLM_TRY(collective_->allreduce_sum(stats));
      loss_sum = stats[0] / double(world_);
      stop_requested = stats[1].item<double>() > 0;
      batch_tokens_seen_ = int64_t(std::llround(stats[2].item<double>()));  // all processes
    } else {
      stop_requested = stop_here;
    }
  } catch (const c10::Error& e) {
    return make_error("step " + std::to_string(state_.step + 1), e.what_without_backtrace());
  }
  const double loss = loss_sum.item<double>();
  const double norm = clip_grad_norm(grads, cfg_.grad_clip);
  last_grad_norm_ = norm;

  const bool finite = std::isfinite(loss) && std::isfinite(norm);
  const bool spike = cfg_.spike_factor > 0 && state_.loss_mean_count >= kSpikeWarmup &&
                     loss > cfg_.spike_factor * state_.loss_mean;
  if (!finite || spike) {
    ++state_.bad_steps;
    emit({{events::kEvent, events::kSkip},
          {"step", state_.step + 1},
          {"loss", loss},
          {"grad_norm", norm},
          {"reason", finite ? "loss spike" : "non-finite loss or gradient"},
          {"bad_steps", state_.bad_steps}});
    if (state_.bad_steps >= cfg_.max_bad_steps)
      return make_error("step " + std::to_string(state_.step + 1),
                        "training diverged: " + std::to_string(state_.bad_steps) +
                            " steps in a row had a non-finite or spiking loss (last " +
                            std::to_string(loss) + "); lower lr (now " + std::to_string(cfg_.lr) +
                            ") or resume from the last checkpoint");
  } else {
    optimizer_->step(grads, lr);
    state_.bad_steps = 0;
    // Running mean for the first steps, then an exponential average of recent losses.
    ++state_.loss_mean_count;
    const double alpha =
        state_.loss_mean_count <= kSpikeWarmup ? 1.0 / double(state_.loss_mean_count) : 0.1;
    state_.loss_mean += alpha * (loss - state_.loss_mean);
  }
  state_.adam_steps = optimizer_->steps_taken();
  ++state_.step;
  state_.tokens_seen += task_ ? batch_tokens_seen_ : step_tokens_;
  return loss;
}

// Mean loss over eval_batches * batch_size validation sequences (the same ones every time),
// shared out over the processes.
Result<double> Trainer::evaluate() {
  if (task_) return evaluate_task();
  torch::NoGradGuard no_grad;
  const int64_t sequences = int64_t(cfg_.eval_batches) * cfg_.batch_size;
  auto sum = torch::zeros({2}, torch::TensorOptions().dtype(torch::kFloat64));
  try {
    for (int64_t first = int64_t(rank_) * cfg_.batch_size; first < sequences;
         first += int64_t(world_) * cfg_.batch_size) {
      torch::Tensor x, y;
      TINYLLM_TRY(fill_batch(*val_sampler_, uint64_t(first), x, y));
      AutocastScope autocast(autocast_);
      sum[0] += model_->loss(x, y).to(torch::kCPU, torch::kFloat64);
      sum[1] += 1.0;
    }
    if (collective_) {
      auto reduced = sum.to(device_, torch::kFloat32);
      TINYLLM_TRY(collective_->allreduce_sum(reduced));
      sum = reduced.to(torch::kCPU, torch::kFloat64);
    }
  } catch (const c10::Error& e) {
    return make_error("validation", e.what_without_backtrace());
  }
  return sum[0].item<double>() / std::max(1.0, sum[1].item<double>());
}

// Whether any process was asked to pause; with several processes they agree through an
// allreduce so that all of them pause at the same step boundary.
Result<bool> Trainer::pause_requested() {
  const bool here = pause_ && pause_->load();
  if (!collective_) return here;
  auto flag = torch::full({1}, here ? 1.0f : 0.0f, torch::TensorOptions().device(device_));
  try {
    TINYLLM_TRY(collective_->allreduce_sum(flag));
    return flag.item<float>() > 0;
  } catch (const c10::Error& e) {
    return make_error("pause at step " + std::to_string(state_.step), e.what_without_backtrace());
  }
}

// Waits at this step boundary until no process is paused any more (or one asks to stop); returns
// the seconds spent waiting. Sleeping, not spinning: a paused worker uses no CPU. With several
// processes each poll is a small allreduce, so no collective call waits long enough to time out.
Result<double> Trainer::wait_while_paused(bool& stop_requested) {
  constexpr auto kPoll = std::chrono::milliseconds(100);
  const auto t0 = Clock::now();
  emit({{events::kEvent, events::kPaused}, {"step", state_.step}, {"steps", cfg_.steps}});
  while (true) {
    std::this_thread::sleep_for(kPoll);
    const bool stop_here = stop_ && stop_->load();
    const bool pause_here = pause_ && pause_->load() && !stop_here;
    if (!collective_) {
      stop_requested = stop_here;
      if (!pause_here) break;
      continue;
    }
    auto flags = torch::tensor({pause_here ? 1.0f : 0.0f, stop_here ? 1.0f : 0.0f},
                               torch::TensorOptions().device(device_));
    try {
      TINYLLM_TRY(collective_->allreduce_sum(flags));
    } catch (const c10::Error& e) {
      return make_error("pause at step " + std::to_string(state_.step), e.what_without_backtrace());
    }
    const auto sums = flags.to(torch::kCPU);
    stop_requested = sums[1].item<float>() > 0;
    if (stop_requested || sums[0].item<float>() == 0) break;
  }
  const double waited = seconds_since(t0);
  emit({{events::kEvent, events::kResumed}, {"step", state_.step}, {"paused_s", waited}});
  return waited;
}

void Trainer::sample() {
  if (rank_ != 0) return;
  std::vector<int32_t> prompt;
  if (codec_ && codec_->encode && !cfg_.prompt.empty()) prompt = codec_->encode(cfg_.prompt);
  if (prompt.empty()) prompt.push_back(codec_ ? codec_->start_id : 0);
  SampleSettings s{cfg_.sample_tokens, cfg_.temperature, cfg_.top_k,
                   cfg_.seed + uint64_t(state_.step)};
  std::vector<int32_t> ids;
  try {
    ids = generate(*model_, prompt, s);
  } catch (const c10::Error& e) {
    emit({{events::kEvent, events::kWarning},
          {"message", std::string("sampling failed: ") + e.what_without_backtrace()}});
    return;
  }
  json event{{events::kEvent, events::kSample},
             {"step", state_.step},
             {"prompt", cfg_.prompt},
             {"tokens", ids}};
  if (codec_ && codec_->decode)
    if (auto text = codec_->decode(ids)) event["text"] = *text;
  if (codec_ && codec_->readable) event["readable"] = codec_->readable(ids);
  emit(event);
}

// Rank 0 writes; `step_checkpoint` makes a step-N folder (and moves latest.json), `best` the
// best/ folder.
Status Trainer::save(bool step_checkpoint, bool best) {
  if (rank_ != 0) return {};
  const json config = to_json(cfg_);
  auto write = [&](const fs::path& dir, bool with_optimizer, const char* kind) -> Status {
    const auto t0 = Clock::now();
    TINYLLM_TRY(write_checkpoint(dir, *model_, with_optimizer ? &*optimizer_ : nullptr, config,
                                 state_, hooks_.checkpoint_half_written));
    std::error_code ec;
    emit({{events::kEvent, events::kCheckpoint},
          {"kind", kind},
          {"step", state_.step},
          {"path", dir.string()},
          {"bytes", int64_t(fs::file_size(dir / "model.safetensors", ec))},
          {"seconds", seconds_since(t0)}});
    return {};
  };
  if (step_checkpoint) {
    const fs::path dir = out_dir_ / step_folder_name(state_.step);
    TINYLLM_TRY(write(dir, true, "step"));
    TINYLLM_TRY(write_latest(out_dir_, dir.filename().string(), state_.step));
    prune_checkpoints(out_dir_, cfg_.keep_last);
    last_checkpoint_ = dir;
  }
  if (best) TINYLLM_TRY(write(out_dir_ / "best", false, "best"));
  return {};
}

Result<TrainOutcome> Trainer::run(const Rendezvous& rendezvous) {
  TINYLLM_TRY(setup(rendezvous));
  emit(start_event());
  const auto loop_start = Clock::now();
  const int64_t first_step = state_.step;
  const double flops_per_step =
      model::training_flops_per_token(cfg_.model, cfg_.seq_len) * double(step_tokens_);
  TrainOutcome out;
  out.reason = events::kCompleted;
  double loss = 0;
  double paused_s = 0;  // time spent paused: not part of the speed or the time left
  while (state_.step < cfg_.steps) {
    const auto t0 = Clock::now();
    bool stop_requested = false;
    TINYLLM_TRY_ASSIGN(step_loss, train_step(stop_requested));
    loss = step_loss;
    const double dt = seconds_since(t0);
    const bool last = state_.step == cfg_.steps;
    if (rank_ == 0 && (state_.step % std::max<int64_t>(1, cfg_.log_every) == 0 || last)) {
      const double mean_dt =
          (seconds_since(loop_start) - paused_s) / double(state_.step - first_step);
      emit({{events::kEvent, events::kStep},
            {"step", state_.step},
            {"steps", cfg_.steps},
            {"loss", loss},
            {"lr",
             lr_at(state_.step - 1, {cfg_.lr, cfg_.min_lr_ratio, cfg_.warmup_steps, cfg_.steps})},
            {"grad_norm", last_grad_norm_},
            {"tokens", state_.tokens_seen},
            {"tokens_per_s", double(task_ ? batch_tokens_seen_ : step_tokens_) / dt},
            {"mfu", (task_ ? flops_per_step * double(batch_tokens_seen_) / double(step_tokens_)
                           : flops_per_step) /
                        dt / (peak_flops_ * world_)},
            {"step_s", dt},
            {"eta_s", mean_dt * double(cfg_.steps - state_.step)}});
    }
    // Alone, a stop request counts as soon as this step is done; with several processes it
    // travels with the next step's allreduce so that all of them stop at the same step.
    if (!collective_ && stop_ && stop_->load()) stop_requested = true;
    bool early_stop = false, improved = false;
    // (No evaluation on a stop request: the resumed run evaluates where the full run would.)
    if (cfg_.eval_every > 0 && (state_.step % cfg_.eval_every == 0 || last)) {
      TINYLLM_TRY_ASSIGN(val, evaluate());
      state_.val_loss = val;
      if (task_ && task_->is_position()) {
        // The mean error in metres decides; the loss breaks ties.
        const double err = state_.val_error;
        improved = err < state_.best_val_error - cfg_.min_delta ||
                   (err <= state_.best_val_error && val < state_.best_val_loss);
        if (improved) state_.best_val_error = std::min(state_.best_val_error, err);
      } else if (task_) {
        // Accuracy decides; the loss breaks ties (it keeps improving after accuracy saturates).
        const double acc = state_.val_accuracy;
        improved = acc > state_.best_val_accuracy + cfg_.min_delta ||
                   (acc >= state_.best_val_accuracy && val < state_.best_val_loss);
        if (improved) state_.best_val_accuracy = std::max(state_.best_val_accuracy, acc);
      } else {
        improved = val < state_.best_val_loss - cfg_.min_delta;
      }
      if (improved) {
        state_.best_val_loss = std::min(state_.best_val_loss, val);
        state_.evals_since_best = 0;
      } else {
        ++state_.evals_since_best;
        early_stop = cfg_.patience > 0 && state_.evals_since_best >= cfg_.patience;
      }
      json event{{events::kEvent, events::kVal},
                 {"step", state_.step},
                 {"val_loss", val},
                 {"best_val_loss", state_.best_val_loss},
                 {"improved", improved}};
      if (task_ && task_->is_position()) {
        event["val_error_m"] = state_.val_error;
        event["best_val_error_m"] = state_.best_val_error;
        event["unparseable"] = val_unparseable_;
      } else if (task_) {
        event["val_accuracy"] = state_.val_accuracy;
        event["best_val_accuracy"] = state_.best_val_accuracy;
      }
      emit(event);
    }
    if (cfg_.sample_every > 0 && (state_.step % cfg_.sample_every == 0 || last)) sample();
    const bool ending = last || stop_requested || early_stop;
    const bool periodic = cfg_.checkpoint_every > 0 && state_.step % cfg_.checkpoint_every == 0;
    TINYLLM_TRY(save(periodic || ending, improved));
    if (stop_requested) {
      out.reason = events::kInterrupted;
      break;
    }
    if (early_stop) {
      out.reason = events::kEarlyStop;
      break;
    }
    if (state_.step < cfg_.steps) {
      TINYLLM_TRY_ASSIGN(pause_here, pause_requested());
      if (pause_here) {
        bool stop_while_paused = false;
        TINYLLM_TRY_ASSIGN(waited, wait_while_paused(stop_while_paused));
        paused_s += waited;
        if (stop_while_paused) {  // the checkpoint of this step boundary is written above
          if (!(periodic || ending)) TINYLLM_TRY(save(true, false));
          out.reason = events::kInterrupted;
          break;
        }
      }
    }
  }
  out.step = state_.step;
  out.loss = loss;
  out.val_loss = state_.val_loss;
  out.best_val_loss = state_.best_val_loss;
  out.best_val_accuracy = task_ ? state_.best_val_accuracy : -1;
  out.best_val_error = state_.best_val_error < 1e29 ? state_.best_val_error : -1;
  out.checkpoint = last_checkpoint_;
  emit({{events::kEvent, events::kDone},
        {"reason", out.reason},
        {"step", out.step},
        {"loss", out.loss},
        {"val_loss", out.val_loss},
        {"best_val_loss", out.best_val_loss < 1e29 ? json(out.best_val_loss) : json()},
        {"tokens", state_.tokens_seen},
        {"val_accuracy", task_ && !task_->is_position() ? json(state_.val_accuracy) : json()},
        {"best_val_accuracy",
         task_ && !task_->is_position() ? json(state_.best_val_accuracy) : json()},
        {"val_error_m", task_ && task_->is_position() ? json(state_.val_error) : json()},
        {"best_val_error_m", task_ && task_->is_position() && state_.best_val_error < 1e29
                                 ? json(state_.best_val_error)
                                 : json()},
        {"checkpoint", out.checkpoint.string()},
        {"elapsed_s", seconds_since(start_)}});
  return out;
}

}  // namespace

std::string resolve_device(const std::string& setting) {
  if (setting == "cuda" || (setting == "auto" && torch::cuda::is_available())) return "cuda";
  return "cpu";
}

Result<TrainOutcome> run_training(TrainConfig config, const DataSplit& data,
                                  const Rendezvous& rendezvous, const EventSink& sink,
                                  const std::atomic<bool>* stop, const TextCodec* codec,
                                  const TrainHooks& hooks, const std::atomic<bool>* pause) {
  Trainer trainer(std::move(config), data, nullptr, sink, stop, codec, hooks, pause);
  auto result = trainer.run(rendezvous);
  if (!result && sink && rendezvous.rank == 0)
    sink(json{{events::kEvent, events::kError},
              {"where", result.error().where},
              {"message", result.error().message}});
  return result;
}

Result<TrainOutcome> run_finetuning(TrainConfig config, const TaskData& task, const EventSink& sink,
                                    const std::atomic<bool>* stop, const TrainHooks& hooks,
                                    const std::atomic<bool>* pause, const Rendezvous& rendezvous) {
  config.objective = "finetune";
  Trainer trainer(std::move(config), DataSplit{}, &task, sink, stop, nullptr, hooks, pause);
  auto result = trainer.run(rendezvous);
  if (!result && sink && rendezvous.rank == 0)
    sink(json{{events::kEvent, events::kError},
              {"where", result.error().where},
              {"message", result.error().message}});
  return result;
}

}  // namespace tinyllm::train
