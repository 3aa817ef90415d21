// Import speed on the UJIIndoorLoc training file: our importer (sniff, parse, clean, statistics,
// SHA-256, store) against reading the raw bytes and against pandas.read_csv, in one run.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "builtin.h"
#include "data/import.h"

namespace fs = std::filesystem;
using namespace tinyllm;

namespace {

template <class F>
double best_of(int runs, F&& f) {
  double best = 1e300;
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path csv =
      argc > 1 ? fs::path(argv[1])
               : fs::path(TINYLLM_SHARED_DIR) / "datasets/ujiindoorloc/trainingData_every3rd.csv";
  if (!fs::exists(csv)) {
    std::fprintf(stderr, "bench_import: %s not found (pass a CSV)\n", csv.c_str());
    return 1;
  }
  const double mb = double(fs::file_size(csv)) / 1e6;
  data::PluginRegistry registry;
  plugins::register_builtin_plugins(registry);
  const fs::path store = fs::temp_directory_path() / "bench_import.tls";

  uint64_t rows = 0;
  double ours = best_of(3, [&] {
    data::ImportRequest request;
    request.inputs = {csv};
    auto r = data::import_to_store(registry, request, store);
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().to_string().c_str());
      std::exit(1);
    }
    rows = r->stats.rows;
  });
  double raw = best_of(3, [&] {
    std::FILE* f = std::fopen(csv.c_str(), "rb");
    static char buf[1 << 20];
    size_t n, lines = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
      for (size_t i = 0; i < n; ++i)
        lines += buf[i] == '\n';
    std::fclose(f);
    if (lines == 0) std::exit(1);
  });
  double pandas = -1;
  const std::string cmd =
      "python3 -c \"import pandas,time,sys; t=time.time(); pandas.read_csv(sys.argv[1]); "
      "print(time.time()-t)\" '" +
      csv.string() + "' 2>/dev/null";
  if (std::FILE* p = popen(cmd.c_str(), "r")) {
    double best = 1e300, t;
    for (int i = 0; i < 3; ++i) {
      if (i > 0) {
        pclose(p);
        p = popen(cmd.c_str(), "r");
      }
      if (p && std::fscanf(p, "%lf", &t) == 1) best = std::min(best, t);
    }
    if (p) pclose(p);
    if (best < 1e300) pandas = best;
  }
  fs::remove(store);

  std::printf("file: %s (%.1f MB, %llu rows imported)\n\n", csv.filename().c_str(), mb,
              static_cast<unsigned long long>(rows));
  std::printf("| what | seconds | MB/s | ratio to ours |\n|---|---:|---:|---:|\n");
  std::printf("| tinyllm import (parse, clean, stats, sha256, store) | %.3f | %.0f | 1.00 |\n",
              ours, mb / ours);
  std::printf("| raw read + line count (I/O floor) | %.3f | %.0f | %.2f |\n", raw, mb / raw,
              raw / ours);
  if (pandas > 0)
    std::printf("| pandas.read_csv (parse only) | %.3f | %.0f | %.2f |\n", pandas, mb / pandas,
                pandas / ours);
  else
    std::printf("| pandas.read_csv | n/a | | (./scripts/setup.sh --bench) |\n");
  return 0;
}
