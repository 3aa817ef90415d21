#include "deploy/ssh.h"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace tinyllm::deploy {

std::string SshTarget::label() const {
  return (user.empty() ? std::string() : user + "@") + host + ":" + std::to_string(port);
}

struct SshSession::Handles {
  ssh_session session = nullptr;
  sftp_session sftp = nullptr;
  Handles() = default;
  Handles(const Handles&) = delete;
  Handles& operator=(const Handles&) = delete;
  ~Handles() {
    if (sftp) sftp_free(sftp);
    if (session) {
      if (ssh_is_connected(session)) ssh_disconnect(session);
      ssh_free(session);
    }
  }
};

namespace {

// Owns a channel for the length of one command.
struct Channel {
  ssh_channel channel = nullptr;
  explicit Channel(ssh_session session) : channel(ssh_channel_new(session)) {}
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel() {
    if (!channel) return;
    if (ssh_channel_is_open(channel)) ssh_channel_close(channel);
    ssh_channel_free(channel);
  }
};

Error lost(const std::string& label, ssh_session session, const std::string& doing) {
  return make_error(label,
                    "the connection was lost while " + doing + " (" + ssh_get_error(session) + ")");
}

// Opens a session and connects it: the TCP connection and key exchange, nothing more.
Result<std::unique_ptr<SshSession::Handles>> open_connection(const SshTarget& target,
                                                             int timeout_s) {
  auto handles = std::make_unique<SshSession::Handles>();
  handles->session = ssh_new();
  if (!handles->session) return make_error(target.label(), "could not start an SSH session");
  ssh_session s = handles->session;
  const long timeout = timeout_s;
  const unsigned int port = static_cast<unsigned int>(target.port);
  bool process_config = false;  // the device profile is the whole truth, not ~/.ssh/config
  ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &process_config);
  ssh_options_set(s, SSH_OPTIONS_HOST, target.host.c_str());
  ssh_options_set(s, SSH_OPTIONS_PORT, &port);
  if (!target.user.empty()) ssh_options_set(s, SSH_OPTIONS_USER, target.user.c_str());
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
  if (!target.known_hosts.empty())
    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, target.known_hosts.c_str());
  if (ssh_connect(s) != SSH_OK)
    return make_error(target.label(), std::string("cannot reach the device: ") + ssh_get_error(s));
  return handles;
}

Result<HostKeyInfo> read_host_key(ssh_session s, const std::string& label) {
  HostKeyInfo info;
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(s, &key) != SSH_OK)
    return make_error(label, std::string("the device sent no host key: ") + ssh_get_error(s));
  unsigned char* hash = nullptr;
  size_t hash_len = 0;
  const int rc = ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hash_len);
  info.key_type = ssh_key_type_to_char(ssh_key_type(key));
  ssh_key_free(key);
  if (rc != 0) return make_error(label, "could not hash the device's host key");
  char* fingerprint = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hash_len);
  ssh_clean_pubkey_hash(&hash);
  if (!fingerprint) return make_error(label, "could not format the host key's fingerprint");
  info.fingerprint = fingerprint;
  ssh_string_free_char(fingerprint);
  switch (ssh_session_is_known_server(s)) {
    case SSH_KNOWN_HOSTS_OK:
      info.state = HostKeyState::kKnown;
      break;
    case SSH_KNOWN_HOSTS_CHANGED:
      info.state = HostKeyState::kChanged;
      break;
    case SSH_KNOWN_HOSTS_OTHER:
      info.state = HostKeyState::kOtherType;
      break;
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
      info.state = HostKeyState::kUnknown;
      break;
    case SSH_KNOWN_HOSTS_ERROR:
      return make_error(label, std::string("could not read known_hosts: ") + ssh_get_error(s));
  }
  return info;
}

