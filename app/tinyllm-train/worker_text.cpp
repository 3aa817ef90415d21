#include "worker_text.h"

#include "text/readable.h"
#include "text/tokenizer.h"

namespace tinyllm::worker {

Result<train::TextCodec> load_codec(const std::filesystem::path& path) {
  if (path.empty()) return make_error("tokenizer", "no tokenizer model given");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return make_error(path.string(), "no tokenizer model here");
  TINYLLM_TRY_ASSIGN(tok, text::load_checked_tokenizer(path));
  train::TextCodec codec;
  codec.encode = [tok](const std::string& s) { return tok.encode(s); };
  codec.decode = [tok](const std::vector<int32_t>& ids) -> std::optional<std::string> {
    auto text = tok.decode(ids);
    if (!text) return std::nullopt;
    return *text;
  };
  codec.readable = [tok](const std::vector<int32_t>& ids) {
    return text::readable_sample(tok, ids);
  };
  // Documents in the shards start with the separator (EOS); a sample starts where they do.
  codec.start_id = tok.eos_id() >= 0 ? tok.eos_id() : (tok.bos_id() >= 0 ? tok.bos_id() : 0);
  return codec;
}

}  // namespace tinyllm::worker
