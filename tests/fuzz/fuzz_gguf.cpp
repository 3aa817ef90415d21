// libFuzzer target for the GGUF reader: any bytes must give either a File or an Error that names a
// byte offset, never a crash, a hang or a huge allocation (ASan and UBSan watch). Seeds: the
// exports in a project's exports/ folder, or any .gguf file.
//   cmake -S tests/fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ && ninja -C build-fuzz
//   ./build-fuzz/fuzz_gguf -max_len=4096 CORPUS_DIR
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gguf/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = tinyllm::gguf::File::parse(std::string(reinterpret_cast<const char*>(data), size),
                                         "fuzz.gguf");
  if (!file.ok()) {
    if (file.error().to_string().rfind("fuzz.gguf @0x", 0) != 0) std::abort();  // no offset
    return 0;
  }
  for (const auto& t : file->tensors()) {
    auto values = file->dequantize(t);
    if (values.ok() && values->size() != t.elements()) std::abort();
  }
  return 0;
}