std::string changed_key_message(const SshTarget& target, const HostKeyInfo& key) {
  const std::string file =
      target.known_hosts.empty() ? std::string("~/.ssh/known_hosts") : target.known_hosts;
  const std::string name =
      target.port == 22 ? target.host : "[" + target.host + "]:" + std::to_string(target.port);
  return "THE DEVICE'S HOST KEY HAS CHANGED. It now presents " + key.key_type + " " +
         key.fingerprint + ", which does not match " + file +
         ". Someone may be intercepting the connection, or the device was reinstalled. Nothing "
         "was sent. If you know the device was reinstalled, remove the old key with: ssh-keygen "
         "-R '" +
         name + "' -f " + file + ", then connect again to accept the new one.";
}

Status authenticate(ssh_session s, const SshTarget& target, const ConnectOptions& options) {
  const std::string label = target.label();
  int rc = ssh_userauth_none(s, nullptr);
  if (rc == SSH_AUTH_SUCCESS) return {};
  if (rc == SSH_AUTH_ERROR) return lost(label, s, "logging in");
  const int methods = ssh_userauth_list(s, nullptr);
  std::vector<std::string> tried;

  if (!target.key_file.empty()) {
    ssh_key key = nullptr;
    rc = ssh_pki_import_privkey_file(target.key_file.c_str(), nullptr, nullptr, nullptr, &key);
    if (rc != SSH_OK) {
      // Encrypted (or not a key at all): ask for the passphrase once.
      if (!options.ask)
        return make_error(label, "cannot read the key " + target.key_file +
                                     ": it is missing, not a private key, or needs a passphrase "
                                     "(and nothing can ask for one here)");
      const auto passphrase = options.ask("Passphrase for " + target.key_file);
      if (!passphrase) return make_error(label, "login cancelled");
      rc = ssh_pki_import_privkey_file(target.key_file.c_str(), passphrase->c_str(), nullptr,
                                       nullptr, &key);
      if (rc != SSH_OK)
        return make_error(label, "cannot read the key " + target.key_file +
                                     ": wrong passphrase, or not a private key");
    }
    rc = ssh_userauth_publickey(s, nullptr, key);
    ssh_key_free(key);
    if (rc == SSH_AUTH_SUCCESS) return {};
    if (rc == SSH_AUTH_ERROR) return lost(label, s, "logging in");
    tried.push_back("the key " + target.key_file);
  } else if (methods & SSH_AUTH_METHOD_PUBLICKEY) {
    if (std::getenv("SSH_AUTH_SOCK")) {
      rc = ssh_userauth_agent(s, nullptr);
      if (rc == SSH_AUTH_SUCCESS) return {};
      if (rc == SSH_AUTH_ERROR && !ssh_is_connected(s)) return lost(label, s, "logging in");
      tried.push_back("the keys in ssh-agent");
    }
    rc = ssh_userauth_publickey_auto(s, nullptr, nullptr);
    if (rc == SSH_AUTH_SUCCESS) return {};
    if (rc == SSH_AUTH_ERROR && !ssh_is_connected(s)) return lost(label, s, "logging in");
    tried.push_back("your default keys (~/.ssh/id_*)");
  }

  if ((methods & SSH_AUTH_METHOD_PASSWORD) && options.ask) {
    const auto password = options.ask("Password for " + label);
    if (!password) return make_error(label, "login cancelled");
    rc = ssh_userauth_password(s, nullptr, password->c_str());
    if (rc == SSH_AUTH_SUCCESS) return {};
    if (rc == SSH_AUTH_ERROR) return lost(label, s, "logging in");
    tried.push_back("a password");
  }
  std::string list;
  for (size_t i = 0; i < tried.size(); ++i)
    list += (i ? (i + 1 == tried.size() ? " and " : ", ") : "") + tried[i];
  if (list.empty()) list = "nothing this device accepts";
  return make_error(label, "the device refused the login (tried " + list +
                               "). Is the public key in ~/.ssh/authorized_keys on the device, "
                               "and is the user name right?");
}

}  // namespace

