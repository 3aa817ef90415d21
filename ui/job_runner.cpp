#include "job_runner.h"

#include "pipeline/worker_events.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QTimer>

#include <csignal>

namespace tinyllm::ui {

JobRunner::JobRunner(QObject* parent) : QObject(parent) {
  // The window has no terminal to ask a password on: the CLI asks through stdout/stdin instead
  // and the page that runs it shows a dialog (send_secret).
  auto env = QProcessEnvironment::systemEnvironment();
  env.insert(QStringLiteral("TINYLLM_ASK_VIA_STDIO"), QStringLiteral("1"));
  process_.setProcessEnvironment(env);
  connect(&process_, &QProcess::readyReadStandardOutput, this, &JobRunner::read_stdout);
  connect(&process_, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
    read_stdout();
    if (!pending_.isEmpty()) {
      output_ += QString::fromUtf8(pending_);
      emit lineReceived(QString::fromUtf8(pending_));
      pending_.clear();
    }
    QStringList err =
        QString::fromUtf8(process_.readAllStandardError()).split('\n', Qt::SkipEmptyParts);
    if (err.size() > 20) err = err.mid(err.size() - 20);
    QString tail = err.join('\n');
    if (status == QProcess::CrashExit) {
      tail += QStringLiteral("\n(the worker process crashed)");
      code = -1;
    }
    emit finished(code, output_, tail);
  });
  connect(&process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
    if (e == QProcess::FailedToStart)
      emit finished(-1, {},
                    tr("Could not start %1: %2").arg(process_.program(), process_.errorString()));
  });
}

JobRunner::~JobRunner() {
  // Killing the process makes QProcess emit finished() here, inside the destructor. The owner
  // (a page) is usually half destroyed by now -- QWidget deletes its children after its own
  // members are gone -- so no signal may reach it.
  blockSignals(true);
  process_.disconnect(this);
  if (process_.state() != QProcess::NotRunning) {
    process_.kill();
    process_.waitForFinished(2000);
  }
}

QString JobRunner::cli_path() {
  const QString env = qEnvironmentVariable("TINYLLM_CLI");
  if (!env.isEmpty()) return env;
  return QCoreApplication::applicationDirPath() + QStringLiteral("/tinyllm");
}

QString JobRunner::runtime_path() {
  return QFileInfo(cli_path()).absolutePath() + QStringLiteral("/tinyllm-run");
}

bool JobRunner::running() const {
  return process_.state() != QProcess::NotRunning;
}

void JobRunner::start(const QStringList& args, const QString& program) {
  paused_ = false;
  output_.clear();
  pending_.clear();
  process_.start(program.isEmpty() ? cli_path() : program, args);
}

void JobRunner::set_paused(bool paused) {
  if (!running() || paused == paused_) return;
  const char* command = paused ? events::kControlPause : events::kControlResume;
  process_.write(QStringLiteral("{\"%1\":\"%2\"}\n")
                     .arg(QLatin1String(events::kControl), QLatin1String(command))
                     .toUtf8());
  paused_ = paused;
}

void JobRunner::send_secret(const QString& secret) {
  if (!running()) return;
  QByteArray line = secret.toUtf8();
  line.append('\n');
  process_.write(line);
  line.fill('\0');  // no copy of the secret stays in this process's memory longer than needed
}

void JobRunner::close_input() {
  if (running()) process_.closeWriteChannel();
}

void JobRunner::send_line(const QByteArray& line) {
  if (!running()) return;
  process_.write(line.endsWith('\n') ? line : line + '\n');
}

bool JobRunner::wait_for_finished(int ms) {
  return !running() || process_.waitForFinished(ms);
}

qint64 JobRunner::process_id() const {
  return running() ? process_.processId() : 0;
}

void JobRunner::cancel() {
  if (!running()) return;
  // A paused worker acts on the stop request too (it checkpoints at the step it paused at).
  ::kill(pid_t(process_.processId()), SIGINT);
  // The worker finishes its step and writes a checkpoint first: on a busy CPU a step of a
  // small model alone can take several seconds.
  QTimer::singleShot(60000, this, [this] {
    if (running()) process_.kill();
  });
}

void JobRunner::read_stdout() {
  pending_ += process_.readAllStandardOutput();
  int nl;
  while ((nl = pending_.indexOf('\n')) >= 0) {
    const QString line = QString::fromUtf8(pending_.left(nl));
    pending_.remove(0, nl + 1);
    output_ += line + '\n';
    emit lineReceived(line);
  }
}

}  // namespace tinyllm::ui
