// Runs a tinyllm CLI command as a separate process, so long work never blocks the window and a
// crash in it never takes the window down. GUI and headless use the same code path.
#pragma once

#include <QObject>
#include <QProcess>
#include <QStringList>

namespace tinyllm::ui {

class JobRunner : public QObject {
  Q_OBJECT
 public:
  explicit JobRunner(QObject* parent = nullptr);
  ~JobRunner() override;

  // The tinyllm executable next to this program (or $TINYLLM_CLI).
  static QString cli_path();
  // The desktop's edge runtime, tinyllm-run, next to that tinyllm.
  static QString runtime_path();

  bool running() const;
  // Starts `tinyllm <args>` (or `program <args>`); output lines arrive through lineReceived, the
  // end through finished.
  void start(const QStringList& args, const QString& program = {});
  void cancel();  // SIGINT first (the worker checkpoints), SIGKILL after a minute's grace
  // Asks a training worker to pause at its next step boundary, or to go on: a control line on
  // its stdin (docs/events.md), which the tinyllm relay forwards to every worker process. The
  // worker confirms with "paused"/"resumed" events.
  void set_paused(bool paused);
  bool paused() const { return paused_; }
  // Answers a CLI's {"event":"ask"} (a password or key passphrase, TINYLLM_ASK_VIA_STDIO) with
  // one line on its stdin. The secret goes to the process only: never logged, never stored.
  void send_secret(const QString& secret);
  // Closes the process's stdin: a CLI waiting for an answer sees the question cancelled, and a
  // CLI reading requests (tinyllm remote serve) ends.
  void close_input();
  // Writes one line (a request to tinyllm remote serve) to the process's stdin.
  void send_line(const QByteArray& line);
  // Waits up to `ms` for the process to end (no event loop: for shutdown); true when it ended.
  bool wait_for_finished(int ms);
  qint64 process_id() const;  // the tinyllm process (the relay), 0 when none

 signals:
  void lineReceived(const QString& line);
  // exit_code 0 = success; `output` is all of stdout, `error_tail` the last lines of stderr.
  void finished(int exit_code, const QString& output, const QString& error_tail);

 private:
  void read_stdout();

  QProcess process_;
  QByteArray pending_;
  QString output_;
  bool paused_ = false;
};

}  // namespace tinyllm::ui
