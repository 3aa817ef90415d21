#include "pretrain_page.h"

#include <qcustomplot.h>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QThread>
#include <QVBoxLayout>

#include "appearance.h"
#include "job_runner.h"
#include "model/config.h"
#include "pipeline/worker_events.h"
#include "project_session.h"

namespace tinyllm::ui {
using nlohmann::json;

namespace {

QCustomPlot* make_plot(const QString& y_label, int graphs) {
  auto* p = new QCustomPlot;
  p->setMinimumHeight(150);
  p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  p->xAxis->setLabel(QObject::tr("step"));
  p->yAxis->setLabel(y_label);
  for (int i = 0; i < graphs; ++i)
    p->addGraph();
  return p;
}

QString eta_text(double seconds) {
  if (seconds < 90) return QObject::tr("%1 s").arg(int(seconds));
  if (seconds < 5400) return QObject::tr("%1 min").arg(int(seconds / 60 + 0.5));
  return QObject::tr("%1 h %2 min").arg(int(seconds / 3600)).arg(int(seconds / 60) % 60);
}

// A rough speed for this CPU: what the trainer achieved per core on the 2-core build machine
// (small models reach a fraction of matmul peak); the worker measures the real figure at start.
double assumed_flops() {
  return 18e9 * std::max(1, QThread::idealThreadCount());
}

}  // namespace

PretrainPage::PretrainPage(ProjectSession& session, QWidget* parent)
    : QWidget(parent),
      session_(session),
      tokenizer_job_(new JobRunner(this)),
      train_job_(new JobRunner(this)) {
  auto* splitter = new QSplitter(Qt::Horizontal, this);
  auto* outer = new QHBoxLayout(this);
  outer->setContentsMargins(0, 0, 0, 0);
  outer->addWidget(splitter);

  auto* left = new QWidget;
  auto* lv = new QVBoxLayout(left);
  auto* tok = new QGroupBox(tr("1. Tokenizer"));
  auto* tf = new QFormLayout(tok);
  tf->addRow(new QLabel(
      tr("Splits the training text into pieces the model reads. Trained on your data.")));
  tokenizer_type_ = new QComboBox;
  tokenizer_type_->addItem(tr("BPE (recommended)"), QStringLiteral("bpe"));
  tokenizer_type_->addItem(tr("Unigram"), QStringLiteral("unigram"));
  tf->addRow(tr("&Kind:"), tokenizer_type_);
  vocab_ = new QSpinBox;
  vocab_->setRange(256, 65536);
  vocab_->setValue(2048);
  vocab_->setSingleStep(256);
  vocab_->setToolTip(
      tr("Recommended 2048 for small models: a large vocabulary makes most of a small "
         "model's weights embeddings."));
  tf->addRow(tr("&Vocabulary:"), vocab_);
  train_tokenizer_ = new QPushButton(tr("Train &tokenizer"));
  tf->addRow(train_tokenizer_);
  tokenizer_state_ = new QLabel;
  tokenizer_state_->setWordWrap(true);
  tf->addRow(tokenizer_state_);
  lv->addWidget(tok);

  auto* model = new QGroupBox(tr("2. Model and training"));
  auto* mf = new QFormLayout(model);
  preset_ = new QComboBox;
  for (const auto& p : model::presets())
    preset_->addItem(QString::fromStdString(p.name + " — " + p.description),
                     QString::fromStdString(p.name));
  preset_->setToolTip(
      tr("tiny and small train on a laptop CPU in minutes; d6-d12 are the paper's sizes "
         "and need a GPU."));
  mf->addRow(tr("&Size:"), preset_);
  steps_ = new QSpinBox;
  steps_->setRange(1, 10000000);
  steps_->setValue(1000);
  mf->addRow(tr("St&eps:"), steps_);
  estimate_ = new QLabel;
  estimate_->setWordWrap(true);
  mf->addRow(estimate_);
  auto* buttons = new QHBoxLayout;
  start_ = new QPushButton(tr("&Start"));
  stop_ = new QPushButton(tr("Sto&p"));
  stop_->setToolTip(tr("Writes a checkpoint, then stops. Resume continues from it."));
  resume_ = new QPushButton(tr("&Resume"));
  pause_ = new QPushButton(tr("P&ause"));
  pause_->setCheckable(true);
  pause_->setToolTip(tr("Freezes training where it is; press again to continue."));
  buttons->addWidget(start_);
  buttons->addWidget(pause_);
  buttons->addWidget(stop_);
  buttons->addWidget(resume_);
  mf->addRow(buttons);
  progress_ = new QProgressBar;
  mf->addRow(progress_);
  status_ = new QLabel;
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  mf->addRow(status_);
  lv->addWidget(model);
  lv->addWidget(
      new QLabel(tr("<b>Runs and checkpoints</b> (★ best validation loss; "
                    "double-click to show a run's curves)")));
  runs_ = new QListWidget;
  lv->addWidget(runs_, 1);
  splitter->addWidget(left);

  auto* right = new QWidget;
  auto* rv = new QVBoxLayout(right);
  log_scale_ = new QCheckBox(tr("&Logarithmic loss axis"));
  rv->addWidget(log_scale_);
  loss_plot_ = make_plot(tr("loss"), 3);
  loss_plot_->graph(0)->setName(tr("train"));
  loss_plot_->graph(0)->setPen(QPen(QColor(0x1f, 0x77, 0xb4, 90)));
  loss_plot_->graph(1)->setName(tr("train (smoothed)"));
  loss_plot_->graph(1)->setPen(QPen(QColor(0x1f, 0x77, 0xb4), 2));
  loss_plot_->graph(2)->setName(tr("validation"));
  loss_plot_->graph(2)->setPen(QPen(QColor(0xd6, 0x27, 0x28), 2));
  loss_plot_->graph(2)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 6));
  loss_plot_->legend->setVisible(true);
  rv->addWidget(loss_plot_, 3);
  auto* small = new QHBoxLayout;
  lr_plot_ = make_plot(tr("learning rate"), 1);
  speed_plot_ = make_plot(tr("tokens/s"), 1);
  small->addWidget(lr_plot_);
  small->addWidget(speed_plot_);
  rv->addLayout(small, 2);
  rv->addWidget(new QLabel(tr("Generated samples (what the model writes so far):")));
  samples_ = new QPlainTextEdit;
  samples_->setReadOnly(true);
  samples_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  samples_->setMaximumBlockCount(400);
  rv->addWidget(samples_, 2);
  splitter->addWidget(right);
  splitter->setStretchFactor(1, 3);
  remember_splitter(splitter, QStringLiteral("layout/pretrain_splitter"));

  connect(preset_, &QComboBox::currentIndexChanged, this, &PretrainPage::update_estimate);
  connect(steps_, &QSpinBox::valueChanged, this, &PretrainPage::update_estimate);
  connect(vocab_, &QSpinBox::valueChanged, this, &PretrainPage::update_estimate);
  connect(train_tokenizer_, &QPushButton::clicked, this, &PretrainPage::train_tokenizer);
  connect(start_, &QPushButton::clicked, this, [this] { start(false); });
  connect(resume_, &QPushButton::clicked, this, [this] { start(true); });
  connect(stop_, &QPushButton::clicked, this, &PretrainPage::stop_training);
  connect(pause_, &QPushButton::toggled, this, [this](bool paused) {
    train_job_->set_paused(paused);
    pause_->setText(paused ? tr("Contin&ue") : tr("P&ause"));
    if (paused) status_->setText(tr("Paused. Press Continue to go on."));
  });
  connect(log_scale_, &QCheckBox::toggled, this, [this](bool on) {
    loss_plot_->yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    loss_plot_->yAxis->setTicker(on ? QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog)
                                    : QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    loss_plot_->replot();
  });
  connect(tokenizer_job_, &JobRunner::finished, this,
          [this](int code, const QString&, const QString& err) {
            session_.set_running(Step::pretrain, false);
            progress_->setRange(0, 1);
            progress_->setValue(code == 0 ? 1 : 0);
            if (code != 0)
              tokenizer_state_->setText(
                  tr("<span style='color:#c62828'>%1</span>").arg(err.toHtmlEscaped()));
            session_.reload();
          });
  connect(train_job_, &JobRunner::lineReceived, this, &PretrainPage::on_event);
  connect(train_job_, &JobRunner::finished, this,
          [this](int code, const QString&, const QString& err) { on_finished(code, err); });
  connect(&session_, &ProjectSession::changed, this, &PretrainPage::refresh);
  connect(runs_, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
    const QString checkpoint = item->data(Qt::UserRole).toString();
    if (!checkpoint.isEmpty() && !train_job_->running()) show_run(QFileInfo(checkpoint).path());
  });
  refresh();
}

