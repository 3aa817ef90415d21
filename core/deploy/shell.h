// Building remote shell commands without injection. Every argument that reaches the device's
// shell goes through shell_quote; names that become folder names go through safe_name first.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tinyllm::deploy {

// 'text' for a POSIX shell: single quotes, with each ' written as '\''. Safe for any byte string.
std::string shell_quote(std::string_view text);

// A command line from words, each quoted.
std::string shell_join(const std::vector<std::string>& words);

// A folder name made from a user's name for something (a project, a run): letters, digits, '.',
// '_' and '-' kept, anything else as '_', never "." or ".." or empty, at most 64 characters.
std::string safe_name(std::string_view name);

// A remote path as both SFTP and the remote shell take it: "~" and "~/x" become "." and "x"
// (both start in the login's home folder), anything else stays as given.
std::string home_relative(std::string_view path);

// Splits a runner prefix ("qemu-aarch64 -cpu max") into words on spaces.
std::vector<std::string> split_words(std::string_view text);

}  // namespace tinyllm::deploy
