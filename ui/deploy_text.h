// What the Deploy page says about SSH and deploy failures: the CLI's error text (which names the
// device, the file and the cause) turned into a sentence a non-expert can act on, and the parts
// of an "unknown host key" refusal the confirmation dialog shows. Pure functions, no widgets.
#pragma once

#include <QString>

namespace tinyllm::ui {

enum class DeployFailure {
  unreachable,      // no connection: off, wrong address or port, no network
  login_refused,    // wrong user or key, key not authorized, wrong password
  login_cancelled,  // the user cancelled the password/passphrase question
  unknown_host_key,
  changed_host_key,
  disk_full,
  wrong_architecture,
  no_export,
  connection_lost,
  other,
};

DeployFailure classify_failure(const QString& detail);
// One or two sentences in plain words: what happened and what to do.
QString explain_failure(const QString& detail);

// "unknown host key ssh-ed25519 SHA256:abc...: ..." -> the key type and the fingerprint; empty
// when `detail` is not that refusal.
struct UnknownHostKey {
  QString key_type;
  QString fingerprint;  // "SHA256:..."
};
UnknownHostKey unknown_host_key(const QString& detail);

// "16.0 MiB", "512 KiB", "12 B"
QString format_size(double bytes);

}  // namespace tinyllm::ui