bool PretrainPage::training() const {
  return train_job_->running();
}

int PretrainPage::loss_points() const {
  return loss_plot_->graph(0)->dataCount();
}

void PretrainPage::refresh() {
  const bool open = session_.is_open();
  const bool prepared = open && session_.project().find_artifact("prepared");
  const auto* tokenizer = open ? session_.project().find_artifact("tokenizer") : nullptr;
  train_tokenizer_->setEnabled(prepared && !tokenizer_job_->running());
  if (!prepared) {
    tokenizer_state_->setText(tr("Prepare training text on the Data page first."));
  } else if (tokenizer) {
    const bool stale = session_.project().is_stale(*tokenizer);
    tokenizer_state_->setText(
        stale ? tr("<b>Stale:</b> the training text changed. Train the tokenizer again.")
              : tr("Trained: %1, vocabulary of %2 requested. Retrain after changing the text.")
                    .arg(QString::fromStdString(tokenizer->settings.value("model_type", "bpe"))
                             .toUpper())
                    .arg(tokenizer->settings.value("vocab_size", 0)));
  } else {
    tokenizer_state_->setText(tr("Not trained yet."));
  }
  const bool busy = train_job_->running();
  start_->setEnabled(tokenizer && !busy);
  resume_->setEnabled(tokenizer && !busy);
  stop_->setEnabled(busy);
  pause_->setEnabled(busy);
  if (!busy && pause_->isChecked()) {
    pause_->blockSignals(true);
    pause_->setChecked(false);
    pause_->setText(tr("P&ause"));
    pause_->blockSignals(false);
  }
  update_estimate();
  list_runs();
}

