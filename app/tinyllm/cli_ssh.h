// What the device commands share: asking for a password or passphrase on the terminal (never
// echoed, never stored) or, for the workbench, through stdin/stdout (TINYLLM_ASK_VIA_STDIO=1),
// and connecting to a profile with the CLI's host-key choices.
#pragma once

#include <string>

#include "base/result.h"
#include "deploy/device.h"
#include "deploy/ssh.h"

namespace tinyllm::cli {

// Asks on /dev/tty with echo off; nullopt when there is no terminal to ask on.
std::optional<std::string> ask_on_terminal(const std::string& prompt);
// For a parent program (the workbench): prints {"event":"ask","prompt":...} as one line on
// stdout and reads the answer as one line from stdin; nullopt when stdin ends first (cancel).
std::optional<std::string> ask_via_stdio(const std::string& prompt);

// Connects, asking for secrets on the terminal, or via stdio when TINYLLM_ASK_VIA_STDIO=1. An
// unknown host key is accepted with `accept_new_host_key`, or when its fingerprint is exactly
// `accept_fingerprint` ("SHA256:..."); a changed one never.
Result<deploy::SshSession> connect_device(const deploy::DeviceProfile& device,
                                          bool accept_new_host_key = false,
                                          const std::string& accept_fingerprint = "");

}  // namespace tinyllm::cli
