// One SSH connection to a device (libssh): host key checked against known_hosts, login by key
// file, ssh-agent or password, remote commands with their output streamed, bulk data streamed
// into a remote command's stdin, long-lived channels (a command that keeps running, a TCP tunnel
// to a port on the device: direct-tcpip), and the few SFTP calls deploy needs (sizes, free space,
// folders).
//
// Host keys follow OpenSSH: a key in known_hosts must match; an unknown key is accepted only when
// the caller says so (the user saw its fingerprint); a changed key is always refused before
// anything is sent. Passwords and passphrases are asked through a callback and never stored.
// Does not: read ~/.ssh/config (a device profile says everything), or shell out to ssh/scp.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

// libssh's handles, opaque outside ssh.cpp.
struct ssh_channel_struct;
struct ssh_session_struct;

namespace tinyllm::deploy {

struct SshTarget {
  std::string host;
  int port = 22;
  std::string user;
  std::string key_file;       // empty: ssh-agent, then the user's default keys
  std::string known_hosts;    // empty: OpenSSH's ~/.ssh/known_hosts
  std::string label() const;  // "user@host:port"
};

enum class HostKeyState { kKnown, kUnknown, kChanged, kOtherType };

struct HostKeyInfo {
  HostKeyState state = HostKeyState::kUnknown;
  std::string fingerprint;  // "SHA256:base64", as ssh-keygen -l shows it
  std::string key_type;     // "ssh-ed25519", ...
};

// Asks the user for a secret (a password or a key's passphrase); nullopt when they cancel.
using AskSecret = std::function<std::optional<std::string>(const std::string& prompt)>;

struct ConnectOptions {
  bool accept_new_host_key = false;  // add an unknown key to known_hosts (the user agreed)
  std::string accept_fingerprint;    // or accept an unknown key only if it has this fingerprint
  AskSecret ask;                     // empty: never ask; a login that needs a secret fails
  int timeout_s = 10;
};

struct ExecResult {
  int exit_status = -1;
  std::string out;  // stdout, also when streamed
  std::string err;  // stderr, also when streamed
};

struct ExecIo {
  std::function<void(std::string_view)> on_stdout;  // live chunks, as they arrive
  std::function<void(std::string_view)> on_stderr;
  std::function<bool()> cancelled;  // polled; true closes the channel
  // Polled about 10 times a second: bytes to write to the command's stdin now (a control line to
  // a training worker). Given, stdin stays open while the command runs; else it is closed at once.
  std::function<std::string()> input;
};

// Progress of a stream into a remote command: bytes sent so far.
using SendProgress = std::function<void(uint64_t sent)>;

// A channel that stays open across calls: a remote command still running (SshSession::start) or
// a TCP connection to a port on the device, tunnelled through SSH (SshSession::open_tunnel).
// Closed on destruction. It must not outlive the session that opened it, and like the session it
// is used from one thread at a time.
class SshChannel {
 public:
  SshChannel(SshChannel&& other) noexcept;
  SshChannel& operator=(SshChannel&& other) noexcept;
  SshChannel(const SshChannel&) = delete;
  SshChannel& operator=(const SshChannel&) = delete;
  ~SshChannel();

  // Sends all of `bytes` (the command's stdin; the tunnel's TCP stream).
  Status write(std::string_view bytes);
  // Appends to `out` what arrives within `timeout_ms` (0: only what is there now) on stdout (the
  // tunnel's stream), or on stderr with `from_stderr`. Returns the number of bytes appended: 0 on
  // a timeout, and at the end (then at_eof() is true).
  Result<size_t> read(std::string& out, int timeout_ms, bool from_stderr = false);
  // Ends the command's stdin (the tunnel's sending side).
  void send_eof();
  // The other side sent its end (the command's output ended) or closed the channel.
  bool at_eof() const;
  // The command's exit status, once at_eof(); -1 when the device sent none.
  int exit_status();
  void close();

 private:
  friend class SshSession;
  SshChannel(ssh_channel_struct* channel, ssh_session_struct* session, std::string label)
      : channel_(channel), session_(session), label_(std::move(label)) {}
  ssh_channel_struct* channel_ = nullptr;
  ssh_session_struct* session_ = nullptr;  // the session it belongs to (for its error text)
  std::string label_;
};

class SshSession {
 public:
  // Connects, checks the host key and logs in. Errors say which of the three failed and why.
  static Result<SshSession> connect(const SshTarget& target, const ConnectOptions& options);
  // Connects and reads the host key only (no login): for showing an unknown key to the user.
  static Result<HostKeyInfo> check_host_key(const SshTarget& target, int timeout_s = 10);

  SshSession(SshSession&&) noexcept;
  SshSession& operator=(SshSession&&) noexcept;
  ~SshSession();

  const std::string& label() const { return label_; }

  // Runs `command` in the login's shell (cwd: its home folder).
  Result<ExecResult> exec(const std::string& command, const ExecIo& io = {});
  // Runs `command` with `bytes` bytes of `input` as its stdin (e.g. "cat >> FILE").
  Result<ExecResult> exec_with_input(const std::string& command, std::istream& input,
                                     uint64_t bytes, const SendProgress& progress = {});
  // Starts `command` and returns at once: its stdin, stdout and stderr stay open on the channel.
  Result<SshChannel> start(const std::string& command);
  // A TCP connection from the device to host:port as the device sees it ("127.0.0.1": a port only
  // the device itself can reach), carried through this connection (direct-tcpip). Refused when
  // the device's sshd forbids forwarding (AllowTcpForwarding no) or nothing listens there.
  Result<SshChannel> open_tunnel(const std::string& host, int port);

  // SFTP: a remote file's size, or nullopt when it does not exist.
  Result<std::optional<uint64_t>> file_size(const std::string& path);
  // SFTP: free bytes for an unprivileged user in the file system holding `path`.
  Result<uint64_t> free_bytes(const std::string& path);
  // SFTP: where a symbolic link points, or nullopt when there is no such link.
  Result<std::optional<std::string>> read_link(const std::string& path);
  // SFTP: creates a folder and its parents (like mkdir -p).
  Status make_dirs(const std::string& path);
  // SFTP: writes a small file (replacing it).
  Status write_small_file(const std::string& path, const std::string& bytes);
  // SFTP: a small remote file's bytes, or nullopt when it does not exist.
  Result<std::optional<std::string>> read_small_file(const std::string& path,
                                                     uint64_t max_bytes = 1 << 20);

 public:
  struct Handles;  // libssh's session and SFTP handles; opaque outside ssh.cpp

 private:
  explicit SshSession(std::unique_ptr<Handles> handles, std::string label);
  Status open_sftp();
  Error sftp_error(const std::string& what, const std::string& path) const;

  std::unique_ptr<Handles> handles_;
  std::string label_;
};

}  // namespace tinyllm::deploy
