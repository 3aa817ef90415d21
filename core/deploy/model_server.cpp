#include "deploy/model_server.h"

#include <chrono>
#include <optional>

#include "deploy/install.h"
#include "deploy/remote_run.h"
#include "deploy/shell.h"

namespace tinyllm::deploy {
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

bool past(Clock::time_point start, int seconds) {
  return Clock::now() - start > std::chrono::seconds(seconds);
}

// "exit status 1", "killed by signal 9 (SIGKILL)": the supervisor exits with the shell's 128+N for
// a runtime that died of signal N.
std::string describe_exit(int status) {
  if (status < 0) return "no exit status";
  if (status > 128 && status < 128 + 32) {
    const int signal = status - 128;
    const char* name = signal == 9 ? " (SIGKILL)" : signal == 15 ? " (SIGTERM)" : "";
    return "killed by signal " + std::to_string(signal) + name;
  }
  return "exit status " + std::to_string(status);
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  return text;
}

// Keeps the end of a growing stderr: the runtime's last words are what explain an exit.
void keep_tail(std::string& text, size_t limit = 16 * 1024) {
  if (text.size() > limit) text.erase(0, text.size() - limit);
}

}  // namespace

std::string supervised_runtime_command(const DeviceProfile& device, const std::string& version_dir,
                                       const std::vector<std::string>& args) {
  std::vector<std::string> words = split_words(device.runner);
  words.push_back("./tinyllm-run");
  words.insert(words.end(), args.begin(), args.end());
  // fd 3 keeps the channel's stdin for the watcher; the runtime gets /dev/null. The watcher's
  // `cat` ends when the channel's stdin does (EOF from us, the channel closed, the connection
  // gone) and then kills the runtime. The shell waits for the runtime, so its exit status
  // (128+N when signal N killed it) is the channel's, and it ends the watcher after.
  const std::string script = "cd -- " + shell_quote(version_dir) +
                             " || exit 97\n"
                             "exec 3<&0 </dev/null\n" +
                             shell_join(words) +
                             " 3<&- &\n"
                             "pid=$!\n"
                             "(cat <&3 >/dev/null 2>&1; kill $pid 2>/dev/null) >/dev/null 2>&1 &\n"
                             "watcher=$!\n"
                             "exec 3<&-\n"
                             "wait $pid 2>/dev/null\n"
                             "status=$?\n"
                             "kill $watcher 2>/dev/null\n"
                             "exit $status\n";
  return "sh -c " + shell_quote(script);
}

struct ModelServer::State {
  // Declared in this order so that the channels are closed before their session.
  SshSession session;
  std::optional<SshChannel> process;  // the supervisor's exec channel
  std::optional<SshChannel> tunnel;   // to the runtime's port
  ServeOptions options;
  std::string device, version, gguf_sha256;
  int port = 0;
  double start_ms = 0;
  std::string out;              // the process's stdout not yet taken as a line
  std::string err;              // the tail of its stderr
  std::string answer;           // the tunnel's bytes not yet taken as a line
  std::optional<Error> broken;  // why no more requests can be answered
  bool closed = false;

  explicit State(SshSession s) : session(std::move(s)) {}

  std::string where() const { return session.label(); }

  // After this error no request is sent any more; each later one returns it.
  Error fail(Error error) {
    broken = error;
    return error;
  }

  // Reads whatever the process has printed by now. Errors only on a lost connection.
  Status drain_process() {
    if (!process) return {};
    for (;;) {
      TINYLLM_TRY_ASSIGN(n, process->read(out, 0));
      TINYLLM_TRY_ASSIGN(e, process->read(err, 0, true));
      keep_tail(err);
      keep_tail(out);
      if (n == 0 && e == 0) return {};
    }
  }

  // Once the process's channel reached its end: the error that says how the runtime stopped.
  Error stopped(const std::string& doing) {
    const auto start = Clock::now();
    while (process && !process->at_eof() && !past(start, 2)) {
      std::string ignored;
      auto n = process->read(ignored, 100);
      if (!n) return n.error();  // the connection itself is gone
      if (auto drained = drain_process(); !drained) return drained.error();
    }
    (void)drain_process();
    const std::string why = trimmed(err);
    if (!process || !process->at_eof())
      return make_error(where(), "the tunnel to tinyllm-run serve on the device closed " + doing +
                                     " while the runtime still runs" +
                                     (why.empty() ? "" : ": " + why));
    return make_error(where(), "tinyllm-run serve stopped on the device " + doing + ", " +
                                   describe_exit(process->exit_status()) +
                                   (why.empty() ? "" : ": " + why));
  }
};

ModelServer::ModelServer(std::unique_ptr<State> state) : state_(std::move(state)) {}
ModelServer::ModelServer(ModelServer&&) noexcept = default;
ModelServer& ModelServer::operator=(ModelServer&& other) noexcept {
  if (this != &other) {
    (void)close();
    state_ = std::move(other.state_);
  }
  return *this;
}
ModelServer::~ModelServer() {
  (void)close();
}

const std::string& ModelServer::device() const {
  return state_->device;
}
const std::string& ModelServer::version() const {
  return state_->version;
}
const std::string& ModelServer::gguf_sha256() const {
  return state_->gguf_sha256;
}
int ModelServer::port() const {
  return state_->port;
}
double ModelServer::start_ms() const {
  return state_->start_ms;
}