SshSession::SshSession(std::unique_ptr<Handles> handles, std::string label)
    : handles_(std::move(handles)), label_(std::move(label)) {}
SshSession::SshSession(SshSession&&) noexcept = default;
SshSession& SshSession::operator=(SshSession&&) noexcept = default;
SshSession::~SshSession() = default;

Result<HostKeyInfo> SshSession::check_host_key(const SshTarget& target, int timeout_s) {
  TINYLLM_TRY_ASSIGN(handles, open_connection(target, timeout_s));
  return read_host_key(handles->session, target.label());
}

Result<SshSession> SshSession::connect(const SshTarget& target, const ConnectOptions& options) {
  TINYLLM_TRY_ASSIGN(handles, open_connection(target, options.timeout_s));
  ssh_session s = handles->session;
  const std::string label = target.label();
  TINYLLM_TRY_ASSIGN(key, read_host_key(s, label));
  switch (key.state) {
    case HostKeyState::kKnown:
      break;
    case HostKeyState::kChanged:
    case HostKeyState::kOtherType:
      return make_error(label, changed_key_message(target, key));
    case HostKeyState::kUnknown: {
      const bool accepted =
          options.accept_new_host_key ||
          (!options.accept_fingerprint.empty() && options.accept_fingerprint == key.fingerprint);
      if (!accepted)
        return make_error(label, "unknown host key " + key.key_type + " " + key.fingerprint +
                                     ": this device was never connected to. Check the "
                                     "fingerprint on the device (ssh-keygen -lf "
                                     "/etc/ssh/ssh_host_ed25519_key.pub) and accept it once");
      if (ssh_session_update_known_hosts(s) != SSH_OK)
        return make_error(
            label, std::string("could not add the host key to known_hosts: ") + ssh_get_error(s));
      break;
    }
  }
  TINYLLM_TRY(authenticate(s, target, options));
  return SshSession(std::move(handles), label);
}

Result<ExecResult> SshSession::exec(const std::string& command, const ExecIo& io) {
  ssh_session s = handles_->session;
  Channel ch(s);
  if (!ch.channel || ssh_channel_open_session(ch.channel) != SSH_OK ||
      ssh_channel_request_exec(ch.channel, command.c_str()) != SSH_OK)
    return lost(label_, s, "starting a command");
  if (!io.input) ssh_channel_send_eof(ch.channel);
  ExecResult result;
  std::vector<char> buffer(64 * 1024);
  for (;;) {
    if (io.cancelled && io.cancelled()) return make_error(label_, "stopped");
    if (io.input) {
      const std::string bytes = io.input();
      for (size_t offset = 0; offset < bytes.size();) {
        const int w = ssh_channel_write(ch.channel, bytes.data() + offset,
                                        static_cast<uint32_t>(bytes.size() - offset));
        if (w == SSH_ERROR) return lost(label_, s, "writing to a command");
        offset += static_cast<size_t>(w);
      }
    }
    const int n = ssh_channel_read_timeout(ch.channel, buffer.data(),
                                           static_cast<uint32_t>(buffer.size()), 0, 100);
    if (n == SSH_ERROR) return lost(label_, s, "running a command");
    if (n > 0) {
      result.out.append(buffer.data(), static_cast<size_t>(n));
      if (io.on_stdout) io.on_stdout(std::string_view(buffer.data(), static_cast<size_t>(n)));
    }
    const int e = ssh_channel_read_nonblocking(ch.channel, buffer.data(),
                                               static_cast<uint32_t>(buffer.size()), 1);
    if (e == SSH_ERROR) return lost(label_, s, "running a command");
    if (e > 0) {
      result.err.append(buffer.data(), static_cast<size_t>(e));
      if (io.on_stderr) io.on_stderr(std::string_view(buffer.data(), static_cast<size_t>(e)));
    }
    if (n <= 0 && e <= 0 && ssh_channel_is_eof(ch.channel)) break;
  }
  result.exit_status = ssh_channel_get_exit_status(ch.channel);
  return result;
}

