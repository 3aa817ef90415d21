#include "pretrain_page.h"

#include <qcustomplot.h>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
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
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QThread>
#include <QVBoxLayout>

#include "appearance.h"
#include "job_runner.h"
#include "model/config.h"
#include "pipeline/pretrain_step.h"
#include "pipeline/worker_events.h"
#include "project_session.h"
#include "run_display.h"
#include "run_on_picker.h"
#include "text/tokenizer.h"
#include "training_controls.h"

namespace tinyllm::ui {
using nlohmann::json;

namespace {

QCustomPlot* make_plot(const QString& y_label, int graphs) {
  auto* p = new QCustomPlot;
  p->setMinimumHeight(150);
  p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  p->xAxis->setLabel(QObject::tr("step"));
  integer_ticks(p->xAxis);
  p->yAxis->setLabel(y_label);
  for (int i = 0; i < graphs; ++i)
    p->addGraph();
  return p;
}

// A rough speed for this CPU: what the trainer achieved per core on the 2-core build machine
// (small models reach a fraction of matmul peak); the worker measures the real figure at start.
double assumed_flops() {
  return 18e9 * std::max(1, QThread::idealThreadCount());
}

// Heads the worker's own error in the status line (and tells it from a crash).
QString stopped_words() {
  return QObject::tr("Training stopped");
}

}  // namespace

PretrainPage::PretrainPage(ProjectSession& session, QWidget* parent)
    : QWidget(parent),
      session_(session),
      tokenizer_job_(new JobRunner(this)),
      train_job_(new JobRunner(this)) {
  auto* splitter = fill_with_splitter(this);

  auto* left = new QWidget;
  auto* lv = new QVBoxLayout(left);
  auto* tok = new QGroupBox(tr("1. Tokenizer"));
  auto* tf = new QFormLayout(tok);
  tf->addRow(new QLabel(
      tr("Splits the training text into pieces the model reads. Trained on your data.")));
  tokenizer_type_ = new QComboBox;
  tokenizer_type_->addItem(tr("BPE (recommended)"), QStringLiteral("bpe"));
  tokenizer_type_->addItem(tr("Unigram"), QStringLiteral("unigram"));
  tokenizer_type_->setToolTip(
      tr("BPE (byte-pair encoding) starts from single characters and keeps merging the most "
         "frequent neighbours into longer pieces. Unigram starts large and drops the least "
         "useful pieces. Both give the same kind of tokenizer."));
  tf->addRow(tr("&Kind:"), tokenizer_type_);
  vocab_ = new QSpinBox;
  vocab_->setRange(256, 65536);
  vocab_->setValue(2048);
  vocab_->setSingleStep(256);
  vocab_->setToolTip(
      tr("The vocabulary is the set of text pieces (tokens) the model knows; the model reads and "
         "writes one piece at a time. Small text may yield fewer pieces than asked for. "
         "Recommended 2048 for small models: a large vocabulary makes most of a small model's "
         "weights embeddings."));
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
         "and need a GPU. The context is how many tokens the model sees at once: an example "
         "longer than that is cut."));
  mf->addRow(tr("&Size:"), preset_);
  steps_ = new QSpinBox;
  steps_->setRange(1, 10000000);
  steps_->setValue(1000);
  mf->addRow(tr("St&eps:"), steps_);
  run_on_ = make_run_on_picker();
  mf->addRow(tr("Run &on:"), run_on_);
  gpus_per_host_ = make_gpus_per_host(run_on_);
  mf->addRow(gpus_per_host_);
  estimate_ = new QLabel;
  estimate_->setWordWrap(true);
  mf->addRow(estimate_);
  controls_ = make_training_controls(
      tr("Halts training after the current step; the worker then uses no CPU. Press again to "
         "continue."));
  mf->addRow(controls_.row);
  progress_ = new QProgressBar;
  mf->addRow(progress_);
  status_ = new QLabel;
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  mf->addRow(status_);
  lv->addWidget(model);
  auto* runs_title =
      new QLabel(tr("<b>Runs and checkpoints</b> (★ best validation loss; "
                    "double-click to show a run's curves)"));
  runs_title->setWordWrap(true);
  runs_title->setToolTip(
      tr("A checkpoint is a saved copy of the model and its training state at one step. "
         "Validation loss is measured on text held out from training: it shows how well the "
         "model does on text it has not learned by heart."));
  lv->addWidget(runs_title);
  runs_ = new QListWidget;
  lv->addWidget(runs_, 1);
  splitter->addWidget(left);

  auto* right = new QWidget;
  auto* rv = new QVBoxLayout(right);
  auto* view_row = new QHBoxLayout;
  log_scale_ = new QCheckBox(tr("&Logarithmic loss axis"));
  view_row->addWidget(log_scale_);
  view_row->addStretch(1);
  smoothing_label_ = new QLabel;
  view_row->addWidget(smoothing_label_);
  smoothing_ = new QSlider(Qt::Horizontal);
  smoothing_->setRange(0, 50);
  smoothing_->setValue(10);
  smoothing_->setMaximumWidth(180);
  smoothing_->setAccessibleName(tr("Smoothing"));
  smoothing_->setToolTip(
      tr("How many steps on either side are averaged into the smoothed loss. The window is "
         "centred, so the smoothed line does not lag behind the raw one; near the newest step "
         "it narrows."));
  smoothing_label_->setBuddy(smoothing_);
  view_row->addWidget(smoothing_);
  rv->addLayout(view_row);
  loss_plot_ = make_plot(tr("loss"), 3);
  loss_plot_->graph(0)->setName(tr("train"));
  loss_plot_->graph(0)->setPen(QPen(QColor(0x1f, 0x77, 0xb4, 90)));
  loss_plot_->graph(1)->setName(tr("train (smoothed)"));
  loss_plot_->graph(1)->setPen(QPen(QColor(0x1f, 0x77, 0xb4), 2));
  loss_plot_->graph(2)->setName(tr("validation (held-out text)"));
  loss_plot_->graph(2)->setPen(QPen(QColor(0xd6, 0x27, 0x28), 2));
  loss_plot_->graph(2)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 6));
  loss_plot_->legend->setVisible(true);
  rv->addWidget(loss_plot_, 3);
  auto* small = new QHBoxLayout;
  lr_plot_ = make_plot(tr("learning rate"), 1);
  speed_plot_ = make_plot(tr("tokens/s"), 1);
  // Orange and green stay readable on the light and the dark palette (style_plot adjusts them).
  lr_plot_->graph(0)->setPen(QPen(QColor(0xff, 0x7f, 0x0e), 1.5));
  speed_plot_->graph(0)->setPen(QPen(QColor(0x2c, 0xa0, 0x2c), 1.5));
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
  connect(controls_.start, &QPushButton::clicked, this, [this] { start(false); });
  connect(controls_.resume, &QPushButton::clicked, this, [this] { start(true); });
  connect(controls_.stop, &QPushButton::clicked, this, &PretrainPage::stop_training);
  connect_pause(controls_, session_, Step::pretrain, train_job_, status_);
  auto show_smoothing = [this](int radius) {
    smoothing_label_->setText(radius == 0 ? tr("&Smoothing: off")
                                          : tr("&Smoothing: ±%1 steps").arg(radius));
  };
  show_smoothing(smoothing_->value());
  connect(smoothing_, &QSlider::valueChanged, this, [this, show_smoothing](int radius) {
    show_smoothing(radius);
    resmooth(0);
    loss_plot_->replot(QCustomPlot::rpQueuedReplot);
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
            session_.reload();
            if (code != 0)
              tokenizer_state_->setText(
                  tr("<span style='color:#c62828'>%1</span>").arg(err.toHtmlEscaped()));
            if (!busy()) emit allJobsFinished();
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

bool PretrainPage::busy() const {
  return train_job_->running() || tokenizer_job_->running();
}

void PretrainPage::stop_all() {
  if (tokenizer_job_->running()) tokenizer_job_->cancel();
  stop_training();
}

int PretrainPage::loss_points() const {
  return loss_plot_->graph(0)->dataCount();
}

void PretrainPage::switch_project() {
  shown_folder_ = session_.folder();
  reset_plots();
  status_->clear();
  progress_->setRange(0, 1);
  progress_->setValue(0);
  measured_tokens_per_s_ = 0;
  measured_preset_.clear();
  // The newest recorded run of this project, if any, so its curves are where the user left them.
  const QString run = resumable_run();
  if (!run.isEmpty())
    show_run(QString::fromStdString((session_.project().root / "checkpoints").string()) + '/' +
             run);
}

void PretrainPage::refresh() {
  const bool open = session_.is_open();
  const bool prepared = open && session_.project().find_artifact("prepared");
  const auto* tokenizer = open ? session_.project().find_artifact("tokenizer") : nullptr;
  // The tokenizer itself, not what was asked of it: sizes and samples come from its vocabulary.
  tokenizer_.reset();
  if (tokenizer) {
    const auto model = session_.project().root / "tokenizer" / "tokenizer.model";
    if (auto loaded = text::Tokenizer::load(model))
      tokenizer_ = std::make_shared<const text::Tokenizer>(std::move(*loaded));
  }
  // (Loaded first: a switch replays the project's run, whose samples need its tokenizer.)
  if (session_.folder() != shown_folder_ && !train_job_->running()) switch_project();
  train_tokenizer_->setEnabled(prepared && !tokenizer_job_->running());
  if (!prepared) {
    tokenizer_state_->setText(tr("Prepare training text on the Data page first."));
  } else if (tokenizer) {
    const bool stale = session_.project().is_stale(*tokenizer);
    const int requested = tokenizer->settings.value("vocab_size", 0);
    const int made = tokenizer_ ? tokenizer_->vocab_size() : 0;
    const QString kind =
        QString::fromStdString(tokenizer->settings.value("model_type", "bpe")).toUpper();
    QString text;
    if (stale)
      text = tr("<b>Stale:</b> the training text changed. Train the tokenizer again.");
    else if (made == 0)
      text = tr("The tokenizer file cannot be read. Train the tokenizer again.");
    else if (requested > 0 && made < requested)
      text = tr("Trained: %1, vocabulary of %2 pieces (%3 were asked for; the text has fewer "
                "distinct pieces). Retrain after changing the text.")
                 .arg(kind)
                 .arg(made)
                 .arg(requested);
    else
      text = tr("Trained: %1, vocabulary of %2 pieces. Retrain after changing the text.")
                 .arg(kind)
                 .arg(made);
    tokenizer_state_->setText(text);
  } else {
    tokenizer_state_->setText(tr("Not trained yet."));
  }
  const bool busy = train_job_->running();
  controls_.start->setEnabled(tokenizer && !busy);
  controls_.resume->setEnabled(tokenizer && !busy && !resumable_run().isEmpty());
  enable_worker_buttons(controls_, busy);
  update_estimate();
  fill_run_on_picker(run_on_,
                     session_.is_open() ? session_.project().root : std::filesystem::path());
  update_gpus_per_host(gpus_per_host_, run_on_);
  list_runs();
}

void PretrainPage::update_estimate() {
  auto config = model::preset(preset_->currentData().toString().toStdString());
  if (!config) {
    estimate_->setText(QString::fromStdString(config.error().to_string()));
    return;
  }
  // The trainer sizes the model to the tokenizer's real vocabulary; before there is one, to the
  // vocabulary asked for.
  config->n_vocab = tokenizer_ ? tokenizer_->vocab_size() : vocab_->value();
  const int seq = config->n_ctx;
  const auto params = model::parameter_count(*config);
  const auto memory = model::estimate_memory(*config, 8, seq);
  const bool measured =
      measured_tokens_per_s_ > 0 && measured_preset_ == preset_->currentData().toString();
  const double tps = measured ? measured_tokens_per_s_
                              : model::estimate_tokens_per_s(*config, seq, assumed_flops());
  const double seconds = model::estimate_seconds(int64_t(steps_->value()) * 8 * seq, tps);
  estimate_->setText(
      tr("%1 parameters (vocabulary %2%3), about %4 of memory. Estimated time: %5 for %6 steps "
         "(%7).")
          .arg(QString::fromStdString(model::format_count(params)))
          .arg(config->n_vocab)
          .arg(tokenizer_ ? QString() : tr(" if the tokenizer makes that many pieces"))
          .arg(QString::fromStdString(model::format_bytes(memory.weights + memory.gradients +
                                                          memory.optimizer + memory.activations)),
               eta_text(seconds))
          .arg(steps_->value())
          .arg(measured ? tr("from the %1 tokens/s measured while training").arg(int(tps))
                        : tr("a guess of %1 tokens/s for this computer; measured once training "
                             "runs")
                              .arg(int(tps))));
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
  loss_steps_.clear();
  losses_.clear();
  smoothed_.clear();
}

void PretrainPage::add_loss_point(double step, double loss) {
  loss_steps_.push_back(step);
  losses_.push_back(loss);
  loss_plot_->graph(0)->addData(step, loss);
  if (replaying_) return;  // smoothed once at the end
  // A new point changes the smoothed values within one window of the end.
  const size_t n = losses_.size(), radius = size_t(smoothing_->value());
  resmooth(n > radius + 1 ? n - radius - 1 : 0);
}

void PretrainPage::resmooth(size_t first) {
  smooth_centered_tail(losses_, smoothing_->value(), first, smoothed_);
  auto data = loss_plot_->graph(1)->data();
  if (first == 0)
    data->clear();
  else
    data->removeAfter(loss_steps_[first] - 0.5);
  for (size_t i = first; i < smoothed_.size(); ++i)
    data->add(QCPGraphData(loss_steps_[i], smoothed_[i]));
}

void PretrainPage::trim_after(double step) {
  for (auto* p : {loss_plot_, lr_plot_, speed_plot_})
    for (int i = 0; i < p->graphCount(); ++i)
      p->graph(i)->data()->removeAfter(step + 0.5);
  while (!loss_steps_.empty() && loss_steps_.back() > step + 0.5) {
    loss_steps_.pop_back();
    losses_.pop_back();
  }
  resmooth(0);
}

QString PretrainPage::resumable_run() const {
  if (!session_.is_open()) return {};
  QDir checkpoints(QString::fromStdString((session_.project().root / "checkpoints").string()));
  QString newest;
  QDateTime newest_time;
  for (const QString& run : checkpoints.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
    const QFileInfo latest(checkpoints.filePath(run) + QStringLiteral("/latest.json"));
    if (latest.exists() && (newest.isEmpty() || latest.lastModified() > newest_time)) {
      newest = run;
      newest_time = latest.lastModified();
    }
  }
  return newest;
}

void PretrainPage::start(bool resume) {
  if (!session_.is_open() || train_job_->running()) return;
  const QString run = resume ? resumable_run() : QString();
  if (resume && run.isEmpty()) return;
  // Resuming keeps the run's curve so far: replay it, then the worker continues it.
  if (resume)
    show_run(QString::fromStdString((session_.project().root / "checkpoints").string()) + '/' +
             run);
  else
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
  if (resume) args << QStringLiteral("--resume") << QStringLiteral("--run") << run;
  args << run_on_arguments(run_on_, gpus_per_host_);
  run_steps_ = steps_->value();
  status_->setText(tr("Starting the training worker..."));
  progress_->setRange(0, steps_->value());
  progress_->setValue(0);
  session_.set_running(Step::pretrain, true);
  train_job_->start(args);
  refresh();
}

void PretrainPage::stop_training() {
  stop_worker(train_job_, status_);
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
    run_steps_ = e.value("steps", steps_->value());
    progress_->setRange(0, run_steps_);
    // A resumed run goes on from its checkpoint: points recorded after it were never kept.
    if (!e.value("resumed_from", std::string()).empty()) trim_after(e.value("step", 0));
    if (e.contains("config") && e["config"].contains("preset"))
      measured_preset_ = QString::fromStdString(e["config"].value("preset", ""));
  } else if (kind == events::kStep) {
    const double step = e.value("step", 0), loss = e.value("loss", 0.0);
    add_loss_point(step, loss);
    lr_plot_->graph(0)->addData(step, e.value("lr", 0.0));
    const double tps = e.value("tokens_per_s", 0.0);
    speed_plot_->graph(0)->addData(step, tps);
    // The time estimate learns this computer's real speed (an average, steps vary).
    if (tps > 0)
      measured_tokens_per_s_ =
          measured_tokens_per_s_ > 0 ? 0.9 * measured_tokens_per_s_ + 0.1 * tps : tps;
    progress_->setValue(int(step));
    status_->setText(tr("Step %1 of %2: loss %3, %4 tokens/s, about %5 left (estimated from "
                        "the steps so far).")
                         .arg(int(step))
                         .arg(e.value("steps", 0))
                         .arg(loss, 0, 'f', 3)
                         .arg(int(tps))
                         .arg(eta_text(e.value("eta_s", 0.0))));
    if (!replaying_) rescale_plots();
  } else if (kind == events::kPaused) {
    status_->setText(paused_text(e.value("step", 0), e.value("steps", run_steps_)));
  } else if (kind == events::kResumed) {
    status_->setText(continuing_text(e.value("step", 0)));
  } else if (kind == events::kVal) {
    loss_plot_->graph(2)->addData(e.value("step", 0), e.value("val_loss", 0.0));
    loss_plot_->replot(QCustomPlot::rpQueuedReplot);
  } else if (kind == events::kSample) {
    QString text;
    if (tokenizer_ && e.contains("tokens") && e["tokens"].is_array())
      text = readable_sample(*tokenizer_, e["tokens"].get<std::vector<int32_t>>());
    else if (e.contains("text"))
      text = readable_text(QString::fromStdString(e["text"].get<std::string>()));
    else
      text = QString::fromStdString(e.value("tokens", json::array()).dump());
    samples_->appendPlainText(tr("— step %1 —\n%2\n").arg(e.value("step", 0)).arg(text));
  } else if (kind == events::kCheckpoint) {
    list_runs();
  } else if (kind == events::kDone) {
    const QString best =
        e.contains("best_val_loss") && e["best_val_loss"].is_number()
            ? tr(" Best validation loss %1.").arg(e["best_val_loss"].get<double>(), 0, 'f', 3)
            : QString();
    status_->setText(run_end_text(e.value("reason", ""), e.value("step", 0), run_steps_,
                                  tr("validation loss"), best));
  } else if (kind == events::kError) {
    status_->setText(worker_error_text(stopped_words(), e.value("message", "")));
  }
}

void PretrainPage::on_finished(int code, const QString& error_tail) {
  session_.set_running(Step::pretrain, false);
  status_->setText(worker_exit_text(code, status_->text(), stopped_words(), error_tail));
  refresh();
  emit trainingFinished(code == 0);
  if (!busy()) emit allJobsFinished();
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
  resmooth(0);
  rescale_plots();
  status_->setText(recorded_run_text(QFileInfo(run_folder).fileName(), status_->text()));
}

void PretrainPage::list_runs() {
  runs_->clear();
  if (!session_.is_open()) return;
  QDir checkpoints(QString::fromStdString((session_.project().root / "checkpoints").string()));
  for (const QString& run : checkpoints.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
    QDir dir(checkpoints.filePath(run));
    // Where a run trained, when not here (recorded with its checkpoint artifact).
    const auto* artifact =
        session_.project().find_artifact(pipeline::checkpoint_artifact_id(run.toStdString()));
    const QString where = artifact ? ran_on_text(artifact->outcome) : QString();
    for (const QString& ck : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
      const bool best = ck == QStringLiteral("best");
      auto* item =
          new QListWidgetItem(QStringLiteral("%1%2 / %3%4")
                                  .arg(best ? QStringLiteral("★ ") : QString(), run, ck, where),
                              runs_);
      item->setData(Qt::UserRole, dir.filePath(ck));
    }
  }
  if (runs_->count() == 0) runs_->addItem(tr("(no checkpoints yet)"));
}

}  // namespace tinyllm::ui
