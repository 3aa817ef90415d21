// The Deploy page's "Try it" server: one `tinyllm remote serve` process (core/deploy
// model_server: the model kept loaded on the device behind an SSH tunnel) per project, device and
// version, so that only the first try waits for the model to load there. Each try is one request
// line on its stdin; each answer one line on its stdout.
//
// Another key stops the old server and starts a new one; stop() ends it (its stdin closed: the
// CLI stops the runtime on the device and exits; killed if it has not after a grace period); the
// destructor waits for that briefly, then kills. A killed CLI drops its SSH connection, and the
// device's sshd then ends the runtime as well, so nothing is left running in either place.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QString>

#include <deque>

#include <nlohmann/json.hpp>

namespace tinyllm::ui {

class JobRunner;

class TryItServer : public QObject {
  Q_OBJECT
 public:
  struct Key {
    QString project;  // the project folder
    QString device;
    QString version;  // the version installed last ("" when none is recorded)
    bool operator==(const Key& other) const = default;
  };

  explicit TryItServer(QObject* parent = nullptr);
  ~TryItServer() override;

  // Sends one request to the server for `key`, starting it first when none runs for that key.
  void send(const Key& key, const nlohmann::json& request);
  // Ends the server, if one runs.
  void stop();

  bool running() const;  // a server process exists (starting or ready)
  bool ready() const { return running() && ready_; }
  bool waiting() const { return !sent_.empty() || !queued_.empty(); }  // requests not answered
  const Key& key() const { return key_; }
  qint64 process_id() const;               // the tinyllm CLI's process, 0 when none
  JobRunner* job() const { return job_; }  // for answering its password questions

 signals:
  void starting(const QString& device);           // a new server: the model loads on the device
  void serverReady(const nlohmann::json& event);  // {"event":"ready","version","start_ms",...}
  // An answer (the runtime's object, or {"error": ...}); `round_trip_ms` from the request's
  // line written to the answer read, which for the first request includes the start.
  void answered(const nlohmann::json& answer, double round_trip_ms);
  void askSecret(const QString& prompt);
  // The server ended unexpectedly: `detail` is the CLI's stderr (why), `pending` whether a
  // request was waiting for an answer.
  void failed(const QString& detail, bool pending);

 private:
  void on_line(const QString& line);
  void on_finished(int code, const QString& error_tail);
  void retire(JobRunner* job);  // stops a runner in the background and deletes it after

  QPointer<JobRunner> job_;
  Key key_;
  bool ready_ = false;
  std::deque<QByteArray> queued_;   // written once the server is ready (after any password)
  std::deque<QElapsedTimer> sent_;  // one per request written, oldest first
};

}  // namespace tinyllm::ui
