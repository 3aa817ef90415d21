#include "cli_ssh.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace tinyllm::cli {

std::optional<std::string> ask_on_terminal(const std::string& prompt) {
  const int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY);
  if (fd < 0) return std::nullopt;
  termios old{};
  const bool is_tty = tcgetattr(fd, &old) == 0;
  if (is_tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  const std::string ask = prompt + ": ";
  [[maybe_unused]] auto w = ::write(fd, ask.data(), ask.size());
  std::string answer;
  char c = 0;
  bool got_line = false;
  while (::read(fd, &c, 1) == 1) {
    if (c == '\n') {
      got_line = true;
      break;
    }
    answer += c;
  }
  if (is_tty) tcsetattr(fd, TCSAFLUSH, &old);
  w = ::write(fd, "\n", 1);
  ::close(fd);
  if (!got_line && answer.empty()) return std::nullopt;
  return answer;
}

std::optional<std::string> ask_via_stdio(const std::string& prompt) {
  // Parallel deploys may ask at once: one question and its answer at a time.
  static std::mutex one_question;
  std::lock_guard<std::mutex> guard(one_question);
  const nlohmann::json ask = {{"event", "ask"}, {"prompt", prompt}};
  std::printf("%s\n", ask.dump().c_str());
  std::fflush(stdout);
  std::string answer;
  if (!std::getline(std::cin, answer)) return std::nullopt;
  if (!answer.empty() && answer.back() == '\r') answer.pop_back();
  return answer;
}

Result<deploy::SshSession> connect_device(const deploy::DeviceProfile& device,
                                          bool accept_new_host_key,
                                          const std::string& accept_fingerprint) {
  deploy::ConnectOptions options;
  options.accept_new_host_key = accept_new_host_key;
  options.accept_fingerprint = accept_fingerprint;
  const char* via_stdio = std::getenv("TINYLLM_ASK_VIA_STDIO");
  options.ask = via_stdio && std::string(via_stdio) == "1" ? ask_via_stdio : ask_on_terminal;
  auto session = deploy::SshSession::connect(device.ssh, options);
  if (!session && session.error().message.rfind("unknown host key", 0) == 0)
    return make_error(session.error().where, session.error().message +
                                                 ", then run the command again with "
                                                 "--accept-new-host-key (or "
                                                 "--accept-fingerprint SHA256:...)");
  return session;
}

}  // namespace tinyllm::cli
