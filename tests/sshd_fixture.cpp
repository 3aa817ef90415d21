#include "sshd_fixture.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QProcess>
#include <QThread>

#include <fstream>
#include <map>
#include <sstream>

#include "process_probe.h"

namespace tinyllm::test {
namespace fs = std::filesystem;

namespace {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  if (fd >= 0) ::close(fd);
  return port;
}

bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

Run run_program(const std::string& program, const std::vector<std::string>& args, int timeout_ms) {
  QProcess p;
  QStringList list;
  for (const auto& a : args)
    list << QString::fromStdString(a);
  p.start(QString::fromStdString(program), list);
  Run r;
  if (!p.waitForFinished(timeout_ms)) {
    p.kill();
    p.waitForFinished();
    r.err = "timed out or did not start: " + program;
    return r;
  }
  r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.out = p.readAllStandardOutput().toStdString();
  r.err = p.readAllStandardError().toStdString();
  return r;
}

Status make_deployable_demo(const std::string& cli, const fs::path& dir, const std::string& types) {
  const std::string p = dir.string();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"project", "new", p, "--demo", "imu"},
        {"data", "prepare", "--project", p},
        {"tokenizer", "train", "--project", p, "--quiet"},
        {"finetune", "--project", p, "--from", "scratch", "--steps", "20", "--n_layer", "1",
         "--n_embd", "32", "--n_head", "2", "--eval_every", "20", "--threads", "2"},
        {"export", "--project", p, "--type", types}}) {
    if (args[0] == "export" && types.empty()) break;  // fine-tuned only
    const Run r = run_program(cli, args, 300000);
    if (r.code != 0) return make_error("tinyllm " + args[0], r.err + r.out);
  }
  return {};
}

SshServer::SshServer() {
  dir_.setAutoRemove(true);
}
SshServer::~SshServer() {
  stop();
}

fs::path SshServer::dir() const {
  return dir_.path().toStdString();
}
fs::path SshServer::client_key() const {
  return dir() / "client_key";
}
fs::path SshServer::other_key() const {
  return dir() / "other_key";
}
fs::path SshServer::passphrase_key() const {
  return dir() / "passphrase_key";
}
fs::path SshServer::host_public_key() const {
  return dir() / "host_key.pub";
}
fs::path SshServer::log() const {
  return dir() / "sshd.log";
}

std::string SshServer::user() const {
  const char* u = std::getenv("USER");
  if (u && *u) return u;
  return getuid() == 0 ? "root" : "";
}

std::string SshServer::host_fingerprint() const {
  const Run r = run_program("ssh-keygen", {"-lf", host_public_key().string()});
  std::istringstream in(r.out);
  std::string bits, fingerprint;
  in >> bits >> fingerprint;
  return fingerprint;
}

int SshServer::accepted_logins() const {
  std::ifstream in(log());
  int n = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find("Accepted ") != std::string::npos) ++n;
  return n;
}

Status SshServer::start(const std::string& extra_config) {
  if (!dir_.isValid()) return make_error("sshd", "no temporary folder");
  for (const char* name : {"host_key", "client_key", "other_key"}) {
    const Run r =
        run_program("ssh-keygen", {"-q", "-t", "ed25519", "-N", "", "-f", (dir() / name).string()});
    if (r.code != 0) return make_error("ssh-keygen", r.err);
  }
  const Run encrypted = run_program(
      "ssh-keygen", {"-q", "-t", "ed25519", "-N", kKeyPassphrase, "-f", passphrase_key().string()});
  if (encrypted.code != 0) return make_error("ssh-keygen", encrypted.err);
  std::error_code ec;
  {
    std::ofstream keys(dir() / "authorized_keys");
    std::ifstream a(dir() / "client_key.pub"), b(dir() / "passphrase_key.pub");
    keys << a.rdbuf() << b.rdbuf();
  }
  if (getuid() == 0) fs::create_directories("/run/sshd", ec);
  port_ = free_port();
  std::ofstream config(dir() / "sshd_config");
  config << "ListenAddress 127.0.0.1\nPort " << port_ << "\nHostKey "
         << (dir() / "host_key").string() << "\nAuthorizedKeysFile "
         << (dir() / "authorized_keys").string() << "\nPidFile " << (dir() / "sshd.pid").string()
         << "\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
            "Subsystem sftp internal-sftp\nMaxStartups 50\nMaxSessions 50\n"
            "LogLevel VERBOSE\n"
         << extra_config;
  config.close();
  const Run r =
      run_program("/usr/sbin/sshd", {"-f", (dir() / "sshd_config").string(), "-E", log().string()});
  if (r.code != 0)
    return make_error("sshd", "did not start (exit " + std::to_string(r.code) + "): " + r.err);
  for (int i = 0; i < 100; ++i) {
    std::ifstream pid_file(dir() / "sshd.pid");
    long pid = 0;
    if ((pid_file >> pid) && accepts(port_)) {
      pid_ = pid;
      return {};
    }
    QThread::msleep(50);
  }
  return make_error("sshd", "not listening on port " + std::to_string(port_));
}

int SshServer::kill_sessions() {
  if (pid_ <= 0) return 0;
  int killed = 0;
  for (pid_t pid : descendant_processes(static_cast<pid_t>(pid_))) {
    ::kill(pid, SIGKILL);
    ++killed;
  }
  return killed;
}

void SshServer::stop() {
  if (pid_ <= 0) return;
  kill_sessions();
  ::kill(static_cast<pid_t>(pid_), SIGTERM);
  // sshd is not our child (it daemonizes): wait until it is gone so its folder can be removed.
  for (int i = 0; i < 100 && ::kill(static_cast<pid_t>(pid_), 0) == 0; ++i)
    QThread::msleep(20);
  pid_ = -1;
}

Status SshAgent::start(const fs::path& key) {
  const std::string sock = dir_.path().toStdString() + "/agent.sock";
  had_sock_ = qEnvironmentVariableIsSet("SSH_AUTH_SOCK");
  old_sock_ = qgetenv("SSH_AUTH_SOCK");
  const Run r = run_program("ssh-agent", {"-s", "-a", sock});
  if (r.code != 0) return make_error("ssh-agent", r.err);
  const auto at = r.out.find("SSH_AGENT_PID=");
  if (at == std::string::npos) return make_error("ssh-agent", "printed no pid: " + r.out);
  pid_ = std::stol(r.out.substr(at + 14));
  qputenv("SSH_AUTH_SOCK", QByteArray::fromStdString(sock));
  const Run add = run_program("ssh-add", {key.string()});
  if (add.code != 0) return make_error("ssh-add", add.err);
  return {};
}

SshAgent::~SshAgent() {
  if (pid_ > 0) ::kill(static_cast<pid_t>(pid_), SIGTERM);
  if (had_sock_)
    qputenv("SSH_AUTH_SOCK", old_sock_);
  else
    qunsetenv("SSH_AUTH_SOCK");
}

}  // namespace tinyllm::test