void PretrainPage::update_estimate() {
  auto config = model::preset(preset_->currentData().toString().toStdString());
  if (!config) {
    estimate_->setText(QString::fromStdString(config.error().to_string()));
    return;
  }
  config->n_vocab = vocab_->value();
  const int seq = config->n_ctx;
  const auto params = model::parameter_count(*config);
  const auto memory = model::estimate_memory(*config, 8, seq);
  const double tps = model::estimate_tokens_per_s(*config, seq, assumed_flops());
  const double seconds = model::estimate_seconds(int64_t(steps_->value()) * 8 * seq, tps);
  estimate_->setText(
      tr("%1 parameters, about %2 of memory; roughly %3 for %4 steps on this computer "
         "(%5 tokens/s, refined when training starts).")
          .arg(QString::fromStdString(model::format_count(params)),
               QString::fromStdString(model::format_bytes(memory.weights + memory.gradients +
                                                          memory.optimizer + memory.activations)),
               eta_text(seconds))
          .arg(steps_->value())
          .arg(int(tps)));
}

void PretrainPage::train_tokenizer() {
  if (!session_.is_open() || tokenizer_job_->running()) return;
  tokenizer_state_->setText(tr("Training the tokenizer..."));
  progress_->setRange(0, 0);  // busy: the trainer reports no fraction done
  session_.set_running(Step::pretrain, true);
  tokenizer_job_->start({QStringLiteral("tokenizer"), QStringLiteral("train"),
                         QStringLiteral("--project"), session_.folder(), QStringLiteral("--type"),
                         tokenizer_type_->currentData().toString(), QStringLiteral("--vocab"),
                         QString::number(vocab_->value()), QStringLiteral("--quiet")});
}

void PretrainPage::reset_plots() {
  for (auto* p : {loss_plot_, lr_plot_, speed_plot_}) {
    for (int i = 0; i < p->graphCount(); ++i)
      p->graph(i)->data()->clear();
    p->replot();
  }
  samples_->clear();
  have_smoothed_ = false;
}

void PretrainPage::start(bool resume) {
  if (!session_.is_open() || train_job_->running()) return;
  reset_plots();
  QStringList args = {QStringLiteral("train"),
                      QStringLiteral("--project"),
                      session_.folder(),
                      QStringLiteral("--json"),
                      QStringLiteral("--preset"),
                      preset_->currentData().toString(),
                      QStringLiteral("--steps"),
                      QString::number(steps_->value()),
                      QStringLiteral("--sample_every"),
                      QString::number(std::max(1, steps_->value() / 10))};
  if (resume) args << QStringLiteral("--resume");
  status_->setText(tr("Starting the training worker..."));
  progress_->setRange(0, steps_->value());
  progress_->setValue(0);
  session_.set_running(Step::pretrain, true);
  train_job_->start(args);
  refresh();
}

void PretrainPage::stop_training() {
  if (!train_job_->running()) return;
  status_->setText(tr("Stopping: writing a checkpoint..."));
  train_job_->cancel();
}

