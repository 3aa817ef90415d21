// tinyllm-run's modes over one loaded Engine; each prints text or, with --json, one JSON object.
#pragma once

#include <string>

#include "infer/engine.h"

namespace tinyllm::run {

struct Options {
  std::string mode, model;
  bool json = false;
  int threads = 0;
  bool scalar = false;        // --kernels scalar
  std::string prompt, input;  // a whole prompt, or the input part filled into the template
  bool has_prompt = false, has_input = false;
  std::string file;         // eval: task_*.jsonl
  std::string predictions;  // eval: one JSON line per example written here
  size_t max_tokens = 64;
  infer::SamplerSettings sampling;
  size_t prompt_tokens = 0, gen_tokens = 0;  // bench; 0: defaults from the context
  int repeat = 3;
};

int run_info(infer::Engine& engine, const Options& o);
int run_generate(infer::Engine& engine, const Options& o);
int run_classify(infer::Engine& engine, const Options& o);
int run_eval(infer::Engine& engine, const Options& o);
int run_bench(infer::Engine& engine, const Options& o);

// Prints "tinyllm-run: <error>" to stderr and returns 1.
int fail(const Error& error);

}  // namespace tinyllm::run
