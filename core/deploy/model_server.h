// The installed model kept loaded on a device: `tinyllm-run serve` started there over one SSH
// connection, and its loopback port reached through a direct-tcpip tunnel of the same connection,
// so that every request after the first costs one round trip instead of a login, a process start
// and a model load ("Try it" on the Deploy page, `tinyllm remote serve`).
//
// On the device the runtime runs under a small sh supervisor: it listens on 127.0.0.1 only (the
// device's network never sees the port), and it is killed as soon as the exec channel's stdin
// ends, which happens when close() sends EOF, and also when this process dies or the connection
// drops (sshd closes the channel then). So no `tinyllm-run serve` outlives its ModelServer.
//
// Requests and answers are the runtime's (docs/runtime.md, serve): one JSON object per line,
// {"op": "info" | "classify" | "generate", ...}, one answer at a time. Does not: restart a server
// that stopped (the caller starts a new one), or share one server between threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "deploy/device.h"
#include "deploy/ssh.h"

namespace tinyllm::deploy {

struct ServeOptions {
  int threads = 0;              // --threads on the device; 0: all its cores
  int start_timeout_s = 120;    // for the model to load and the port to open
  int request_timeout_s = 120;  // for one answer
  int stop_timeout_s = 10;      // close(): for the runtime to be gone from the device
};

class ModelServer {
 public:
  // Starts the current version of `model` on the device and opens the tunnel to it; takes the
  // connection over. Errors: the model is not installed, the runtime exited before it listened
  // (with its exit status and stderr), no listening line in time, the tunnel refused.
  static Result<ModelServer> start(SshSession session, const DeviceProfile& device,
                                   const std::string& model, const ServeOptions& options = {});

  ModelServer(ModelServer&&) noexcept;
  ModelServer& operator=(ModelServer&&) noexcept;
  ~ModelServer();  // close(), errors ignored

  // Sends one request and returns the runtime's answer: its result object, or {"error": ...}
  // for a request it could not do (the server goes on). An Error means the server is gone (it
  // stopped on the device, the connection was lost, or no answer came in time); every later
  // request fails the same way.
  Result<nlohmann::json> request(const nlohmann::json& message);

  // Between requests: reads what the connection brought (the device's keepalives are answered
  // only while something reads) and says whether the server still runs; the error is the one the
  // next request would get.
  Status check();

  // Ends the runtime on the device and waits until it is gone. Safe to call twice.
  Status close();

  const std::string& device() const;       // the profile's name
  const std::string& version() const;      // the version it serves
  const std::string& gguf_sha256() const;  // that version's GGUF
  int port() const;                        // on the device's loopback
  double start_ms() const;                 // from the exec to the tunnel being open

 private:
  struct State;
  explicit ModelServer(std::unique_ptr<State> state);
  // The state when requests can still be made: not closed, not broken by an earlier failure.
  Result<State*> usable();
  std::unique_ptr<State> state_;
};

// The shell command that runs `tinyllm-run <args>` in `version_dir` under the supervisor above.
std::string supervised_runtime_command(const DeviceProfile& device, const std::string& version_dir,
                                       const std::vector<std::string>& args);

}  // namespace tinyllm::deploy
