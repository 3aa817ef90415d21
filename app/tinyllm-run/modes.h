// tinyllm-run's modes over one loaded Engine; each prints text or, with --json, one JSON object.
#pragma once

#include <string>

#include "infer/engine.h"

namespace tinyllm::run {

struct Options {
  std::string mode, model;
  bool json = false;
  int threads = 0;
  std::string kernels = "auto";  // --kernels: auto (the fastest) or a set's name
  std::string prompt, input;     // a whole prompt, or the input part filled into the template
  bool has_prompt = false, has_input = false;
  std::string file;         // eval: task_*.jsonl
  std::string predictions;  // eval: one JSON line per example written here
  size_t max_tokens = 64;
  infer::SamplerSettings sampling;
  size_t prompt_tokens = 0, gen_tokens = 0;  // bench; 0: defaults from the context
  int repeat = 3;
  double min_seconds = 0;  // bench: keep repeating until this much time has passed
  std::string csv;         // classify: raw readings (a file, or "-" for stdin)
  double threshold = 0;    // stream: below this confidence the shown label is "none"
  int smooth = 1;          // stream: majority over the last N windows
  bool echo = false;       // stream: pass the readings on to stdout, results to stderr
  bool show_prompt = false;
  bool progress = false;           // eval: a progress line on stderr every 25 examples
  size_t max_docs = 200;           // perplexity: at most this many documents
  int port = 0;                    // serve: 0 lets the system pick (printed on the first line)
  std::string bind = "127.0.0.1";  // serve: the address to listen on  // classify --json: include
                                   // the prompt (made from --csv readings)
};

// The JSON objects the modes print (and serve answers with).
std::string info_json(infer::Engine& engine, const std::string& model_path);
std::string classification_json(const infer::Engine& engine, const infer::Classification& c,
                                const std::string* prompt = nullptr);
std::string generation_json(const infer::Generation& g);

int run_info(infer::Engine& engine, const Options& o);
int run_generate(infer::Engine& engine, const Options& o);
int run_classify(infer::Engine& engine, const Options& o);
int run_eval(infer::Engine& engine, const Options& o);
int run_bench(infer::Engine& engine, const Options& o);
// JSON Lines requests (info, classify, generate) over a loopback TCP port, until killed.
int run_serve(infer::Engine& engine, const Options& o);
// Perplexity over documents (JSON Lines with "text", e.g. pretrain_val.jsonl).
int run_perplexity(infer::Engine& engine, const Options& o);
// Raw readings (CSV) -> the training text through the file's recipe -> classify.
int run_classify_csv(infer::Engine& engine, const Options& o);
// A stream of readings on stdin, classified every window stride as they come.
int run_stream(infer::Engine& engine, const Options& o);

// `kernels`: the kernel sets this binary has and this CPU runs, each checked against the scalar
// reference (infer/kernel_check.h); exit 1 when one fails. Needs no model.
int run_kernels(const Options& o, const char* arch);

// Prints "tinyllm-run: <error>" to stderr and returns 1.
int fail(const Error& error);

}  // namespace tinyllm::run