Result<ExecResult> SshSession::exec_with_input(const std::string& command, std::istream& input,
                                               uint64_t bytes, const SendProgress& progress) {
  ssh_session s = handles_->session;
  Channel ch(s);
  if (!ch.channel || ssh_channel_open_session(ch.channel) != SSH_OK ||
      ssh_channel_request_exec(ch.channel, command.c_str()) != SSH_OK)
    return lost(label_, s, "starting a command");
  ExecResult result;
  std::vector<char> buffer(256 * 1024);
  uint64_t sent = 0;
  while (sent < bytes) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), bytes - sent));
    input.read(buffer.data(), static_cast<std::streamsize>(want));
    const auto got = static_cast<size_t>(input.gcount());
    if (got == 0) return make_error(label_, "the local file ended early (it changed while sent?)");
    size_t offset = 0;
    while (offset < got) {
      const int w = ssh_channel_write(ch.channel, buffer.data() + offset,
                                      static_cast<uint32_t>(got - offset));
      if (w == SSH_ERROR || !ssh_channel_is_open(ch.channel)) {
        // The command may have ended early (a full disk): its stderr says why.
        std::vector<char> err(4096);
        const int e = ssh_channel_read_nonblocking(ch.channel, err.data(), 4096, 1);
        if (e > 0) result.err.append(err.data(), static_cast<size_t>(e));
        if (!result.err.empty()) {
          result.exit_status = ssh_channel_get_exit_status(ch.channel);
          return result;
        }
        return lost(label_, s,
                    "sending data (" + std::to_string(sent + offset) + " of " +
                        std::to_string(bytes) + " bytes sent)");
      }
      offset += static_cast<size_t>(w);
    }
    sent += got;
    if (progress) progress(sent);
  }
  ssh_channel_send_eof(ch.channel);
  std::vector<char> tail(4096);
  for (;;) {
    const int n = ssh_channel_read_timeout(ch.channel, tail.data(), 4096, 0, 100);
    if (n == SSH_ERROR) return lost(label_, s, "finishing a transfer");
    if (n > 0) result.out.append(tail.data(), static_cast<size_t>(n));
    const int e = ssh_channel_read_nonblocking(ch.channel, tail.data(), 4096, 1);
    if (e == SSH_ERROR) return lost(label_, s, "finishing a transfer");
    if (e > 0) result.err.append(tail.data(), static_cast<size_t>(e));
    if (n <= 0 && e <= 0 && ssh_channel_is_eof(ch.channel)) break;
  }
  result.exit_status = ssh_channel_get_exit_status(ch.channel);
  return result;
}

Result<SshChannel> SshSession::start(const std::string& command) {
  ssh_session s = handles_->session;
  ssh_channel channel = ssh_channel_new(s);
  if (!channel) return lost(label_, s, "starting a command");
  if (ssh_channel_open_session(channel) != SSH_OK ||
      ssh_channel_request_exec(channel, command.c_str()) != SSH_OK) {
    ssh_channel_free(channel);
    return lost(label_, s, "starting a command");
  }
  return SshChannel(channel, s, label_);
}

Result<SshChannel> SshSession::open_tunnel(const std::string& host, int port) {
  ssh_session s = handles_->session;
  ssh_channel channel = ssh_channel_new(s);
  if (!channel) return lost(label_, s, "opening a tunnel");
  // The originator address is informational for the server; the device sees the connection
  // come from its own sshd.
  if (ssh_channel_open_forward(channel, host.c_str(), port, "127.0.0.1", 0) != SSH_OK) {
    const std::string why = ssh_get_error(s);
    ssh_channel_free(channel);
    if (!ssh_is_connected(s)) return lost(label_, s, "opening a tunnel");
    return make_error(label_, "the device refused a tunnel to " + host + ":" +
                                  std::to_string(port) + " (" + why +
                                  "): its sshd must allow TCP forwarding (AllowTcpForwarding "
                                  "yes, the default, in /etc/ssh/sshd_config)");
  }
  return SshChannel(channel, s, label_);
}

