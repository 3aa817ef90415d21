#include "training_controls.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QObject>
#include <QPushButton>

#include "job_runner.h"
#include "project_session.h"

namespace tinyllm::ui {

namespace {

QString pause_text(bool paused) {
  return paused ? QObject::tr("Contin&ue") : QObject::tr("P&ause");
}

}  // namespace

TrainingControls make_training_controls(const QString& pause_tip) {
  TrainingControls c;
  c.row = new QHBoxLayout;
  c.start = new QPushButton(QObject::tr("&Start"));
  c.pause = new QPushButton(pause_text(false));
  c.pause->setCheckable(true);
  c.pause->setToolTip(pause_tip);
  c.stop = new QPushButton(QObject::tr("Sto&p"));
  c.stop->setToolTip(
      QObject::tr("Writes a checkpoint (a saved copy of the model and the training state), then "
                  "stops. Resume continues from it."));
  c.resume = new QPushButton(QObject::tr("&Resume"));
  c.resume->setToolTip(QObject::tr("Continues the newest stopped run from its last checkpoint."));
  for (auto* b : {c.start, c.pause, c.stop, c.resume})
    c.row->addWidget(b);
  return c;
}

void connect_pause(const TrainingControls& controls, ProjectSession& session, Step step,
                   JobRunner* worker, QLabel* status) {
  QPushButton* pause = controls.pause;
  QObject::connect(pause, &QPushButton::toggled, pause,
                   [&session, step, worker, status, pause](bool paused) {
                     session.set_paused(step, paused);
                     worker->set_paused(paused);
                     pause->setText(pause_text(paused));
                     status->setText(paused ? QObject::tr("Pausing after the current step...")
                                            : QObject::tr("Continuing..."));
                   });
}

void enable_worker_buttons(const TrainingControls& controls, bool running) {
  controls.stop->setEnabled(running);
  controls.pause->setEnabled(running);
  if (!running && controls.pause->isChecked()) {
    controls.pause->blockSignals(true);
    controls.pause->setChecked(false);
    controls.pause->setText(pause_text(false));
    controls.pause->blockSignals(false);
  }
}

void stop_worker(JobRunner* worker, QLabel* status) {
  if (!worker->running()) return;
  status->setText(QObject::tr("Stopping: writing a checkpoint..."));
  worker->cancel();
}

}  // namespace tinyllm::ui
