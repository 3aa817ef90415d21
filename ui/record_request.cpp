#include "record_request.h"

#include <QObject>

namespace tinyllm::ui {

QString missing_for_take(const TakeSettings& take) {
  if (take.device.isEmpty())
    return QObject::tr("Add a device on the Deploy page first (the Pi that has the sensor).");
  if (take.source.isEmpty() && take.command.trimmed().isEmpty())
    return QObject::tr("Choose the sensor, or type the command that prints its readings.");
  if (take.label.trimmed().isEmpty()) return QObject::tr("Give the take a label.");
  return {};
}

QStringList record_arguments(const TakeSettings& take) {
  QStringList args = {QStringLiteral("record"), QStringLiteral("--project"), take.project,
                      QStringLiteral("--device"), take.device};
  if (!take.source.isEmpty())
    args << QStringLiteral("--source") << take.source;
  else
    args << QStringLiteral("--command") << take.command.trimmed();
  args << QStringLiteral("--label") << take.label.trimmed();
  if (!take.person.trimmed().isEmpty()) args << QStringLiteral("--person") << take.person.trimmed();
  if (take.seconds > 0) args << QStringLiteral("--seconds") << QString::number(take.seconds);
  if (take.scans > 0) args << QStringLiteral("--scans") << QString::number(take.scans);
  if (take.live)
    args << QStringLiteral("--live") << QStringLiteral("--threshold")
         << QString::number(take.threshold) << QStringLiteral("--smooth")
         << QString::number(take.smooth);
  args << QStringLiteral("--json");
  return args;
}

}  // namespace tinyllm::ui
