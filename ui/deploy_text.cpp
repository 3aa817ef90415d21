#include "deploy_text.h"

#include <QObject>
#include <QRegularExpression>

namespace tinyllm::ui {

DeployFailure classify_failure(const QString& d) {
  // Order matters: a changed key is reported before anything else is tried.
  if (d.contains(QLatin1String("HOST KEY HAS CHANGED"))) return DeployFailure::changed_host_key;
  if (d.contains(QLatin1String("unknown host key"))) return DeployFailure::unknown_host_key;
  if (d.contains(QLatin1String("login cancelled"))) return DeployFailure::login_cancelled;
  if (d.contains(QLatin1String("refused the login")) ||
      d.contains(QLatin1String("cannot read the key")))
    return DeployFailure::login_refused;
  if (d.contains(QLatin1String("cannot reach the device"))) return DeployFailure::unreachable;
  if (d.contains(QLatin1String("disk is full"))) return DeployFailure::disk_full;
  if (d.contains(QLatin1String("no runtime for the machine type")) ||
      d.contains(QLatin1String("is not supported")) ||
      d.contains(QLatin1String("does not run on the device")) ||
      d.contains(QLatin1String("Exec format error")) ||
      d.contains(QRegularExpression(QStringLiteral("this device is \\S+"))))
    return DeployFailure::wrong_architecture;
  if (d.contains(QRegularExpression(QStringLiteral("no \\S+ export in this project"))) ||
      d.contains(QLatin1String("export is recorded but its file is gone")))
    return DeployFailure::no_export;
  if (d.contains(QLatin1String("connection was lost"))) return DeployFailure::connection_lost;
  return DeployFailure::other;
}

QString explain_failure(const QString& detail) {
  switch (classify_failure(detail)) {
    case DeployFailure::unreachable:
      return QObject::tr(
          "The device could not be reached. Check that it is switched on and on the same "
          "network, and that the host name and port are right.");
    case DeployFailure::login_refused:
      return QObject::tr(
          "The device refused the login. Check the user name and the key file; the key's "
          "public half must be in ~/.ssh/authorized_keys on the device (ssh-copy-id puts it "
          "there).");
    case DeployFailure::login_cancelled:
      return QObject::tr("The login was cancelled: nothing was done on the device.");
    case DeployFailure::unknown_host_key:
      return QObject::tr(
          "This device was never connected to before: its identity (host key) has to be "
          "accepted once.");
    case DeployFailure::changed_host_key:
      return QObject::tr(
          "Warning: the device's identity (host key) has changed since it was added. Someone "
          "may be intercepting the connection, or the device was reinstalled. Nothing was sent. "
          "If you reinstalled the device yourself, the details say how to forget the old key.");
    case DeployFailure::disk_full:
      return QObject::tr(
          "The device's disk is full. Free some space on it and deploy again; the version that "
          "was installed before is still there and still runs.");
    case DeployFailure::wrong_architecture:
      return QObject::tr(
          "The model's runtime does not run on this device's processor. Check the device's "
          "machine type (Probe) or the architecture set in its Advanced settings.");
    case DeployFailure::no_export:
      return QObject::tr(
          "There is no exported model of this type yet: export the fine-tuned model on the "
          "Quantize step first.");
    case DeployFailure::connection_lost:
      return QObject::tr(
          "The connection to the device was lost. Deploy again: the upload continues where it "
          "stopped, and the previous version stays current meanwhile.");
    case DeployFailure::other:
      break;
  }
  return QObject::tr("The command did not succeed. The details say why.");
}

UnknownHostKey unknown_host_key(const QString& detail) {
  static const QRegularExpression re(
      QStringLiteral("unknown host key (\\S+) (SHA256:[A-Za-z0-9+/=]+)"));
  const auto m = re.match(detail);
  if (!m.hasMatch()) return {};
  return {m.captured(1), m.captured(2)};
}

QString format_size(double bytes) {
  if (bytes >= 1024.0 * 1024 * 1024)
    return QStringLiteral("%1 GiB").arg(bytes / (1024.0 * 1024 * 1024), 0, 'f', 1);
  if (bytes >= 1024.0 * 1024)
    return QStringLiteral("%1 MiB").arg(bytes / (1024.0 * 1024), 0, 'f', 1);
  if (bytes >= 1024.0) return QStringLiteral("%1 KiB").arg(bytes / 1024.0, 0, 'f', 0);
  return QStringLiteral("%1 B").arg(bytes, 0, 'f', 0);
}

}  // namespace tinyllm::ui
