#include "try_it_server.h"

#include <QTimer>

#include <algorithm>

#include "job_runner.h"

namespace tinyllm::ui {

using nlohmann::json;

namespace {

// How long a server may take to stop the runtime on the device and exit once its stdin closed.
constexpr int kStopGraceMs = 15000;
// At shutdown (the page goes away): how long to wait before the kill.
constexpr int kShutdownWaitMs = 5000;

}  // namespace

TryItServer::TryItServer(QObject* parent) : QObject(parent) {}

TryItServer::~TryItServer() {
  // The current server and any still stopping: each asked to stop, then given the rest of a
  // few seconds together; a runner (a child of this object) kills what has not ended by then.
  QElapsedTimer waited;
  waited.start();
  const auto jobs = findChildren<JobRunner*>(Qt::FindDirectChildrenOnly);
  for (JobRunner* job : jobs) {
    job->disconnect(this);
    job->close_input();
  }
  for (JobRunner* job : jobs)
    job->wait_for_finished(int(std::max<qint64>(0, kShutdownWaitMs - waited.elapsed())));
}

bool TryItServer::running() const {
  return job_ && job_->running();
}

qint64 TryItServer::process_id() const {
  return job_ ? job_->process_id() : 0;
}

void TryItServer::send(const Key& key, const json& request) {
  if (running() && !(key == key_)) stop();
  if (!running()) {
    stop();  // a runner that ended on its own
    key_ = key;
    ready_ = false;
    queued_.clear();
    sent_.clear();
    job_ = new JobRunner(this);
    connect(job_, &JobRunner::lineReceived, this, &TryItServer::on_line);
    connect(job_, &JobRunner::finished, this,
            [this](int code, const QString&, const QString& err) { on_finished(code, err); });
    job_->start({QStringLiteral("remote"), QStringLiteral("serve"), QStringLiteral("--project"),
                 key.project, QStringLiteral("--device"), key.device});
    emit starting(key.device);
  }
  QByteArray line = QByteArray::fromStdString(request.dump());
  line.append('\n');
  if (ready_) {
    sent_.emplace_back().start();
    job_->send_line(line);
  } else {
    queued_.push_back(line);  // the CLI may first ask for a password on the same stdin
  }
}

void TryItServer::stop() {
  ready_ = false;
  queued_.clear();
  sent_.clear();
  if (!job_) return;
  JobRunner* old = job_;
  job_ = nullptr;
  retire(old);
}

void TryItServer::retire(JobRunner* job) {
  job->disconnect(this);
  if (!job->running()) {
    job->deleteLater();
    return;
  }
  connect(job, &JobRunner::finished, job, &QObject::deleteLater);
  job->close_input();
  QPointer<JobRunner> guard(job);
  QTimer::singleShot(kStopGraceMs, job, [guard] {
    if (guard && guard->running()) guard->cancel();  // SIGINT: the CLI's connection drops
  });
}

void TryItServer::on_line(const QString& line) {
  if (!line.startsWith(QLatin1Char('{'))) return;
  const json message = json::parse(line.toStdString(), nullptr, false);
  if (!message.is_object()) return;
  const std::string event = message.value("event", "");
  if (event == "ask") {
    emit askSecret(QString::fromStdString(message.value("prompt", "")));
    return;
  }
  if (event == "ready") {
    ready_ = true;
    // The queued requests' round trips count from now: their wait for the start is shown apart.
    while (!queued_.empty()) {
      sent_.emplace_back().start();
      job_->send_line(queued_.front());
      queued_.pop_front();
    }
    emit serverReady(message);
    return;
  }
  if (sent_.empty()) return;  // an answer nobody waits for (the CLI's last words on a failure)
  const double ms = double(sent_.front().nsecsElapsed()) / 1e6;
  sent_.pop_front();
  emit answered(message, ms);
}

void TryItServer::on_finished(int code, const QString& error_tail) {
  const bool pending = waiting();
  JobRunner* done = job_;
  job_ = nullptr;
  ready_ = false;
  queued_.clear();
  sent_.clear();
  if (done) done->deleteLater();
  if (code != 0) emit failed(error_tail, pending);
}

}  // namespace tinyllm::ui