SshChannel::SshChannel(SshChannel&& other) noexcept
    : channel_(std::exchange(other.channel_, nullptr)),
      session_(other.session_),
      label_(std::move(other.label_)) {}

SshChannel& SshChannel::operator=(SshChannel&& other) noexcept {
  if (this != &other) {
    close();
    channel_ = std::exchange(other.channel_, nullptr);
    session_ = other.session_;
    label_ = std::move(other.label_);
  }
  return *this;
}

SshChannel::~SshChannel() {
  close();
}

void SshChannel::close() {
  if (!channel_) return;
  if (ssh_channel_is_open(channel_)) ssh_channel_close(channel_);
  ssh_channel_free(channel_);
  channel_ = nullptr;
}

Status SshChannel::write(std::string_view bytes) {
  if (!channel_) return make_error(label_, "the channel is closed");
  for (size_t offset = 0; offset < bytes.size();) {
    const int w = ssh_channel_write(channel_, bytes.data() + offset,
                                    static_cast<uint32_t>(bytes.size() - offset));
    if (w == SSH_ERROR || (w == 0 && !ssh_channel_is_open(channel_)))
      return lost(label_, session_, "writing to the device");
    offset += static_cast<size_t>(w);
  }
  return {};
}

Result<size_t> SshChannel::read(std::string& out, int timeout_ms, bool from_stderr) {
  if (!channel_) return size_t{0};
  char buffer[16 * 1024];
  const int n = timeout_ms > 0 ? ssh_channel_read_timeout(channel_, buffer, sizeof buffer,
                                                          from_stderr ? 1 : 0, timeout_ms)
                               : ssh_channel_read_nonblocking(channel_, buffer, sizeof buffer,
                                                              from_stderr ? 1 : 0);
  if (n == SSH_ERROR) return lost(label_, session_, "reading from the device");
  if (n <= 0) return size_t{0};  // nothing yet, or SSH_EOF
  out.append(buffer, static_cast<size_t>(n));
  return static_cast<size_t>(n);
}

void SshChannel::send_eof() {
  if (channel_ && ssh_channel_is_open(channel_)) ssh_channel_send_eof(channel_);
}

bool SshChannel::at_eof() const {
  return !channel_ || ssh_channel_is_eof(channel_) || ssh_channel_is_closed(channel_);
}

int SshChannel::exit_status() {
  return channel_ ? ssh_channel_get_exit_status(channel_) : -1;
}

Status SshSession::open_sftp() {
  if (handles_->sftp) return {};
  handles_->sftp = sftp_new(handles_->session);
  if (!handles_->sftp || sftp_init(handles_->sftp) != SSH_OK) {
    if (handles_->sftp) sftp_free(handles_->sftp);
    handles_->sftp = nullptr;
    return make_error(label_, std::string("the device offers no SFTP (") +
                                  ssh_get_error(handles_->session) +
                                  "): enable 'Subsystem sftp' in its sshd_config");
  }
  return {};
}

Error SshSession::sftp_error(const std::string& what, const std::string& path) const {
  const int code = handles_->sftp ? sftp_get_error(handles_->sftp) : -1;
  std::string why = code == SSH_FX_PERMISSION_DENIED ? "permission denied"
                    : code == SSH_FX_NO_SUCH_FILE    ? "no such file or folder"
                    : code == SSH_FX_FAILURE         ? "the device refused"
                                                     : ssh_get_error(handles_->session);
  return make_error(label_ + ":" + path, what + ": " + why);
}

