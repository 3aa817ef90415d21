// The first screen: start a project from the built-in demo or from your own files, reopen a
// recent one, or open a folder. A project that fails to open shows why, in place.
#pragma once

#include <QWidget>

class QLabel;
class QListWidget;
class QPushButton;

namespace tinyllm::ui {

class StartPage : public QWidget {
  Q_OBJECT
 public:
  explicit StartPage(QWidget* parent = nullptr);

  void set_recent(const QStringList& folders);
  void show_error(const QString& message);
  QString error_text() const;
  QPushButton* demo_button() const { return demo_; }

 signals:
  void newDemoRequested(const QString& kind);  // "imu" or "rssi"
  void newProjectRequested();
  void openRequested(const QString& folder);  // empty: ask for a folder

 private:
  QPushButton* demo_;
  QListWidget* recent_;
  QLabel* error_;
};

}  // namespace tinyllm::ui
