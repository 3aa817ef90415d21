// One SSH connection to a device (libssh): host key checked against known_hosts, login by key
// file, ssh-agent or password, remote commands with their output streamed, bulk data streamed
// into a remote command's stdin, and the few SFTP calls deploy needs (sizes, free space, folders).
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
