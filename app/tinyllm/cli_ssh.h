// What the device commands share: asking for a password or passphrase on the terminal (never
// echoed, never stored), and connecting to a profile with the CLI's host-key choices.
#pragma once

#include <string>

#include "base/result.h"
#include "deploy/device.h"
#include "deploy/ssh.h"

namespace tinyllm::cli {

// Asks on /dev/tty with echo off; nullopt when there is no terminal to ask on.
std::optional<std::string> ask_on_terminal(const std::string& prompt);

Result<deploy::SshSession> connect_device(const deploy::DeviceProfile& device,
                                          bool accept_new_host_key = false);

}  // namespace tinyllm::cli
