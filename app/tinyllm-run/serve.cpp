// tinyllm-run serve: the engine behind a loopback TCP port, JSON Lines in and out, one request
// at a time (the engine holds one KV cache). The desktop reaches it through an SSH tunnel; the
// port is bound to 127.0.0.1 unless --bind says otherwise, so the device's network never sees it.
//
// Requests, one JSON object per line:
//   {"op": "info"}
//   {"op": "classify", "prompt": "..."} | {"op": "classify", "input": "..."}
//   {"op": "classify", "csv": "time_ms,ax,...\n0,1,..."}     raw readings, as classify --csv
//   {"op": "generate", "prompt": "...", "max_tokens": 32}
// Each answer is one line: the same object the mode prints with --json, or {"error": "..."}.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "json_lite.h"
#include "modes.h"
#include "readings_csv.h"

namespace tinyllm::run {
namespace {

std::string error_json(const std::string& message) {
  return "{\"error\": " + json_string(message) + "}";
}

// The prompt of raw readings given as CSV text (a header, then one reading per line).
Result<std::string> prompt_of_csv(const infer::Engine& engine, const std::string& text) {
  if (!engine.recipe()) return make_error("csv", "the model file has no recipe for raw readings");
  const infer::Recipe& recipe = *engine.recipe();
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  TINYLLM_TRY_ASSIGN(csv, ReadingsCsv::from_header(line, recipe, "csv"));
  std::vector<float> values;
  std::vector<double> time_s;
  for (size_t n = 2; std::getline(in, line); ++n)
    if (!line.empty()) TINYLLM_TRY(csv.parse(line, n, values, time_s));
  if (values.empty()) return make_error("csv", "no readings after the header");
  if (!recipe.imu()) {
    values.resize(recipe.schema.channels.size());
    time_s.clear();
  }
  return infer::window_prompt(recipe, values, time_s);
}

std::string answer(infer::Engine& engine, const Options& o, const std::string& line) {
  auto request = parse_flat_object(line);
  if (!request) return error_json("not a JSON object: " + request.error().to_string());
  const auto field = [&](const char* name) -> const std::string* {
    auto it = request->find(name);
    return it == request->end() ? nullptr : &it->second;
  };
  const std::string* op = field("op");
  if (!op) return error_json("a request needs \"op\": info, classify or generate");
  if (*op == "info") return info_json(engine, o.model);
  if (*op != "classify" && *op != "generate")
    return error_json("unknown op '" + *op + "' (info, classify, generate)");
  std::string prompt;
  if (const auto* p = field("prompt")) {
    prompt = *p;
  } else if (const auto* input = field("input")) {
    prompt = engine.prompt_for_input(*input);
  } else if (const auto* csv = field("csv"); csv && *op == "classify") {
    auto made = prompt_of_csv(engine, *csv);
    if (!made) return error_json(made.error().to_string());
    prompt = *made;
  } else {
    return error_json("\"" + *op + "\" needs \"prompt\", \"input\" or (classify) \"csv\"");
  }
  if (*op == "classify") {
    auto c = engine.classify(prompt);
    return c ? classification_json(engine, *c) : error_json(c.error().to_string());
  }
  if (*op == "generate") {
    size_t max_tokens = o.max_tokens;
    if (const auto* m = field("max_tokens"))
      max_tokens = size_t(std::strtoul(m->c_str(), nullptr, 10));
    auto g = engine.generate(prompt, o.sampling, max_tokens);
    return g ? generation_json(*g) : error_json(g.error().to_string());
  }
  return error_json("unknown op '" + *op + "' (info, classify, generate)");
}

// Owns a socket descriptor.
struct Socket {
  int fd = -1;
  explicit Socket(int f) : fd(f) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd >= 0) ::close(fd);
  }
};

bool send_all(int fd, const std::string& text) {
  for (size_t sent = 0; sent < text.size();) {
    const ssize_t n = ::send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += size_t(n);
  }
  return true;
}

}  // namespace

int run_serve(infer::Engine& engine, const Options& o) {
  Socket listener(::socket(AF_INET, SOCK_STREAM, 0));
  if (listener.fd < 0) return fail(make_error("serve", "cannot create a socket"));
  const int yes = 1;
  ::setsockopt(listener.fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(o.port));
  if (::inet_pton(AF_INET, o.bind.c_str(), &address.sin_addr) != 1)
    return fail(make_error("--bind", "'" + o.bind + "' is not an IPv4 address"));
  if (::bind(listener.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener.fd, 8) != 0)
    return fail(make_error(
        "serve", "cannot listen on " + o.bind + ":" + std::to_string(o.port) + " (in use?)"));
  socklen_t length = sizeof address;
  ::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&address), &length);
  // The first line says where it listens (with --port 0 the system picked the port).
  std::printf("{\"listening\": %s, \"port\": %d}\n", json_string(o.bind).c_str(),
              int(ntohs(address.sin_port)));
  std::fflush(stdout);
  for (;;) {
    Socket client(::accept(listener.fd, nullptr, nullptr));
    if (client.fd < 0) continue;
    std::string pending;
    char buffer[4096];
    bool open = true;
    while (open) {
      const ssize_t n = ::recv(client.fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      pending.append(buffer, size_t(n));
      for (size_t newline; (newline = pending.find('\n')) != std::string::npos;) {
        std::string line = pending.substr(0, newline);
        pending.erase(0, newline + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        if (!send_all(client.fd, answer(engine, o, line) + "\n")) {
          open = false;
          break;
        }
      }
      if (pending.size() > (16u << 20)) {  // no line end in 16 MiB: not a client of ours
        send_all(client.fd, error_json("request line too long") + "\n");
        break;
      }
    }
  }
}

}  // namespace tinyllm::run
