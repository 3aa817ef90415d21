// tinyllm-run: the edge runtime's command line, the first user of tinyllm_infer. Plain C++17,
// no Qt, no libtorch, no JSON library, so it links static for the Raspberry Pi.
//
//   tinyllm-run info|generate|classify|eval|bench --model FILE.gguf [--json] [options]
//   tinyllm-run kernels [--json]
//   tinyllm-run --version [--json]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/version.h"
#include "infer/kernels.h"
#include "modes.h"

namespace tinyllm::run {
namespace {

// The arch this binary was compiled for, from the compiler's predefined macros: deploy compares
// it with the device's probe. armhf is 32-bit ARM with the hard-float calling convention.
#if defined(__x86_64__)
constexpr const char* kArch = "x86_64";
#elif defined(__aarch64__)
constexpr const char* kArch = "aarch64";
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
constexpr const char* kArch = "armhf";
#elif defined(__arm__)
constexpr const char* kArch = "armel";
#elif defined(__i386__)
constexpr const char* kArch = "i386";
#else
constexpr const char* kArch = "unknown";
#endif

// `--version [--json]`: one line, "tinyllm-run VERSION ARCH" or a JSON object.
int print_version(bool json) {
  if (json)
    std::printf("{\"name\":\"tinyllm-run\",\"version\":\"%s\",\"arch\":\"%s\"}\n",
                tinyllm::kWorkbenchVersion, kArch);
  else
    std::printf("tinyllm-run %s %s\n", tinyllm::kWorkbenchVersion, kArch);
  return 0;
}

const char* kUsage =
    R"(usage: tinyllm-run MODE --model FILE.gguf [--json] [options]
       tinyllm-run kernels [--json]
       tinyllm-run --version [--json]

modes:
  info       the model's shape, types, task and answers
  generate   text after a prompt, up to the end marker
  classify   the best answer of the task after a prompt, with every answer's score
  eval       accuracy and confusion matrix over a task_*.jsonl file (--file)
  bench      prompt and generation tokens/s, load time, peak memory
  stream     classify raw readings (CSV on stdin) every window stride, as they come
  perplexity the model's perplexity over documents (--file, JSON Lines with "text")
  serve      JSON Lines requests (info, classify, generate) on a loopback TCP port
  kernels    the kernel sets this CPU runs, each checked against the scalar reference (no model)

options:
  --json               one JSON object on stdout
  --threads N          worker threads (default: all cores)
  --kernels K          auto (default: the fastest this CPU runs), scalar (the portable reference
                       kernels), or a set that `tinyllm-run kernels` lists (avx2, neon, ...)
  --prompt TEXT        a whole prompt (default: read from stdin)
  --input TEXT         the input part only: the file's prompt template is filled in
  --csv F              classify: raw readings as CSV (a header, then a reading per line; "-" is
                       stdin): made into the training text by the file's recipe
  --file F             eval: the examples (JSON Lines with "prompt" and "label")
  --predictions F      eval: write one JSON line per example to F
  --progress           eval: a progress line on stderr every 25 examples
  --max-docs N         perplexity: at most N documents (default 200)
  --port N --bind A    serve: the port (0: any free one, printed first) and address (127.0.0.1)
  --max-tokens N       generate: at most N tokens (default 64)
  --temperature T      generate: 0 is greedy (default)
  --top-k K --top-p P --seed S   generate: sampling
  --prompt-tokens N --gen-tokens N --repeat N   bench (defaults: 128, 64, 3)
  --min-seconds S     bench: repeat past --repeat until S seconds have passed (default 0),
                      so that a small model's few-millisecond runs still give a steady best
  --threshold P        stream: below this confidence the label shown is "none" (default 0)
  --smooth N           stream: the label shown is the majority of the last N windows (default 1)
  --echo               stream: copy the readings to stdout, the labels go to stderr
)";

// "auto, scalar, avx2, ...": what --kernels accepts on this CPU.
std::string kernel_set_names() {
  std::string names = "auto";
  for (const infer::Kernels* set : infer::kernel_sets())
    names += std::string(", ") + set->name;
  return names;
}

Result<Options> parse(int argc, char** argv) {
  Options o;
  if (argc < 2) return make_error("", kUsage);
  o.mode = argv[1];
  if (o.mode == "--help" || o.mode == "-h") return make_error("", kUsage);
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> Result<std::string> {
      if (i + 1 >= argc) return make_error(arg, "needs a value");
      return std::string(argv[++i]);
    };
    auto number = [&](double lo, double hi) -> Result<double> {
      TINYLLM_TRY_ASSIGN(text, next());
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !(v >= lo && v <= hi))
        return make_error(arg, "'" + text + "' is not a number in [" + std::to_string(lo) + ", " +
                                   std::to_string(hi) + "]");
      return v;
    };
    if (arg == "--json") {
      o.json = true;
    } else if (arg == "--model") {
      TINYLLM_TRY_ASSIGN(v, next());
      o.model = v;
    } else if (arg == "--prompt") {
      TINYLLM_TRY_ASSIGN(v, next());
      o.prompt = v, o.has_prompt = true;
    } else if (arg == "--input") {
      TINYLLM_TRY_ASSIGN(v, next());
      o.input = v, o.has_input = true;
    } else if (arg == "--csv") {
      TINYLLM_TRY_ASSIGN(v, next());
      o.csv = v;
    } else if (arg == "--threshold") {
      TINYLLM_TRY_ASSIGN(v, number(0, 1));
      o.threshold = v;
    } else if (arg == "--smooth") {
      TINYLLM_TRY_ASSIGN(v, number(1, 100));
      o.smooth = int(v);
    } else if (arg == "--echo") {
      o.echo = true;
    } else if (arg == "--port") {
      TINYLLM_TRY_ASSIGN(v, number(0, 65535));
      o.port = int(v);
    } else if (arg == "--bind") {
      TINYLLM_TRY_ASSIGN(v, next());
      o.bind = v;
    } else if (arg == "--progress") {
      o.progress = true;
    } else if (arg == "--max-docs") {
      TINYLLM_TRY_ASSIGN(v, number(1, 1e9));
      o.max_docs = size_t(v);
    } else if (arg == "--file") {
      TINYLLM_TRY_ASSIGN(v, next());
      o.file = v;
    } else if (arg == "--predictions") {
      TINYLLM_TRY_ASSIGN(v, next());
      o.predictions = v;
    } else if (arg == "--kernels") {
      TINYLLM_TRY_ASSIGN(v, next());
      if (v != "auto" && !infer::kernels_named(v))
        return make_error(
            arg, "'" + v + "' is not a kernel set this CPU runs (" + kernel_set_names() + ")");
      o.kernels = v;
    } else if (arg == "--threads") {
      TINYLLM_TRY_ASSIGN(v, number(0, 1024));
      o.threads = int(v);
    } else if (arg == "--max-tokens") {
      TINYLLM_TRY_ASSIGN(v, number(0, 1 << 20));
      o.max_tokens = size_t(v);
    } else if (arg == "--temperature") {
      TINYLLM_TRY_ASSIGN(v, number(0, 100));
      o.sampling.temperature = float(v);
    } else if (arg == "--top-k") {
      TINYLLM_TRY_ASSIGN(v, number(0, 1 << 24));
      o.sampling.top_k = int(v);
    } else if (arg == "--top-p") {
      TINYLLM_TRY_ASSIGN(v, number(0, 1));
      o.sampling.top_p = float(v);
    } else if (arg == "--seed") {
      TINYLLM_TRY_ASSIGN(v, number(0, 9007199254740992.0));
      o.sampling.seed = uint64_t(v);
    } else if (arg == "--prompt-tokens") {
      TINYLLM_TRY_ASSIGN(v, number(1, 1 << 20));
      o.prompt_tokens = size_t(v);
    } else if (arg == "--gen-tokens") {
      TINYLLM_TRY_ASSIGN(v, number(1, 1 << 20));
      o.gen_tokens = size_t(v);
    } else if (arg == "--repeat") {
      TINYLLM_TRY_ASSIGN(v, number(1, 1000));
      o.repeat = int(v);
    } else if (arg == "--min-seconds") {
      TINYLLM_TRY_ASSIGN(v, number(0, 3600));
      o.min_seconds = v;
    } else {
      return make_error(arg, "unknown option (tinyllm-run --help lists them)");
    }
  }
  if (o.mode != "info" && o.mode != "generate" && o.mode != "classify" && o.mode != "eval" &&
      o.mode != "bench" && o.mode != "stream" && o.mode != "perplexity" && o.mode != "serve" &&
      o.mode != "kernels")
    return make_error(o.mode,
                      "unknown mode (info, generate, classify, eval, bench, stream, perplexity, "
                      "serve, kernels)");
  if (o.mode == "kernels") return o;
  if (o.model.empty()) return make_error(o.mode, "pass --model FILE.gguf");
  if (o.mode == "eval" && o.file.empty()) return make_error("eval", "pass --file task.jsonl");
  if (o.mode == "perplexity" && o.file.empty())
    return make_error("perplexity", "pass --file pretrain_val.jsonl");
  return o;
}

}  // namespace