Result<ModelServer> ModelServer::start(SshSession session, const DeviceProfile& device,
                                       const std::string& model, const ServeOptions& options) {
  auto state = std::make_unique<State>(std::move(session));
  State& s = *state;
  s.options = options;
  s.device = device.name;
  TINYLLM_TRY_ASSIGN(installed, current_version(s.session, device, model));
  s.version = installed.version;
  s.gguf_sha256 = installed.gguf_sha256;
  // The version's own folder, not `current`: a deploy that switches `current` meanwhile does not
  // change what this server runs or says it runs.
  const std::string dir =
      installed.model_dir + "/" + (s.version.empty() ? std::string("current") : s.version);
  std::vector<std::string> args = {"serve", "--port", "0", "--model", "model.gguf"};
  if (options.threads > 0) args.insert(args.end(), {"--threads", std::to_string(options.threads)});

  const auto start = Clock::now();
  TINYLLM_TRY_ASSIGN(process, s.session.start(supervised_runtime_command(device, dir, args)));
  s.process = std::move(process);
  ModelServer server(std::move(state));  // from here on, a failure stops the runtime first
  auto abandon = [&server](Error error) -> Error {
    (void)server.close();
    return error;
  };
  State& t = *server.state_;
  // The first line of stdout: {"listening": "127.0.0.1", "port": N}, once the model is loaded.
  size_t newline = std::string::npos;
  while ((newline = t.out.find('\n')) == std::string::npos) {
    if (past(start, options.start_timeout_s)) {
      (void)t.drain_process();
      const std::string why = trimmed(t.err);
      return abandon(
          make_error(t.where(), "tinyllm-run serve did not start listening on the device within " +
                                    std::to_string(options.start_timeout_s) + " s" +
                                    (why.empty() ? "" : ": " + why)));
    }
    auto n = t.process->read(t.out, 100);
    if (!n) return abandon(n.error());
    if (auto drained = t.drain_process(); !drained) return abandon(drained.error());
    if (*n == 0 && t.out.find('\n') == std::string::npos && t.process->at_eof())
      return abandon(t.stopped("before it was ready"));
  }
  const std::string first = trimmed(t.out.substr(0, newline));
  t.out.erase(0, newline + 1);
  const json listening = json::parse(first, nullptr, false);
  if (!listening.is_object() || !listening.contains("port") || !listening["port"].is_number())
    return abandon(make_error(t.where(), "tinyllm-run serve printed '" + first +
                                             "' instead of {\"listening\", \"port\"}: is the "
                                             "runtime on the device older than serve? Deploy "
                                             "again"));
  t.port = listening["port"].get<int>();
  auto tunnel = t.session.open_tunnel("127.0.0.1", t.port);
  if (!tunnel) return abandon(tunnel.error());
  t.tunnel = std::move(*tunnel);
  t.start_ms = ms_since(start);
  return server;
}

Result<ModelServer::State*> ModelServer::usable() {
  if (!state_ || state_->closed)
    return make_error(state_ ? state_->where() : "", "the model server was closed");
  if (state_->broken) return *state_->broken;
  return state_.get();
}

Result<json> ModelServer::request(const json& message) {
  TINYLLM_TRY_ASSIGN(state, usable());
  State& s = *state;
  auto fail = [&](Error error) { return s.fail(std::move(error)); };
  if (!s.tunnel->write(message.dump() + "\n"))
    return fail(s.stopped("before the request reached it"));
  const auto start = Clock::now();
  size_t newline = std::string::npos;
  while ((newline = s.answer.find('\n')) == std::string::npos) {
    auto n = s.tunnel->read(s.answer, 100);
    if (!n) return fail(n.error());
    if (auto drained = s.drain_process(); !drained) return fail(drained.error());
    if (*n > 0) continue;
    // The runtime's end shows on its exec channel; the tunnel ends with it.
    if (s.process->at_eof() || s.tunnel->at_eof()) return fail(s.stopped("while answering"));
    if (past(start, s.options.request_timeout_s))
      return fail(make_error(s.where(), "no answer from tinyllm-run serve on the device within " +
                                            std::to_string(s.options.request_timeout_s) +
                                            " s; the server was given up"));
  }
  const std::string line = trimmed(s.answer.substr(0, newline));
  s.answer.erase(0, newline + 1);
  json answer = json::parse(line, nullptr, false);
  if (!answer.is_object())
    return fail(make_error(s.where(),
                           "tinyllm-run serve answered with something that is not a "
                           "JSON object: " +
                               line.substr(0, 200)));
  return answer;
}

Status ModelServer::check() {
  TINYLLM_TRY_ASSIGN(state, usable());
  State& s = *state;
  auto fail = [&](Error error) { return s.fail(std::move(error)); };
  if (auto drained = s.drain_process(); !drained) return fail(drained.error());
  std::string unasked;  // nothing comes on the tunnel unasked; reading it services the connection
  if (auto n = s.tunnel->read(unasked, 0); !n) return fail(n.error());
  if (s.process->at_eof() || s.tunnel->at_eof()) return fail(s.stopped("while idle"));
  return {};
}

Status ModelServer::close() {
  if (!state_ || state_->closed) return {};
  State& s = *state_;
  s.closed = true;
  if (s.tunnel) s.tunnel->close();
  if (!s.process) return {};
  // The end of its stdin is the supervisor's signal to kill the runtime; its channel ends once
  // the runtime is gone and the shell has reaped it.
  s.process->send_eof();
  const auto start = Clock::now();
  Status status;
  while (!s.process->at_eof()) {
    if (past(start, s.options.stop_timeout_s)) {
      status = make_error(s.where(), "tinyllm-run serve did not stop on the device within " +
                                         std::to_string(s.options.stop_timeout_s) + " s");
      break;
    }
    std::string ignored;
    auto n = s.process->read(ignored, 100);
    if (!n) break;  // the connection is gone: sshd ends the channel, and with it the runtime
    (void)s.drain_process();
  }
  s.process->close();
  return status;
}

}  // namespace tinyllm::deploy
