// A real OpenSSH server on loopback for the deploy tests (and later the recording and remote
// training tests): its own host key, client keys, authorized_keys and config in a temporary
// folder, a free port, stopped on destruction. Nothing outside the folder is touched except
// /run/sshd (the privilege-separation folder sshd needs when started as root).
#pragma once

#include <QTemporaryDir>

#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"

namespace tinyllm::test {

class SshServer {
 public:
  SshServer();
  SshServer(const SshServer&) = delete;
  SshServer& operator=(const SshServer&) = delete;
  ~SshServer();

  // Generates keys, writes the config and starts sshd; waits until it accepts connections.
  // `extra_config`: more sshd_config lines ("AllowTcpForwarding no\n").
  Status start(const std::string& extra_config = "");
  void stop();
  bool running() const { return pid_ > 0; }
  long pid() const { return pid_; }  // the listening sshd

  int port() const { return port_; }
  std::filesystem::path dir() const;
  std::filesystem::path client_key() const;      // authorized
  std::filesystem::path other_key() const;       // a valid key that is NOT authorized
  std::filesystem::path passphrase_key() const;  // authorized, encrypted with kKeyPassphrase
  static constexpr const char* kKeyPassphrase = "correct horse battery";
  std::filesystem::path host_public_key() const;  // ssh-keygen -lf shows its fingerprint
  std::string host_fingerprint() const;           // "SHA256:..."
  std::string user() const;                       // the user the tests run as
  std::filesystem::path log() const;
  // How many logins the server accepted so far (from its log).
  int accepted_logins() const;

  // Kills every process serving a connection (not the listener): the client sees the
  // connection drop mid-transfer, as when a device loses power or Wi-Fi.
  int kill_sessions();

 private:
  QTemporaryDir dir_;
  int port_ = 0;
  long pid_ = -1;
};

// ssh-agent with one key added; SSH_AUTH_SOCK is set while it lives and restored after.
class SshAgent {
 public:
  SshAgent() = default;
  SshAgent(const SshAgent&) = delete;
  SshAgent& operator=(const SshAgent&) = delete;
  ~SshAgent();
  Status start(const std::filesystem::path& key);

 private:
  QTemporaryDir dir_;
  long pid_ = -1;
  QByteArray old_sock_;
  bool had_sock_ = false;
};

// Runs a program and returns its exit code, stdout and stderr.
struct Run {
  int code = -1;
  std::string out, err;
};
Run run_program(const std::string& program, const std::vector<std::string>& args,
                int timeout_ms = 60000);

// The demo IMU project at `dir` with a tiny model fine-tuned from scratch (20 steps, 1 layer) and
// exported as `types` ("f32,q8_0"; empty: not exported), made by the CLI at `cli` (the fixture
// is also linked into bench/, which has no build-folder definitions): what the deploy tests send
// and the Quantize page test exports.
Status make_deployable_demo(const std::string& cli, const std::filesystem::path& dir,
                            const std::string& types);

}  // namespace tinyllm::test