int fail(const Error& error) {
  std::fprintf(stderr, "tinyllm-run: %s\n", error.to_string().c_str());
  return 1;
}

}  // namespace tinyllm::run

int main(int argc, char** argv) {
  using namespace tinyllm;
  if (argc >= 2 && std::strcmp(argv[1], "--version") == 0) {
    if (argc == 2) return run::print_version(false);
    if (argc == 3 && std::strcmp(argv[2], "--json") == 0) return run::print_version(true);
    std::fprintf(stderr, "tinyllm-run: --version takes only --json\n");
    return 2;
  }
  auto options = run::parse(argc, argv);
  if (!options) {
    if (options.error().where.empty()) {  // usage
      std::fputs(options.error().message.c_str(), stderr);
      return 2;
    }
    return run::fail(options.error());
  }
  if (options->mode == "kernels") return run::run_kernels(*options, run::kArch);
  infer::SessionOptions session;
  session.threads = options->threads;
  if (options->kernels != "auto") session.kernels = infer::kernels_named(options->kernels);
  auto engine = infer::Engine::load(options->model, session);
  if (!engine) return run::fail(engine.error());
  const std::string& mode = options->mode;
  if (mode == "info") return run::run_info(**engine, *options);
  if (mode == "generate") return run::run_generate(**engine, *options);
  if (mode == "classify" && !options->csv.empty()) return run::run_classify_csv(**engine, *options);
  if (mode == "classify") return run::run_classify(**engine, *options);
  if (mode == "stream") return run::run_stream(**engine, *options);
  if (mode == "perplexity") return run::run_perplexity(**engine, *options);
  if (mode == "serve") return run::run_serve(**engine, *options);
  if (mode == "eval") return run::run_eval(**engine, *options);
  return run::run_bench(**engine, *options);
}
