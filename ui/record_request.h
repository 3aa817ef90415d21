// A take as the Record dialog asks for it, and the `tinyllm record` command line that records it
// (app/tinyllm/cmd_record.cpp). No widgets.
#pragma once

#include <QString>
#include <QStringList>

namespace tinyllm::ui {

struct TakeSettings {
  QString project;         // the project folder
  QString device;          // a device profile of the project
  QString source;          // the device's sensor source; empty: `command` instead
  QString command;         // a command typed by the user, run by the device's shell
  QString label;           // the take's class: a gesture, or the zone of RSSI scans
  QString person;          // who recorded it; may be empty
  double seconds = 0;      // 0: until Stop (or until the command ends)
  int scans = 0;           // RSSI: stop after this many scans; 0: no limit
  bool live = false;       // classify on the device with its deployed model while recording
  double threshold = 0.5;  // live: below this confidence the device shows "none"
  int smooth = 3;          // live: the majority of the last N windows is shown
};

// Empty when the settings are complete, else what is missing, in words.
QString missing_for_take(const TakeSettings& take);
// `record --project P --device D (--source S | --command C) --label L ... --json`
QStringList record_arguments(const TakeSettings& take);

}  // namespace tinyllm::ui