Result<std::optional<uint64_t>> SshSession::file_size(const std::string& path) {
  TINYLLM_TRY(open_sftp());
  sftp_attributes attributes = sftp_stat(handles_->sftp, path.c_str());
  if (!attributes) {
    if (sftp_get_error(handles_->sftp) == SSH_FX_NO_SUCH_FILE) return std::optional<uint64_t>();
    return sftp_error("cannot read the file's size", path);
  }
  const uint64_t size = attributes->size;
  sftp_attributes_free(attributes);
  return std::optional<uint64_t>(size);
}

Result<uint64_t> SshSession::free_bytes(const std::string& path) {
  TINYLLM_TRY(open_sftp());
  sftp_statvfs_t stats = sftp_statvfs(handles_->sftp, path.c_str());
  if (!stats) return sftp_error("cannot read the free disk space", path);
  const uint64_t free = stats->f_bavail * stats->f_frsize;
  sftp_statvfs_free(stats);
  return free;
}

Result<std::optional<std::string>> SshSession::read_link(const std::string& path) {
  TINYLLM_TRY(open_sftp());
  char* target = sftp_readlink(handles_->sftp, path.c_str());
  if (!target) {
    const int code = sftp_get_error(handles_->sftp);
    if (code == SSH_FX_NO_SUCH_FILE || code == SSH_FX_FAILURE) return std::optional<std::string>();
    return sftp_error("cannot read the link", path);
  }
  std::string text = target;
  ssh_string_free_char(target);
  return std::optional<std::string>(std::move(text));
}

Status SshSession::make_dirs(const std::string& path) {
  TINYLLM_TRY(open_sftp());
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (!prefix.empty() && prefix != ".") {
      sftp_attributes a = sftp_stat(handles_->sftp, prefix.c_str());
      if (a) {
        const bool is_dir = a->type == SSH_FILEXFER_TYPE_DIRECTORY;
        sftp_attributes_free(a);
        if (!is_dir) return make_error(label_ + ":" + prefix, "exists and is not a folder");
      } else if (sftp_mkdir(handles_->sftp, prefix.c_str(), 0755) != 0) {
        return sftp_error("cannot create the folder", prefix);
      }
    }
    if (slash == std::string::npos) break;
  }
  return {};
}

Status SshSession::write_small_file(const std::string& path, const std::string& bytes) {
  TINYLLM_TRY(open_sftp());
  sftp_file file = sftp_open(handles_->sftp, path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!file) return sftp_error("cannot create", path);
  size_t offset = 0;
  while (offset < bytes.size()) {
    const ssize_t n =
        sftp_write(file, bytes.data() + offset, std::min<size_t>(bytes.size() - offset, 32 * 1024));
    if (n <= 0) {
      sftp_close(file);
      return sftp_error("cannot write", path);
    }
    offset += static_cast<size_t>(n);
  }
  if (sftp_close(file) != 0) return sftp_error("cannot finish writing", path);
  return {};
}

Result<std::optional<std::string>> SshSession::read_small_file(const std::string& path,
                                                               uint64_t max_bytes) {
  TINYLLM_TRY(open_sftp());
  sftp_file file = sftp_open(handles_->sftp, path.c_str(), O_RDONLY, 0);
  if (!file) {
    if (sftp_get_error(handles_->sftp) == SSH_FX_NO_SUCH_FILE) return std::optional<std::string>();
    return sftp_error("cannot open", path);
  }
  std::string bytes;
  std::vector<char> buffer(32 * 1024);
  for (;;) {
    const ssize_t n = sftp_read(file, buffer.data(), buffer.size());
    if (n < 0) {
      sftp_close(file);
      return sftp_error("cannot read", path);
    }
    if (n == 0) break;
    bytes.append(buffer.data(), static_cast<size_t>(n));
    if (bytes.size() > max_bytes) {
      sftp_close(file);
      return make_error(label_ + ":" + path, "larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  sftp_close(file);
  return std::optional<std::string>(std::move(bytes));
}

}  // namespace tinyllm::deploy
