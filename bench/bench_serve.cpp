// bench_serve: "Try it" on a device. A classification through `tinyllm remote serve` (the model
// kept loaded on the device behind an SSH tunnel: one request line, one answer line) once it has
// started, beside a fresh `tinyllm remote run --example N` (connect, log in, start the runtime,
// load the model, classify, for every try), the reference. Both on the demo's fine-tuned Q8_0
// model deployed to a real sshd on loopback (tests/sshd_fixture.h), the same examples in the
// same rounds; the last column is how many times faster than the fresh run. Goal (issue 11):
// the second try costs one round trip, far below a fresh run.
#include <QProcess>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_stats.h"
#include "sshd_fixture.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace tinyllm;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_serve: %s\n", what.c_str());
  std::exit(1);
}

// The next line `process` prints on stdout, as JSON.
json next_line(QProcess& process, int timeout_ms = 120000) {
  for (int waited = 0; !process.canReadLine() && waited < timeout_ms; waited += 10)
    process.waitForReadyRead(10);
  if (!process.canReadLine())
    die("tinyllm remote serve printed nothing: " + process.readAllStandardError().toStdString());
  const json line = json::parse(process.readLine().toStdString(), nullptr, false);
  if (!line.is_object() || line.contains("error")) die("tinyllm remote serve: " + line.dump());
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds_arg = 0;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--rounds") rounds_arg = std::atoi(argv[i + 1]);
  const int rounds = bench::rounds_setting(rounds_arg, 5);
  const std::string cli = (fs::read_symlink("/proc/self/exe").parent_path() / "tinyllm").string();

  test::SshServer server;
  if (auto s = server.start(); !s) die(s.error().to_string());
  const std::string project = (server.dir() / "demo").string();
  if (auto made = test::make_deployable_demo(cli, project, "q8_0"); !made)
    die(made.error().to_string());
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"device", "add", "--project", project, "pi", "--host", "127.0.0.1",
                                 "--port", std::to_string(server.port()), "--user", server.user(),
                                 "--key", server.client_key().string(), "--known-hosts",
                                 (server.dir() / "known_hosts").string(), "--dir",
                                 (server.dir() / "device").string(), "--accept-new-host-key"},
        {"deploy", "--project", project, "--device", "pi"}})
    if (auto r = test::run_program(cli, args, 600000); r.code != 0)
      die("tinyllm " + args[0] + ": " + r.err + r.out);
  // The examples' prompts, as the Deploy page sends them.
  std::vector<std::string> prompts;
  {
    std::ifstream in(fs::path(project) / "data/prepared/task_test.jsonl");
    for (std::string line; std::getline(in, line) && prompts.size() < 20;)
      prompts.push_back(json::parse(line).value("prompt", ""));
  }
  if (prompts.empty()) die("no test examples in the demo project");

  QProcess serve;
  const auto started = Clock::now();
  serve.start(QString::fromStdString(cli),
              {"remote", "serve", "--project", QString::fromStdString(project), "--device", "pi"});
  const json ready = next_line(serve);
  auto ask = [&](size_t example) {
    const json request = {{"op", "classify"}, {"prompt", prompts[example % prompts.size()]}};
    serve.write(QByteArray::fromStdString(request.dump() + "\n"));
    return next_line(serve);
  };
  const json first = ask(0);
  const double first_ms = ms_since(started);

  std::vector<double> fresh, served, speedup, fresh_device, served_device;
  for (int r = 0; r < rounds; ++r) {
    const size_t example = size_t(r + 1) % prompts.size();
    auto run_served = [&] {
      const auto start = Clock::now();
      const json answer = ask(example);
      served.push_back(ms_since(start));
      served_device.push_back(answer.value("latency_ms", 0.0));
    };
    auto run_fresh = [&] {
      const auto start = Clock::now();
      const auto run =
          test::run_program(cli, {"remote", "run", "--project", project, "--device", "pi",
                                  "--example", std::to_string(example + 1), "--json"});
      if (run.code != 0) die("tinyllm remote run: " + run.err);
      fresh.push_back(ms_since(start));
      fresh_device.push_back(json::parse(run.out)["result"].value("latency_ms", 0.0));
    };
    if (bench::ours_first(r)) {
      run_served();
      run_fresh();
    } else {
      run_fresh();
      run_served();
    }
    speedup.push_back(fresh.back() / served.back());
  }
  serve.closeWriteChannel();
  if (!serve.waitForFinished(30000) || serve.exitCode() != 0)
    die("tinyllm remote serve did not stop cleanly: " + serve.readAllStandardError().toStdString());

  const auto f = bench::spread(fresh), s = bench::spread(served);
  std::printf(
      "Try it on a loopback device: the demo's Q8_0 model (%d prompt tokens for the first "
      "example), %d rounds\n\n",
      first.value("prompt_tokens", 0), rounds);
  std::printf(
      "| what | wall time (median) | on the device (median) | a fresh remote run's time / "
      "this |\n");
  std::printf("|---|---|---|---|\n");
  std::printf(
      "| `tinyllm remote run --example N` (reference: log in, start, load, classify) "
      "| %.1f ms | %.1f ms | 1.00x |\n",
      f.median, bench::spread(fresh_device).median);
  std::printf(
      "| first try through `tinyllm remote serve` (log in, start and load: %.0f ms, "
      "tunnel, classify) | %.1f ms | %.1f ms | %.2fx |\n",
      ready.value("start_ms", 0.0), first_ms, first.value("latency_ms", 0.0), f.median / first_ms);
  std::printf(
      "| next try through `tinyllm remote serve` (one request line) | %.1f ms | %.1f ms | "
      "%s |\n",
      s.median, bench::spread(served_device).median,
      bench::format_ratio(bench::spread(speedup)).c_str());
  return 0;
}
