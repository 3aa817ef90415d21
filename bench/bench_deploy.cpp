// bench_deploy: the time to deploy a d12-size Q8_0 model (~130 MB) with the runtime to a real
// sshd on loopback (tests/sshd_fixture.h), beside `scp` of the same files plus `sha256sum` of
// them on the "device" (what a careful user would type), and the time to redeploy it unchanged.
// Goals (issue 12): within 1.3x of scp + sha256sum; an unchanged redeploy near zero.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_stats.h"
#include "deploy/device.h"
#include "deploy/install.h"
#include "deploy/runtimes.h"
#include "sshd_fixture.h"

namespace fs = std::filesystem;
using namespace tinyllm;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_deploy: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  int rounds_arg = 0;
  std::string preset = "d12";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--rounds") rounds_arg = std::atoi(argv[i + 1]);
    if (std::string(argv[i]) == "--preset") preset = argv[i + 1];
  }
  const int rounds = bench::rounds_setting(rounds_arg, 3);
  test::SshServer server;
  if (auto s = server.start(); !s) die(s.error().to_string());
  const fs::path work = server.dir() / "bench";
  fs::create_directories(work);
  const fs::path gguf = work / (preset + "-q8_0.gguf");
  const fs::path self = fs::read_symlink("/proc/self/exe");
  auto made = test::run_program((self.parent_path() / "make_random_gguf").string(),
                                {preset, "q8_0", gguf.string()}, 600000);
  if (made.code != 0) die("make_random_gguf: " + made.err);
  auto runtime = deploy::find_runtime("x86_64");
  if (!runtime) die(runtime.error().to_string());

  deploy::DeviceProfile device;
  device.name = "loopback";
  device.ssh = {"127.0.0.1", server.port(), server.user(), server.client_key().string(),
                (server.dir() / "known_hosts").string()};
  device.arch = "x86_64";
  auto package = deploy::make_package("bench", gguf, *runtime, "x86_64", {});
  if (!package) die(package.error().to_string());
  uint64_t bytes = 0;
  for (const auto& f : package->files)
    bytes += f.bytes;

  const std::vector<std::string> ssh_options = {
      "-i", server.client_key().string(),
      "-o", "UserKnownHostsFile=" + device.ssh.known_hosts,
      "-o", "StrictHostKeyChecking=accept-new",
      "-o", "BatchMode=yes"};
  const std::string host = server.user() + "@127.0.0.1";

  std::vector<double> ours, reference, ratio, redeploy;
  for (int r = 0; r < rounds; ++r) {
    const std::string dir = (server.dir() / ("round" + std::to_string(r))).string();
    auto run_ours = [&] {
      device.install_dir = dir + "-ours";
      const auto start = std::chrono::steady_clock::now();
      deploy::ConnectOptions options;
      options.accept_new_host_key = true;
      auto session = deploy::SshSession::connect(device.ssh, options);
      if (!session) die(session.error().to_string());
      auto installed = deploy::install(*session, device, *package);
      if (!installed) die(installed.error().to_string());
      ours.push_back(seconds_since(start));
      const auto again = std::chrono::steady_clock::now();
      auto session2 = deploy::SshSession::connect(device.ssh, options);
      auto unchanged = deploy::install(*session2, device, *package);
      if (!unchanged || !unchanged->unchanged) die("the redeploy sent something");
      redeploy.push_back(seconds_since(again));
    };
    auto run_reference = [&] {
      fs::create_directories(dir + "-scp");
      const auto start = std::chrono::steady_clock::now();
      std::vector<std::string> scp = ssh_options;
      scp.insert(scp.begin(), {"-q", "-P", std::to_string(server.port())});
      scp.push_back(runtime->string());
      scp.push_back(gguf.string());
      scp.push_back(host + ":" + dir + "-scp/");
      if (auto c = test::run_program("scp", scp, 600000); c.code != 0) die("scp: " + c.err);
      std::vector<std::string> ssh = ssh_options;
      ssh.insert(ssh.begin(), {"-p", std::to_string(server.port())});
      ssh.push_back(host);
      ssh.push_back("sha256sum " + dir + "-scp/*");
      if (auto c = test::run_program("ssh", ssh, 600000); c.code != 0) die("ssh: " + c.err);
      reference.push_back(seconds_since(start));
    };
    if (bench::ours_first(r)) {
      run_ours();
      run_reference();
    } else {
      run_reference();
      run_ours();
    }
    ratio.push_back(ours.back() / reference.back());
    fs::remove_all(dir + "-ours");
    fs::remove_all(dir + "-scp");
  }
  const double mib = double(bytes) / (1024.0 * 1024.0);
  const auto o = bench::spread(ours), s = bench::spread(reference), u = bench::spread(redeploy);
  std::printf("deploy of a %s Q8_0 model + runtime (%.1f MiB) to sshd on loopback, %d rounds\n\n",
              preset.c_str(), mib, rounds);
  std::printf("| what | time (median) | MiB/s | vs scp + sha256sum |\n|---|---|---|---|\n");
  std::printf(
      "| tinyllm deploy (upload, SHA-256 on the device, run check, switch) | %.2f s | %.0f | %s "
      "|\n",
      o.median, mib / o.median, bench::format_ratio(bench::spread(ratio)).c_str());
  std::printf("| scp + ssh sha256sum (reference) | %.2f s | %.0f | 1.00x |\n", s.median,
              mib / s.median);
  std::printf("| tinyllm deploy again, unchanged (nothing sent) | %.3f s | - | %.3fx |\n", u.median,
              u.median / s.median);
  return 0;
}
