// Import speed on the UJIIndoorLoc training file: our importer (sniff, parse, clean, statistics,
// SHA-256, store) against reading the raw bytes and against pandas.read_csv, in one run, in
// alternating rounds (bench_stats.h).
//
//   bench_import [--rounds N] [CSV]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_stats.h"
#include "builtin.h"
#include "data/import.h"

namespace fs = std::filesystem;
using namespace tinyllm;

namespace {

double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// pandas.read_csv of the file, timed inside Python (start-up excluded); 0 when unavailable.
double pandas_seconds(const fs::path& csv) {
  const std::string cmd =
      "python3 -c \"import pandas,time,sys; t=time.time(); pandas.read_csv(sys.argv[1]); "
      "print(time.time()-t)\" '" +
      csv.string() + "' 2>/dev/null";
  std::FILE* p = popen(cmd.c_str(), "r");
  if (!p) return 0;
  double t = 0;
  if (std::fscanf(p, "%lf", &t) != 1) t = 0;
  pclose(p);
  return t;
}

// Reads the file and counts lines: the I/O floor.
double raw_read_seconds(const fs::path& csv) {
  const auto t0 = std::chrono::steady_clock::now();
  std::FILE* f = std::fopen(csv.c_str(), "rb");
  if (!f) std::exit(1);
  std::vector<char> buf(1 << 20);
  size_t n, lines = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0)
    for (size_t i = 0; i < n; ++i)
      lines += buf[i] == '\n';
  std::fclose(f);
  if (lines == 0) std::exit(1);
  return seconds(t0);
}

}  // namespace

int main(int argc, char** argv) {
  int rounds_arg = 0;
  fs::path csv = fs::path(TINYLLM_SHARED_DIR) / "datasets/ujiindoorloc/trainingData_every3rd.csv";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc)
      rounds_arg = std::atoi(argv[++i]);
    else
      csv = argv[i];
  }
  if (!fs::exists(csv)) {
    std::fprintf(stderr, "bench_import: %s not found (pass a CSV)\n", csv.c_str());
    return 1;
  }
  const int rounds = bench::rounds_setting(rounds_arg, 5);
  const double mb = double(fs::file_size(csv)) / 1e6;
  data::PluginRegistry registry;
  plugins::register_builtin_plugins(registry);
  const fs::path store = fs::temp_directory_path() / "bench_import.tls";

  uint64_t rows = 0;
  auto ours_seconds = [&] {
    const auto t0 = std::chrono::steady_clock::now();
    data::ImportRequest request;
    request.inputs = {csv};
    auto r = data::import_to_store(registry, request, store);
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().to_string().c_str());
      std::exit(1);
    }
    rows = r->stats.rows;
    return seconds(t0);
  };
  // Rounds alternate which side goes first; ratios are taken within a round.
  std::vector<double> ours, raw, pandas, raw_ratio, pandas_ratio;
  for (int r = 0; r < rounds; ++r) {
    double mine = 0, floor = 0, theirs = 0;
    if (bench::ours_first(r)) {
      mine = ours_seconds();
      floor = raw_read_seconds(csv);
      theirs = pandas_seconds(csv);
    } else {
      theirs = pandas_seconds(csv);
      floor = raw_read_seconds(csv);
      mine = ours_seconds();
    }
    ours.push_back(mine);
    raw.push_back(floor);
    raw_ratio.push_back(floor / mine);
    if (theirs > 0) {
      pandas.push_back(theirs);
      pandas_ratio.push_back(theirs / mine);
    }
  }
  fs::remove(store);

  const double t_ours = bench::spread(ours).median, t_raw = bench::spread(raw).median;
  std::printf(
      "file: %s (%.1f MB, %llu rows imported); %d rounds, alternating; seconds are "
      "medians, ratios the median of per-round ratios (min..max)\n\n",
      csv.filename().c_str(), mb, static_cast<unsigned long long>(rows), rounds);
  std::printf("| what | seconds | MB/s | their time / ours |\n|---|---:|---:|---:|\n");
  std::printf("| tinyllm import (parse, clean, stats, sha256, store) | %.3f | %.0f | 1.00 |\n",
              t_ours, mb / t_ours);
  std::printf("| raw read + line count (I/O floor) | %.3f | %.0f | %s |\n", t_raw, mb / t_raw,
              bench::format_ratio(bench::spread(raw_ratio)).c_str());
  if (!pandas.empty()) {
    const double t_pandas = bench::spread(pandas).median;
    std::printf("| pandas.read_csv (parse only) | %.3f | %.0f | %s |\n", t_pandas, mb / t_pandas,
                bench::format_ratio(bench::spread(pandas_ratio)).c_str());
  } else {
    std::printf("| pandas.read_csv | n/a | | (./scripts/setup.sh --bench) |\n");
  }
  return 0;
}