void PretrainPage::on_event(const QString& line) {
  const json e = json::parse(line.toStdString(), nullptr, false);
  if (!e.is_object() || !e.contains(events::kEvent)) return;
  const std::string kind = e[events::kEvent].get<std::string>();
  if (kind == events::kStart) {
    status_->setText(tr("Training %1 parameters on %2 (%3 threads).")
                         .arg(QString::fromStdString(e.value("params_text", "")),
                              QString::fromStdString(e.value("device", "")))
                         .arg(e.value("threads", 0)));
    progress_->setRange(0, e.value("steps", steps_->value()));
  } else if (kind == events::kStep) {
    const double step = e.value("step", 0), loss = e.value("loss", 0.0);
    smoothed_ = have_smoothed_ ? 0.9 * smoothed_ + 0.1 * loss : loss;
    have_smoothed_ = true;
    loss_plot_->graph(0)->addData(step, loss);
    loss_plot_->graph(1)->addData(step, smoothed_);
    lr_plot_->graph(0)->addData(step, e.value("lr", 0.0));
    speed_plot_->graph(0)->addData(step, e.value("tokens_per_s", 0.0));
    progress_->setValue(int(step));
    status_->setText(tr("Step %1 of %2: loss %3, %4 tokens/s, %5 left.")
                         .arg(int(step))
                         .arg(e.value("steps", 0))
                         .arg(loss, 0, 'f', 3)
                         .arg(int(e.value("tokens_per_s", 0.0)))
                         .arg(eta_text(e.value("eta_s", 0.0))));
    if (!replaying_) rescale_plots();
  } else if (kind == events::kVal) {
    loss_plot_->graph(2)->addData(e.value("step", 0), e.value("val_loss", 0.0));
    loss_plot_->replot(QCustomPlot::rpQueuedReplot);
  } else if (kind == events::kSample) {
    samples_->appendPlainText(
        tr("— step %1 —\n%2\n")
            .arg(e.value("step", 0))
            .arg(QString::fromStdString(e.contains("text") ? e["text"].get<std::string>()
                                                           : e["tokens"].dump())));
  } else if (kind == events::kCheckpoint) {
    list_runs();
  } else if (kind == events::kDone) {
    status_->setText(
        tr("Finished (%1) at step %2; best validation loss %3.")
            .arg(QString::fromStdString(e.value("reason", "")))
            .arg(e.value("step", 0))
            .arg(e["best_val_loss"].is_number() ? e["best_val_loss"].get<double>() : 0.0, 0, 'f',
                 3));
  } else if (kind == events::kError) {
    status_->setText(tr("<span style='color:#c62828'>Training stopped: %1</span>")
                         .arg(QString::fromStdString(e.value("message", "")).toHtmlEscaped()));
  }
}

void PretrainPage::on_finished(int code, const QString& error_tail) {
  session_.set_running(Step::pretrain, false);
  if (code != 0 && !status_->text().contains(tr("Training stopped"))) {
    status_->setText(
        tr("<span style='color:#c62828'>The training worker stopped unexpectedly. Last "
           "lines of its log:</span><pre>%1</pre>")
            .arg(error_tail.toHtmlEscaped()));
  }
  refresh();
  emit trainingFinished(code == 0);
}

void PretrainPage::rescale_plots() {
  for (auto* p : {loss_plot_, lr_plot_, speed_plot_}) {
    p->rescaleAxes();
    p->replot(QCustomPlot::rpQueuedReplot);
  }
}

void PretrainPage::show_run(const QString& run_folder) {
  QFile file(run_folder + QStringLiteral("/events.jsonl"));
  if (!file.open(QIODevice::ReadOnly)) {
    status_->setText(tr("This run has no recorded curves (it was made by an older version)."));
    return;
  }
  reset_plots();
  // Rescaling once at the end keeps a long run's replay linear in its length.
  replaying_ = true;
  while (!file.atEnd())
    on_event(QString::fromUtf8(file.readLine()).trimmed());
  replaying_ = false;
  rescale_plots();
  status_->setText(
      tr("Showing the recorded run %1. %2").arg(QFileInfo(run_folder).fileName(), status_->text()));
}

void PretrainPage::list_runs() {
  runs_->clear();
  if (!session_.is_open()) return;
  QDir checkpoints(QString::fromStdString((session_.project().root / "checkpoints").string()));
  for (const QString& run : checkpoints.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
    QDir dir(checkpoints.filePath(run));
    for (const QString& ck : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
      const bool best = ck == QStringLiteral("best");
      auto* item = new QListWidgetItem(
          QStringLiteral("%1%2 / %3").arg(best ? QStringLiteral("★ ") : QString(), run, ck), runs_);
      item->setData(Qt::UserRole, dir.filePath(ck));
    }
  }
  if (runs_->count() == 0) runs_->addItem(tr("(no runs yet)"));
}

}  // namespace tinyllm::ui
