// The controls both training pages (Pre-train, Fine-tune) give their worker: Start, Pause, Stop
// and Resume in one row, and what Pause and Stop do to the worker and say in the page's status
// line. The page decides when Start and Resume apply and what they start.
#pragma once

#include <QString>

class QHBoxLayout;
class QLabel;
class QPushButton;

namespace tinyllm::ui {

class JobRunner;
class ProjectSession;
enum class Step;  // project_session.h

struct TrainingControls {
  QHBoxLayout* row = nullptr;  // the four buttons, in the order below
  QPushButton* start = nullptr;
  QPushButton* pause = nullptr;  // checkable: down while the worker is (asked to be) paused
  QPushButton* stop = nullptr;
  QPushButton* resume = nullptr;
};

// The buttons with their tooltips; `pause_tip` is the page's own words for Pause.
TrainingControls make_training_controls(const QString& pause_tip);

// Pause halts `worker` after its current step (the session shows `step` paused) and, pressed
// again, lets it go on; the button and `status` say which.
void connect_pause(const TrainingControls& controls, ProjectSession& session, Step step,
                   JobRunner* worker, QLabel* status);

// Stop and Pause apply while the worker runs. A Pause left down by a run that has ended comes up
// without a word to the worker (there is none).
void enable_worker_buttons(const TrainingControls& controls, bool running);

// Asks the worker to checkpoint and stop; a paused worker stops from where it is (the stop request
// ends its pause). Nothing when none runs.
void stop_worker(JobRunner* worker, QLabel* status);

}  // namespace tinyllm::ui
