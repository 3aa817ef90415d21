/* The runtime's C API: for a user's own program on the device (C or C++). Every call but
 * tinyllm_free and tinyllm_last_error returns 0 on success and -1 on failure; the failure's
 * message is then tinyllm_last_error(model) until the next call on that model. There is no
 * global state: errors live in the handle, so tinyllm_load always returns one (NULL only when
 * memory runs out), and a handle whose load failed is freed like any other.
 *
 *   tinyllm_model* m = tinyllm_load("model-q8_0.gguf", 0);
 *   if (tinyllm_load_failed(m)) { puts(tinyllm_last_error(m)); }
 *   char label[64]; float scores[16];
 *   tinyllm_classify(m, prompt, label, sizeof label, scores, 16);
 *   tinyllm_free(m);
 */
#ifndef TINYLLM_INFER_TINYLLM_H
#define TINYLLM_INFER_TINYLLM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tinyllm_model tinyllm_model;

/* Loads a GGUF file exported by the workbench; threads <= 0 uses all cores. */
tinyllm_model* tinyllm_load(const char* path, int threads);
/* 1 when the load failed (the handle then only answers tinyllm_last_error and tinyllm_free). */
int tinyllm_load_failed(const tinyllm_model* model);

/* Number of answers of the model's task (0 when it has none), and answer i's text. */
int tinyllm_answer_count(const tinyllm_model* model);
const char* tinyllm_answer(const tinyllm_model* model, int index);

/* Scores every answer after `prompt` (a whole prompt) and writes the best one's text into
 * label (NUL-terminated, truncated to label_size) and up to n_scores log-probabilities, in
 * answer order, into scores (may be NULL). Returns the best answer's index, or -1. */
int tinyllm_classify(tinyllm_model* model, const char* prompt, char* label, size_t label_size,
                     float* scores, size_t n_scores);

/* Generates after `prompt` until the end marker or max_tokens; temperature <= 0 is greedy.
 * Writes the text (NUL-terminated, truncated to out_size). Returns the number of tokens made,
 * or -1. */
int tinyllm_generate(tinyllm_model* model, const char* prompt, int max_tokens, float temperature,
                     int top_k, float top_p, uint64_t seed, char* out, size_t out_size);

/* The last failure's message on this model ("" when none). Valid until the next call. */
const char* tinyllm_last_error(const tinyllm_model* model);

void tinyllm_free(tinyllm_model* model);

#ifdef __cplusplus
}
#endif

#endif /* TINYLLM_INFER_TINYLLM_H */
