#include "finetune_page.h"

#include <qcustomplot.h>
#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDesktopServices>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFontMetrics>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "appearance.h"
#include "data/store.h"
#include "error_cdf_plot.h"
#include "job_runner.h"
#include "model/config.h"
#include "pipeline/finetune_step.h"
#include "pipeline/pretrain_step.h"
#include "pipeline/tokenizer_step.h"
#include "pipeline/worker_events.h"
#include "project_session.h"
#include "run_comparison_view.h"
#include "run_display.h"
#include "run_on_picker.h"
#include "trace_plot.h"
#include "training_controls.h"

namespace tinyllm::ui {
using nlohmann::json;

namespace {

QCustomPlot* make_plot(const QString& x_label, const QString& y_label) {
  auto* p = new QCustomPlot;
  p->setMinimumHeight(150);
  p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  p->xAxis->setLabel(x_label);
  p->yAxis->setLabel(y_label);
  return p;
}

// Heads the worker's own error in the status line (and tells it from a crash).
QString stopped_words() {
  return QObject::tr("Fine-tuning stopped");
}

QLabel* explanation(const QString& text) {
  auto* l = new QLabel(text);
  l->setWordWrap(true);
  l->setForegroundRole(QPalette::PlaceholderText);
  return l;
}

// The words a non-expert reads for a baseline's name in the report.
QString baseline_title(const json& baseline) {
  const std::string name = baseline.value("name", "");
  if (name == "majority") return QObject::tr("majority\nclass");
  if (name == "knn")
    return baseline.contains("k") ? QObject::tr("k-NN\n(k=%1)").arg(baseline.value("k", 1))
                                  : QObject::tr("k-NN");
  if (name == "logistic") return QObject::tr("logistic\nregression");
  return QString::fromStdString(name);
}

// A JSON object from the last non-empty line of a process's output (the CLI's --json result).
json last_json_line(const QString& output) {
  const QStringList lines = output.split('\n', Qt::SkipEmptyParts);
  for (auto it = lines.crbegin(); it != lines.crend(); ++it) {
    json j = json::parse(it->trimmed().toStdString(), nullptr, false);
    if (j.is_object()) return j;
  }
  return json();
}

// The number of a run name ("ft12" -> 12), for ordering ft2 before ft10.
int run_number(const QString& run) {
  static const QRegularExpression digits(QStringLiteral("(\\d+)$"));
  const auto m = digits.match(run);
  return m.hasMatch() ? m.captured(1).toInt() : 0;
}

// The events of a run's events.jsonl, in order (missing file: none).
std::vector<json> read_events(const QString& file_name) {
  std::vector<json> out;
  QFile file(file_name);
  if (!file.open(QIODevice::ReadOnly)) return out;
  while (!file.atEnd()) {
    json e = json::parse(file.readLine().trimmed().toStdString(), nullptr, false);
    if (e.is_object() && e.contains(events::kEvent)) out.push_back(std::move(e));
  }
  return out;
}

// A number field of an event, or `fallback` when it is missing or not a number (null).
double number_or(const json& e, const char* key, double fallback) {
  const auto it = e.find(key);
  return it != e.end() && it->is_number() ? it->get<double>() : fallback;
}

json read_json_file(const QString& file_name) {
  QFile file(file_name);
  if (!file.open(QIODevice::ReadOnly)) return json();
  return json::parse(file.readAll().toStdString(), nullptr, false);
}

// Where the test examples come from, in words.
QString split_words(const std::string& split_by) {
  if (split_by == "subject") return QObject::tr("from people the model never saw");
  if (split_by == "series") return QObject::tr("from recordings the model never saw");
  return QObject::tr("(split by %1)").arg(QString::fromStdString(split_by));
}

const QColor kModelColor(0x1f, 0x77, 0xb4), kModelF1Color(0xff, 0x7f, 0x0e);
const QColor kBaselineColor(0x9e, 0xb9, 0xd4), kBaselineF1Color(0xf5, 0xc6, 0x9a);

}  // namespace

FinetunePage::FinetunePage(ProjectSession& session, QWidget* parent)
    : QWidget(parent),
      session_(session),
      check_job_(new JobRunner(this)),
      train_job_(new JobRunner(this)),
      eval_job_(new JobRunner(this)) {
  auto* splitter = fill_with_splitter(this);

  // Left: what is learned, how, and the runs. It scrolls on a small screen.
  auto* left = new QWidget;
  auto* lv = new QVBoxLayout(left);
  auto* task_box = new QGroupBox(tr("1. Task"));
  auto* tv = new QVBoxLayout(task_box);
  task_ = new QLabel;
  task_->setWordWrap(true);
  task_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  tv->addWidget(task_);
  lv->addWidget(task_box);

  auto* settings_box = new QGroupBox(tr("2. Fine-tuning"));
  auto* sv = new QVBoxLayout(settings_box);
  sv->addWidget(new QLabel(tr("<b>Start from</b>")));
  // Short texts (a radio button does not wrap); the line under each says more.
  from_pretrained_ = new QRadioButton(tr("From the pre-trained model (recommended)"));
  from_scratch_ = new QRadioButton(tr("From scratch (a baseline)"));
  auto* start_group = new QButtonGroup(this);
  start_group->addButton(from_pretrained_);
  start_group->addButton(from_scratch_);
  sv->addWidget(from_pretrained_);
  pretrained_note_ = explanation(QString());
  sv->addWidget(pretrained_note_);
  sv->addWidget(from_scratch_);
  auto* size_row = new QHBoxLayout;
  size_row->addSpacing(20);
  size_row->addWidget(new QLabel(tr("Si&ze:")));
  preset_ = new QComboBox;
  for (const auto& p : model::presets())
    preset_->addItem(QString::fromStdString(p.name + " — " + p.description),
                     QString::fromStdString(p.name));
  preset_->setCurrentIndex(std::max(0, preset_->findData(QStringLiteral("tiny"))));
  // The descriptions are long: the combo shrinks with the column and shows them in its list.
  preset_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  preset_->setMinimumContentsLength(12);
  preset_->setToolTip(
      tr("The model size when starting from scratch. A pre-trained model keeps "
         "the size it was trained with."));
  qobject_cast<QLabel*>(size_row->itemAt(1)->widget())->setBuddy(preset_);
  size_row->addWidget(preset_, 1);
  sv->addLayout(size_row);
  sv->addWidget(
      explanation(tr("How much does pre-training help? A new model of this size "
                     "learns from the task examples alone.")));

  sv->addWidget(new QLabel(tr("<b>Method</b>")));
  full_ = new QRadioButton(tr("&Full fine-tuning (recommended)"));
  lora_ = new QRadioButton(tr("&LoRA adapters (rank %1)").arg(pipeline::kLoraDefaultRank));
  auto* method_group = new QButtonGroup(this);
  method_group->addButton(full_);
  method_group->addButton(lora_);
  full_->setChecked(true);
  sv->addWidget(full_);
  sv->addWidget(explanation(
      tr("Every weight is adjusted to your task: the most accurate for the small presets.")));
  sv->addWidget(lora_);
  sv->addWidget(explanation(
      tr("Only small low-rank adapters are trained (a few % of the weights), the pre-trained "
         "model stays as it was: less memory and a faster step for the large presets. Needs a "
         "pre-trained model; the result is merged into a plain model for export.")));

  auto* form = new QFormLayout;
  steps_ = new QSpinBox;
  steps_->setRange(1, 10000000);
  steps_->setValue(600);
  steps_->setToolTip(tr("One step trains on one batch of examples."));
  form->addRow(tr("St&eps:"), steps_);
  run_on_ = make_run_on_picker();
  form->addRow(tr("Run &on:"), run_on_);
  gpus_per_host_ = make_gpus_per_host(run_on_);
  form->addRow(gpus_per_host_);
  sv->addLayout(form);
  sv->addWidget(
      explanation(tr("At most this many; training stops early when the validation accuracy stops "
                     "improving.")));
  augment_ = new QCheckBox(tr("&Augment the readings (recommended)"));
  augment_->setChecked(true);
  sv->addWidget(augment_);
  sv->addWidget(explanation(
      tr("Each batch sees its readings slightly changed (gain, offset, a mild time warp), so "
         "the model learns the pattern, not one recording.")));

  // Any training setting the CLI takes (docs/events.md), for who knows them.
  auto* advanced = new QToolButton;
  advanced->setText(tr("Ad&vanced"));
  advanced->setCheckable(true);
  advanced->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  advanced->setArrowType(Qt::RightArrow);
  sv->addWidget(advanced);
  extra_ = new QLineEdit;
  extra_->setPlaceholderText(tr("e.g. --lr 3e-4 --batch_size 8 --n_layer 2"));
  extra_->setToolTip(
      tr("More training settings, as for `tinyllm finetune`: --KEY VALUE pairs "
         "(docs/events.md lists them). Model-size settings apply from scratch."));
  extra_->setVisible(false);
  sv->addWidget(extra_);
  connect(advanced, &QToolButton::toggled, this, [this, advanced](bool on) {
    advanced->setArrowType(on ? Qt::DownArrow : Qt::RightArrow);
    extra_->setVisible(on);
  });

  context_ = new QLabel;
  context_->setWordWrap(true);
  context_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  context_->setToolTip(
      tr("The model reads at most its context of tokens at once. Every example (the prompt, "
         "the answer and the end marker) must fit, or the answer would be cut off."));
  sv->addWidget(context_);

  controls_ =
      make_training_controls(tr("Halts training after the current step; press again to continue."));
  sv->addLayout(controls_.row);
  progress_ = new QProgressBar;
  sv->addWidget(progress_);
  status_ = new QLabel;
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  sv->addWidget(status_);
  lv->addWidget(settings_box);

  auto* runs_box = new QGroupBox(tr("3. Runs"));
  auto* rv = new QVBoxLayout(runs_box);
  rv->addWidget(explanation(tr("Click a run to show its curves and its evaluation.")));
  runs_ = new QListWidget;
  runs_->setMinimumHeight(80);
  // It takes the room left, never more: the buttons under it stay in view.
  runs_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Ignored);
  rv->addWidget(runs_, 1);
  auto* eval_row = new QHBoxLayout;
  evaluate_ = new QPushButton(tr("E&valuate"));
  evaluate_->setToolTip(
      tr("Runs the shown run's best checkpoint on the test examples (people it never saw) and "
         "compares it with simple baselines."));
  decoding_ = new QComboBox;
  decoding_->addItem(tr("Answers only"), QStringLiteral("constrained"));
  decoding_->addItem(tr("Free text"), QStringLiteral("free"));
  decoding_->setToolTip(
      tr("Answers only (recommended): the model picks the most likely of the task's answers, so "
         "every prediction is a valid label.\nFree text: the model writes its answer freely and "
         "is right when the true label appears exactly once (the paper's rule); answers naming "
         "no label or several are counted apart."));
  open_report_ = new QPushButton(tr("Open &report"));
  open_report_->setToolTip(tr("The evaluation as a web page (report.html), to keep or share."));
  eval_row->addWidget(evaluate_);
  eval_row->addWidget(decoding_);
  eval_row->addWidget(open_report_);
  rv->addLayout(eval_row);
  lv->addWidget(runs_box, 1);
  auto* scroll = new QScrollArea;
  scroll->setWidget(left);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  scroll->setMinimumWidth(380);
  splitter->addWidget(scroll);

  // Right: training curves, then the evaluation and the mistakes.
  tabs_ = new QTabWidget;
  auto* training = new QWidget;
  auto* trv = new QVBoxLayout(training);
  loss_plot_ = make_plot(tr("step"), tr("train loss (answers only)"));
  loss_plot_->addGraph();
  loss_plot_->graph(0)->setName(tr("train loss"));
  loss_plot_->graph(0)->setPen(QPen(kModelColor, 1.5));
  trv->addWidget(loss_plot_, 1);
  accuracy_plot_ = make_plot(tr("step"), tr("validation accuracy (%)"));
  integer_ticks(loss_plot_->xAxis);
  integer_ticks(accuracy_plot_->xAxis);
  accuracy_plot_->addGraph();
  accuracy_plot_->graph(0)->setName(tr("validation accuracy"));
  accuracy_plot_->graph(0)->setPen(QPen(QColor(0x2c, 0xa0, 0x2c), 2));
  accuracy_plot_->graph(0)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 7));
  accuracy_plot_->yAxis->setRange(0, 100);
  accuracy_plot_->setToolTip(
      tr("Answers right on the validation examples, measured during training. The best "
         "checkpoint is the one with the highest."));
  trv->addWidget(accuracy_plot_, 1);
  tabs_->addTab(training, tr("Training"));

  auto* evaluation = new QWidget;
  auto* ev = new QVBoxLayout(evaluation);
  summary_ = new QLabel(tr("No evaluation yet."));
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  ev->addWidget(summary_);
  auto* charts = new QSplitter(Qt::Horizontal);
  confusion_plot_ = make_plot(tr("predicted"), tr("true"));
  // The predicted names stand upright while each fits its column and slant once neighbours would
  // run into each other ("shakeswipe"); decided at each replot, when the columns' width is known.
  connect(confusion_plot_, &QCustomPlot::beforeReplot, this, [this] {
    auto names = confusion_plot_->xAxis->ticker().dynamicCast<QCPAxisTickerText>();
    if (!names || names->ticks().isEmpty()) return;
    const QFontMetrics metrics(confusion_plot_->xAxis->tickLabelFont());
    int widest = 0;
    for (const QString& name : names->ticks())
      widest = std::max(widest, metrics.horizontalAdvance(name));
    const int column = confusion_plot_->axisRect()->width() / int(names->ticks().size());
    confusion_plot_->xAxis->setTickLabelRotation(widest + metrics.averageCharWidth() > column ? 45
                                                                                              : 0);
  });
  confusion_plot_->setInteractions(QCP::Interactions());
  confusion_plot_->setToolTip(
      tr("Each row is a true answer, each column what the model said: the diagonal is right, "
         "everything else is a mix-up."));
  charts->addWidget(confusion_plot_);
  comparison_plot_ = make_plot(QString(), tr("% on the test examples"));
  comparison_plot_->setInteractions(QCP::Interactions());
  comparison_plot_->setToolTip(
      tr("The model beside simple methods on the same examples: a model that does not beat "
         "them is not worth deploying. Macro-F1 averages over the answers, so a rare one "
         "counts as much as a common one."));
  charts->addWidget(comparison_plot_);
  error_cdf_ = new ErrorCdfPlot;
  charts->addWidget(error_cdf_);
  ev->addWidget(charts, 3);
  auto add_title = [](QCustomPlot* plot, const QString& title) {
    plot->plotLayout()->insertRow(0);
    auto* text = new QCPTextElement(plot, title);
    QFont font = text->font();
    font.setBold(true);
    text->setFont(font);
    plot->plotLayout()->addElement(0, 0, text);
  };
  add_title(confusion_plot_, tr("Confusion matrix (test examples)"));
  add_title(comparison_plot_, tr("Model vs baselines"));
  // The legend under the bars, where it hides none of them.
  comparison_plot_->legend->setVisible(true);
  comparison_plot_->plotLayout()->addElement(2, 0, comparison_plot_->legend);
  comparison_plot_->plotLayout()->setRowStretchFactor(2, 0.001);
  comparison_plot_->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  comparison_plot_->legend->setWrap(2);
  per_class_ = new QTableWidget(0, 5);
  per_class_->setHorizontalHeaderLabels(
      {tr("Answer"), tr("Precision"), tr("Recall"), tr("F1"), tr("Test examples")});
  per_class_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  per_class_->verticalHeader()->setVisible(false);
  per_class_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  per_class_->setToolTip(
      tr("Precision: of the times the model said this answer, how often it was right. Recall: "
         "of the examples with this answer, how many the model found."));
  ev->addWidget(per_class_, 2);
  tabs_->addTab(evaluation, tr("Evaluation"));

  auto* mistakes_tab = new QSplitter(Qt::Horizontal);
  auto* mistakes_left = new QWidget;
  auto* mlv = new QVBoxLayout(mistakes_left);
  mlv->setContentsMargins(0, 0, 0, 0);
  mlv->addWidget(
      explanation(tr("The worst mistakes first (true → predicted). Click one to see "
                     "its readings.")));
  mistakes_ = new QListWidget;
  mlv->addWidget(mistakes_, 1);
  mistakes_tab->addWidget(mistakes_left);
  auto* mistakes_right = new QWidget;
  auto* mrv = new QVBoxLayout(mistakes_right);
  mrv->setContentsMargins(0, 0, 0, 0);
  mistake_note_ = new QLabel;
  mistake_note_->setWordWrap(true);
  mistake_note_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  mrv->addWidget(mistake_note_);
  trace_ = new TracePlot;
  mrv->addWidget(trace_, 1);
  mistakes_tab->addWidget(mistakes_right);
  mistakes_tab->setStretchFactor(1, 3);
  tabs_->addTab(mistakes_tab, tr("Mistakes"));
  comparison_view_ = new RunComparisonView;
  tabs_->addTab(comparison_view_, tr("Compare runs"));
  splitter->addWidget(tabs_);
  splitter->setStretchFactor(1, 3);
  splitter->setSizes({440, 1000});
  remember_splitter(splitter, QStringLiteral("layout/finetune_splitter"));

  connect(from_pretrained_, &QRadioButton::toggled, this, [this] {
    preset_->setEnabled(from_scratch_->isChecked());
    update_buttons();
    run_check();
  });
  connect(preset_, &QComboBox::currentIndexChanged, this, [this] { run_check(); });
  connect(extra_, &QLineEdit::editingFinished, this, [this] { run_check(); });
  connect(check_job_, &JobRunner::finished, this, &FinetunePage::on_check_finished);
  connect(controls_.start, &QPushButton::clicked, this, [this] { start(false); });
  connect(controls_.resume, &QPushButton::clicked, this, [this] { start(true); });
  connect(controls_.stop, &QPushButton::clicked, this, &FinetunePage::stop_training);
  connect_pause(controls_, session_, Step::finetune, train_job_, status_);
  connect(train_job_, &JobRunner::lineReceived, this, &FinetunePage::on_event);
  connect(train_job_, &JobRunner::finished, this,
          [this](int code, const QString&, const QString& err) { on_finished(code, err); });
  connect(eval_job_, &JobRunner::finished, this, &FinetunePage::on_eval_finished);
  connect(evaluate_, &QPushButton::clicked, this, [this] { evaluate(shown_run_); });
  // Each decoding has its own report: show the chosen one's (or none yet).
  connect(decoding_, &QComboBox::currentIndexChanged, this, [this] {
    if (!shown_run_.isEmpty() && !train_job_->running() && !eval_job_->running())
      show_run(shown_run_);
  });
  connect(open_report_, &QPushButton::clicked, this, [this] {
    const QString html = QFileInfo(report_path(shown_run_)).dir().filePath("report.html");
    QDesktopServices::openUrl(QUrl::fromLocalFile(html));
  });
  connect(runs_, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) {
    const QString run = item->data(Qt::UserRole).toString();
    if (!run.isEmpty() && !train_job_->running()) show_run(run);
  });
  connect(mistakes_, &QListWidget::currentRowChanged, this, &FinetunePage::show_mistake);
  connect(&session_, &ProjectSession::changed, this, &FinetunePage::refresh);
  reset_plots();
  clear_report();
  refresh();
}

bool FinetunePage::training() const {
  return train_job_->running();
}

bool FinetunePage::busy() const {
  return train_job_->running() || eval_job_->running();
}

QString FinetunePage::run_folder(const QString& run) const {
  return QString::fromStdString((session_.project().root / "finetune").string()) + '/' + run;
}

QString FinetunePage::report_path(const QString& run) const {
  const bool free = decoding_->currentData().toString() == QStringLiteral("free");
  return QString::fromStdString((session_.project().root / "reports").string()) + '/' + run +
         (free ? QStringLiteral("-test-free/report.json") : QStringLiteral("-test/report.json"));
}

void FinetunePage::refresh() {
  if (session_.folder() != shown_folder_ && !busy()) switch_project();
  if (!session_.is_open()) {
    update_buttons();
    return;
  }
  // The default starting point: the latest pre-training run's best checkpoint.
  auto init = pipeline::default_init_checkpoint(session_.project());
  const QString pretrained = init ? QString::fromStdString(init->string()) : QString();
  if (pretrained != pretrained_) {
    pretrained_ = pretrained;
    update_starting_point();
  }
  show_task();
  fill_run_on_picker(run_on_,
                     session_.is_open() ? session_.project().root : std::filesystem::path());
  update_gpus_per_host(gpus_per_host_, run_on_);
  list_runs();
  run_check();  // does nothing when what it checks has not changed
  update_buttons();
}

void FinetunePage::switch_project() {
  shown_folder_ = session_.folder();
  pretrained_ = QStringLiteral("?");  // refresh() fills it in
  context_ok_.reset();
  check_key_.clear();
  context_->clear();
  status_->clear();
  current_run_.clear();
  shown_run_.clear();
  reset_plots();
  clear_report();
  runs_->clear();
  comparison_view_->clear();
  if (!session_.is_open()) return;
  update_comparison();
  // The newest run is shown, with its evaluation when it has one.
  QDir dir(QString::fromStdString((session_.project().root / "finetune").string()));
  QStringList runs = dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
  std::sort(runs.begin(), runs.end(),
            [](const QString& a, const QString& b) { return run_number(a) < run_number(b); });
  if (!runs.isEmpty()) show_run(runs.last());
}

void FinetunePage::update_starting_point() {
  const bool have = !pretrained_.isEmpty();
  from_pretrained_->setEnabled(have);
  // Name the run it comes from: "checkpoints/run2/best" -> run2.
  const QString run = QFileInfo(QFileInfo(pretrained_).path()).fileName();
  from_pretrained_->setText(have ? tr("From the pre-trained model %1 (recommended)").arg(run)
                                 : tr("From the pre-trained model (none yet)"));
  pretrained_note_->setText(
      have ? tr("It already knows what your readings look like; fine-tuning teaches it the "
                "answers.")
           : tr("Pre-train a model on the Pre-train step first: it learns what your readings "
                "look like, and fine-tuning then teaches it the answers."));
  from_pretrained_->blockSignals(true);
  from_scratch_->blockSignals(true);
  if (have)
    from_pretrained_->setChecked(true);
  else
    from_scratch_->setChecked(true);
  from_pretrained_->blockSignals(false);
  from_scratch_->blockSignals(false);
  preset_->setEnabled(from_scratch_->isChecked());
}

void FinetunePage::show_task() {
  const auto* prepared =
      session_.is_open() ? session_.project().find_artifact("prepared") : nullptr;
  if (!prepared) {
    task_->setText(tr("Prepare the task examples on the Data step first."));
    return;
  }
  auto summary =
      pipeline::read_prepared_summary(session_.project().path(pipeline::kPreparedFolder));
  if (!summary) {
    task_->setText(tr("<span style='color:#c62828'>%1</span>")
                       .arg(QString::fromStdString(summary.error().to_string()).toHtmlEscaped()));
    return;
  }
  QStringList classes;
  for (const auto& c : summary->value("classes", json::array()))
    if (c.is_string()) classes << QString::fromStdString(c.get<std::string>()).toHtmlEscaped();
  int train = 0;
  const json splits = summary->value("splits", json::object());
  if (splits.is_object() && splits.contains("train") && splits["train"].is_object())
    train = splits["train"].value("examples", 0);
  QString text =
      tr("<b>%1</b>: %2")
          .arg(QString::fromStdString(summary->value("task", "")).toHtmlEscaped(),
               QString::fromStdString(summary->value("instruction", "")).toHtmlEscaped());
  if (!classes.isEmpty())
    text += tr("<br>Answers (%1): <b>%2</b>").arg(classes.size()).arg(classes.join(", "));
  if (train > 0) text += tr("<br>%1 training examples.").arg(train);
  task_->setText(text);
}

void FinetunePage::run_check() {
  if (!session_.is_open()) return;
  const auto& project = session_.project();
  const auto* prepared = project.find_artifact("prepared");
  const auto* tokenizer = project.find_artifact(pipeline::kTokenizerArtifact);
  if (!prepared || !tokenizer) {
    context_ok_ = false;
    check_key_.clear();
    context_->setText(tr("Needs task examples (Data step) and a tokenizer (Pre-train step)."));
    update_buttons();
    return;
  }
  // What the check depends on: the examples, the tokenizer and the model's context.
  const QString key =
      QStringList{session_.folder(),
                  QString::fromStdString(prepared->sha256),
                  QString::fromStdString(tokenizer->sha256),
                  from_scratch_->isChecked() ? QString(QStringLiteral("scratch")) : pretrained_,
                  preset_->currentData().toString(),
                  extra_->text()}
          .join('|');
  if (key == check_key_) return;
  if (check_job_->running()) {
    recheck_ = true;
    return;
  }
  check_key_ = key;
  context_ok_.reset();
  context_->setText(tr("Checking that every example fits the model's context..."));
  update_buttons();
  QStringList args = {QStringLiteral("finetune"), QStringLiteral("--project"), session_.folder(),
                      QStringLiteral("--check"), QStringLiteral("--json")};
  if (from_scratch_->isChecked())
    args << QStringLiteral("--from") << QStringLiteral("scratch") << QStringLiteral("--preset")
         << preset_->currentData().toString();
  args << extra_->text().split(' ', Qt::SkipEmptyParts);
  check_job_->start(args);
}

void FinetunePage::on_check_finished(int code, const QString& output, const QString& error_tail) {
  if (recheck_) {
    recheck_ = false;
    check_key_.clear();
    run_check();
    return;
  }
  const json c = last_json_line(output);
  if (!c.is_object() || !c.contains("ok")) {
    context_ok_ = false;
    context_->setText(tr("<span style='color:#c62828'>The context check could not run: "
                         "%1</span>")
                          .arg(error_tail.trimmed().toHtmlEscaped()));
  } else if (code == 0 && c.value("ok", false)) {
    context_ok_ = true;
    context_->setText(
        tr("<span style='color:#2e7d32'>✔ Every example fits</span>: the longest of %1 is %2 "
           "tokens of the model's %3 (mean %4, 95% at most %5).")
            .arg(c.value("examples", 0))
            .arg(c.value("max_tokens", 0))
            .arg(c.value("n_ctx", 0))
            .arg(number_or(c, "mean_tokens", 0), 0, 'f', 0)
            .arg(number_or(c, "p95_tokens", 0), 0, 'f', 0));
  } else {
    context_ok_ = false;
    context_->setText(
        tr("<span style='color:#c62828'><b>%1 of %2 examples do not fit</b> the model's context "
           "of %3 tokens (the longest is %4 tokens, %5); training would cut their answers off."
           "</span><br>%6")
            .arg(c.value("over", 0))
            .arg(c.value("examples", 0))
            .arg(c.value("n_ctx", 0))
            .arg(c.value("max_tokens", 0))
            .arg(QString::fromStdString(c.value("longest_at", "")).toHtmlEscaped(),
                 QString::fromStdString(c.value("message", "")).toHtmlEscaped()));
  }
  update_buttons();
}

void FinetunePage::update_buttons() {
  const bool open = session_.is_open();
  const bool running = train_job_->running();
  controls_.start->setEnabled(open && !busy() && context_ok_.value_or(false));
  controls_.start->setToolTip(
      context_ok_.value_or(false)
          ? QString()
          : tr("Waits for the context check: every example must fit the model."));
  controls_.resume->setEnabled(open && !busy() && !resumable_run().isEmpty());
  enable_worker_buttons(controls_, running);
  for (QWidget* w : std::initializer_list<QWidget*>{from_scratch_, steps_, augment_, extra_})
    w->setEnabled(!running);
  from_pretrained_->setEnabled(!running && !pretrained_.isEmpty());
  preset_->setEnabled(!running && from_scratch_->isChecked());
  // LoRA adapts a pre-trained model; a model from scratch has nothing to adapt.
  full_->setEnabled(!running);
  lora_->setEnabled(!running && !from_scratch_->isChecked());
  if (from_scratch_->isChecked() && lora_->isChecked()) full_->setChecked(true);
  evaluate_->setEnabled(open && !busy() && !shown_run_.isEmpty());
  // Positions are always decoded under the form x=.. y=..: free text has no rule for them.
  if (position_run_ && decoding_->currentIndex() != 0) decoding_->setCurrentIndex(0);
  decoding_->setEnabled(open && !busy() && !position_run_);
  open_report_->setEnabled(
      open && !shown_run_.isEmpty() &&
      QFileInfo::exists(QFileInfo(report_path(shown_run_)).dir().filePath("report.html")));
}

QString FinetunePage::resumable_run() const {
  if (!session_.is_open()) return {};
  QDir dir(QString::fromStdString((session_.project().root / "finetune").string()));
  QStringList runs = dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
  std::sort(runs.begin(), runs.end(),
            [](const QString& a, const QString& b) { return run_number(a) > run_number(b); });
  for (const QString& run : runs) {
    if (!QFileInfo::exists(dir.filePath(run) + QStringLiteral("/latest.json"))) continue;
    // Stopped (or killed before its end): its last "done" is not a finished run's.
    std::string reason;
    for (const auto& e : read_events(dir.filePath(run) + QStringLiteral("/events.jsonl")))
      if (e.value(events::kEvent, "") == events::kDone) reason = e.value("reason", "");
    return reason == events::kCompleted || reason == events::kEarlyStop ? QString() : run;
  }
  return {};
}

void FinetunePage::start(bool resume) {
  if (!session_.is_open() || busy()) return;
  const QString run = resume ? resumable_run() : QString();
  if (resume && run.isEmpty()) return;
  if (!resume && !context_ok_.value_or(false)) return;
  QStringList args = {QStringLiteral("finetune"), QStringLiteral("--project"), session_.folder(),
                      QStringLiteral("--json")};
  if (resume) {
    // The run keeps its settings; its curve so far comes back, then the worker continues it.
    show_run(run);
    args << QStringLiteral("--resume") << QStringLiteral("--run") << run;
  } else {
    reset_plots();
    clear_report();
    shown_run_.clear();
    if (from_scratch_->isChecked())
      args << QStringLiteral("--from") << QStringLiteral("scratch") << QStringLiteral("--preset")
           << preset_->currentData().toString();
    args << QStringLiteral("--steps") << QString::number(steps_->value());
    if (!augment_->isChecked()) args << QStringLiteral("--no-augment");
    if (lora_->isChecked() && !from_scratch_->isChecked()) args << QStringLiteral("--lora");
    args << extra_->text().split(' ', Qt::SkipEmptyParts);
  }
  args << run_on_arguments(run_on_, gpus_per_host_);
  current_run_ = run;
  done_reason_.clear();
  run_steps_ = resume ? run_steps_ : steps_->value();
  status_->setText(tr("Starting the training worker..."));
  progress_->setRange(0, std::max(1, run_steps_));
  progress_->setValue(0);
  tabs_->setCurrentIndex(0);
  session_.set_running(Step::finetune, true);
  train_job_->start(args);
  update_buttons();
}

void FinetunePage::stop_training() {
  stop_worker(train_job_, status_);
}

void FinetunePage::stop_all() {
  if (!busy()) {
    emit allJobsFinished();
    return;
  }
  stop_training();
  eval_job_->cancel();
}

void FinetunePage::reset_plots() {
  for (auto* p : {loss_plot_, accuracy_plot_}) {
    p->graph(0)->data()->clear();
    p->replot();
  }
}

void FinetunePage::set_position_run(bool position) {
  // A position task is validated by its error in metres, not an accuracy.
  position_run_ = position;
  accuracy_plot_->yAxis->setLabel(position ? tr("validation error (m)")
                                           : tr("validation accuracy (%)"));
  accuracy_plot_->graph(0)->setName(position ? tr("validation error") : tr("validation accuracy"));
}

void FinetunePage::rescale_plots() {
  loss_plot_->rescaleAxes();
  accuracy_plot_->xAxis->setRange(loss_plot_->xAxis->range());
  if (position_run_) {
    bool found = false;
    const auto range = accuracy_plot_->graph(0)->getValueRange(found);
    accuracy_plot_->yAxis->setRange(0, found ? std::max(1.0, range.upper * 1.1) : 1.0);
  } else {
    accuracy_plot_->yAxis->setRange(0, 100);
  }
  for (auto* p : {loss_plot_, accuracy_plot_})
    p->replot(QCustomPlot::rpQueuedReplot);
}

void FinetunePage::on_event(const QString& line) {
  const json e = json::parse(line.toStdString(), nullptr, false);
  if (!e.is_object() || !e.contains(events::kEvent)) return;
  const std::string kind = e[events::kEvent].get<std::string>();
  if (kind == events::kStart) {
    const QString out = QString::fromStdString(e.value("out_dir", ""));
    if (!out.isEmpty()) current_run_ = QFileInfo(out).fileName();
    shown_run_ = current_run_;
    run_steps_ = e.value("steps", run_steps_);
    progress_->setRange(0, std::max(1, run_steps_));
    set_position_run(e.contains("classes") && e["classes"].is_array() && e["classes"].empty());
    const std::string init = e.value("init_from", "");
    status_->setText(tr("Fine-tuning %1 parameters %2 on %3 examples (%4 held out for "
                        "validation).")
                         .arg(QString::fromStdString(e.value("params_text", "")),
                              init.empty() ? tr("from scratch")
                                           : tr("from %1").arg(QString::fromStdString(init)))
                         .arg(e.value("train_examples", 0))
                         .arg(e.value("val_examples", 0)));
    // A resumed run goes on from its checkpoint: points recorded after it were never kept.
    if (!e.value("resumed_from", std::string()).empty()) {
      const double step = e.value("step", 0);
      for (auto* p : {loss_plot_, accuracy_plot_})
        p->graph(0)->data()->removeAfter(step + 0.5);
    }
  } else if (kind == events::kStep) {
    const double step = e.value("step", 0), loss = number_or(e, "loss", 0);
    loss_plot_->graph(0)->addData(step, loss);
    progress_->setValue(int(step));
    status_->setText(tr("Step %1 of %2: loss %3, about %4 left.")
                         .arg(int(step))
                         .arg(e.value("steps", run_steps_))
                         .arg(loss, 0, 'f', 3)
                         .arg(eta_text(number_or(e, "eta_s", 0))));
    if (!replaying_) rescale_plots();
  } else if (kind == events::kVal) {
    if (e.contains("val_accuracy") && e["val_accuracy"].is_number())
      accuracy_plot_->graph(0)->addData(e.value("step", 0), 100 * e["val_accuracy"].get<double>());
    if (e.contains("val_error_m") && e["val_error_m"].is_number())
      accuracy_plot_->graph(0)->addData(e.value("step", 0), e["val_error_m"].get<double>());
    if (!replaying_) rescale_plots();
  } else if (kind == events::kWarning) {
    emit status(QString::fromStdString(e.value("message", "")));
  } else if (kind == events::kPaused) {
    status_->setText(paused_text(e.value("step", 0), e.value("steps", run_steps_)));
  } else if (kind == events::kResumed) {
    status_->setText(continuing_text(e.value("step", 0)));
  } else if (kind == events::kCheckpoint) {
    if (!replaying_) list_runs();
  } else if (kind == events::kDone) {
    const std::string reason = e.value("reason", "");
    if (!replaying_) done_reason_ = reason;
    QString best =
        number_or(e, "best_val_accuracy", -1) >= 0
            ? tr(" Best validation accuracy %1.").arg(percent(number_or(e, "best_val_accuracy", 0)))
            : QString();
    if (number_or(e, "best_val_error_m", -1) >= 0)
      best = tr(" Best validation error %1 m.").arg(number_or(e, "best_val_error_m", 0), 0, 'f', 2);
    status_->setText(
        run_end_text(reason, e.value("step", 0), run_steps_, tr("validation accuracy"), best));
  } else if (kind == events::kError) {
    status_->setText(worker_error_text(stopped_words(), e.value("message", "")));
  }
}

void FinetunePage::on_finished(int code, const QString& error_tail) {
  session_.set_running(Step::finetune, false);
  status_->setText(worker_exit_text(code, status_->text(), stopped_words(), error_tail));
  rescale_plots();
  list_runs();
  update_buttons();
  emit trainingFinished(code == 0);
  // A run that ran to its end is evaluated at once: the numbers a user came for.
  const bool finished =
      code == 0 && (done_reason_ == events::kCompleted || done_reason_ == events::kEarlyStop);
  if (finished && !current_run_.isEmpty()) {
    evaluate(current_run_);
    return;
  }
  if (!busy()) emit allJobsFinished();
}

void FinetunePage::evaluate(const QString& run) {
  if (!session_.is_open() || run.isEmpty() || busy()) return;
  shown_run_ = run;
  summary_->setText(tr("Evaluating %1 on the test examples (people it never saw), beside the "
                       "baselines...")
                        .arg(run));
  status_->setText(summary_->text());
  progress_->setRange(0, 0);  // busy: the evaluation reports no fraction done
  session_.set_running(Step::finetune, true);
  QStringList args{QStringLiteral("eval"),   QStringLiteral("--project"), session_.folder(),
                   QStringLiteral("--json"), QStringLiteral("--run"),     run};
  if (decoding_->currentData().toString() == QStringLiteral("free"))
    args << QStringLiteral("--decoding") << QStringLiteral("free");
  eval_job_->start(args);
  update_buttons();
}

void FinetunePage::on_eval_finished(int code, const QString& output, const QString& error_tail) {
  session_.set_running(Step::finetune, false);
  progress_->setRange(0, 1);
  progress_->setValue(code == 0 ? 1 : 0);
  const json report = last_json_line(output);
  if (code != 0 || !report.is_object() || !report.contains("model")) {
    const QString text = tr("<span style='color:#c62828'>The evaluation failed. Last lines of "
                            "its log:</span><pre>%1</pre>")
                             .arg(error_tail.toHtmlEscaped());
    summary_->setText(text);
    status_->setText(text);
    emit evaluationFinished(false);
  } else {
    status_->setText(tr("Evaluated %1: see the Evaluation and Mistakes tabs.").arg(shown_run_));
    show_report(report);
    tabs_->setCurrentIndex(1);
    update_comparison();
    emit evaluationFinished(true);
  }
  list_runs();
  update_buttons();
  if (!busy()) emit allJobsFinished();
}

void FinetunePage::list_runs() {
  runs_->clear();
  if (!session_.is_open()) return;
  QDir dir(QString::fromStdString((session_.project().root / "finetune").string()));
  QStringList runs = dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
  std::sort(runs.begin(), runs.end(),
            [](const QString& a, const QString& b) { return run_number(a) < run_number(b); });
  for (const QString& run : runs) {
    QString text = run;
    const auto events = read_events(dir.filePath(run) + QStringLiteral("/events.jsonl"));
    for (const auto& e : events) {
      const std::string kind = e.value(events::kEvent, "");
      if (kind == events::kStart) {
        text = tr("%1: %2, %3")
                   .arg(run, QString::fromStdString(e.value("params_text", "")),
                        e.value("init_from", "").empty() ? tr("from scratch") : tr("pre-trained"));
        if (e.contains("lora") && e["lora"].is_object())
          text += tr(", LoRA rank %1").arg(e["lora"].value("rank", 0));
      }
      // (-1 or null: no validation yet)
      if (kind == events::kDone && number_or(e, "best_val_accuracy", -1) >= 0)
        text += tr(", validation %1").arg(percent(number_or(e, "best_val_accuracy", 0)));
    }
    if (const auto* artifact = session_.project().find_artifact(
            pipeline::checkpoint_artifact_id(run.toStdString(), pipeline::kFinetuneRuns)))
      text += ran_on_text(artifact->outcome);
    const json report = read_json_file(report_path(run));
    if (report.is_object() && report.contains("model"))
      text += tr(", test %1").arg(percent(number_or(report["model"], "accuracy", 0)));
    auto* item = new QListWidgetItem(text, runs_);
    item->setData(Qt::UserRole, run);
    if (run == shown_run_) {
      QFont bold = item->font();
      bold.setBold(true);
      item->setFont(bold);
    }
  }
  if (runs_->count() == 0) runs_->addItem(tr("(no checkpoints yet)"));
}

void FinetunePage::show_run(const QString& run) {
  shown_run_ = run;
  reset_plots();
  replaying_ = true;
  for (const auto& e : read_events(run_folder(run) + QStringLiteral("/events.jsonl")))
    on_event(QString::fromStdString(e.dump()));
  replaying_ = false;
  rescale_plots();
  status_->setText(recorded_run_text(run, status_->text()));
  const json report = read_json_file(report_path(run));
  if (report.is_object() && report.contains("model"))
    show_report(report);
  else
    clear_report();
  list_runs();
  update_buttons();
}

void FinetunePage::update_comparison() {
  if (session_.is_open())
    comparison_view_->load(session_.project());
  else
    comparison_view_->clear();
}

void FinetunePage::show_position_charts(bool position) {
  confusion_plot_->setVisible(!position);
  comparison_plot_->setVisible(!position);
  per_class_->setVisible(!position);
  error_cdf_->setVisible(position);
}

void FinetunePage::clear_report() {
  report_ = json();
  error_cdf_->clear();
  show_position_charts(false);
  confusion_plot_->clearPlottables();
  confusion_plot_->clearItems();
  confusion_map_ = nullptr;
  confusion_plot_->replot();
  comparison_plot_->clearPlottables();
  comparison_plot_->clearItems();
  comparison_names_.clear();
  comparison_plot_->replot();
  per_class_->setRowCount(0);
  mistakes_->clear();
  mistake_note_->clear();
  trace_->clear();
  summary_->setText(
      tr("No evaluation yet: evaluate a run to see how it does on examples it "
         "never saw."));
}

void FinetunePage::show_report(const json& report) {
  clear_report();
  report_ = report;
  std::vector<std::string> classes;
  for (const auto& c : report.value("classes", json::array()))
    if (c.is_string()) classes.push_back(c.get<std::string>());
  const json model = report.value("model", json::object());
  const json baselines = report.value("baselines", json::array());
  const int n = int(classes.size());
  if (report.contains("position") && report["position"].is_object()) {
    // Errors in metres, the model beside the baselines (no classes, no confusion matrix).
    const json& pos = report["position"];
    auto metres = [](const json& m) {
      return tr("mean %1 m, median %2 m, p90 %3 m")
          .arg(number_or(m, "mean_m", 0), 0, 'f', 1)
          .arg(number_or(m, "median_m", 0), 0, 'f', 1)
          .arg(number_or(m, "p90_m", 0), 0, 'f', 1);
    };
    QString text = tr("<b>%1</b>: %2 on %3 test examples (%4 unparseable).")
                       .arg(QString::fromStdString(report.value("run_id", "")))
                       .arg(metres(pos.value("model", json::object())))
                       .arg(report.value("examples", 0))
                       .arg(pos.value("model", json::object()).value("unparseable", 0));
    for (const auto& b : pos.value("baselines", json::array()))
      text +=
          tr("<br>Baseline %1: %2.").arg(QString::fromStdString(b.value("name", "")), metres(b));
    summary_->setText(text);
    show_position_charts(true);
    error_cdf_->show_report(pos);
    return;
  }

  // In words: the model's score and the best baseline's, and what that means.
  const double accuracy = number_or(model, "accuracy", 0);
  QString best_name;
  double best = -1;
  for (const auto& b : baselines)
    if (number_or(b, "accuracy", 0) > best) {
      best = number_or(b, "accuracy", 0);
      best_name = baseline_title(b).replace('\n', ' ');
    }
  QString summary = tr("<b>%1</b>: accuracy <b>%2</b>, macro-F1 %3 on %4 test examples %5.")
                        .arg(QString::fromStdString(report.value("run_id", "")))
                        .arg(percent(accuracy))
                        .arg(number_or(model, "macro_f1", 0), 0, 'f', 2)
                        .arg(report.value("examples", 0))
                        .arg(split_words(report.value("split_by", "")));
  if (best >= 0)
    summary +=
        accuracy >= best
            ? tr(" It beats every baseline (the best, %1, has %2).").arg(best_name, percent(best))
            : tr(" <span style='color:#c62828'>The baseline %1 does better (%2)</span>: "
                 "train longer, start from a pre-trained model, or try a larger one.")
                  .arg(best_name, percent(best));
  if (report.value("decoding", "") == "free")
    summary += tr(" Free text, scored with the paper's rule: %1 answers named no label, %2 "
                  "several.")
                   .arg(model.value("no_label", 0))
                   .arg(model.value("several_labels", 0));
  if (model.contains("prompt_tokens") && model["prompt_tokens"].is_object())
    summary += tr(" Prompts average %1 tokens.")
                   .arg(number_or(model["prompt_tokens"], "mean", 0), 0, 'f', 0);
  summary_->setText(summary);

  // The confusion matrix: rows are the true answers (top to bottom), columns the predicted.
  const json confusion = model.value("confusion", json::array());
  if (n > 0 && confusion.is_array() && int(confusion.size()) == n) {
    auto* map = new QCPColorMap(confusion_plot_->xAxis, confusion_plot_->yAxis);
    map->data()->setSize(n, n);
    map->data()->setRange(QCPRange(0, n - 1), QCPRange(0, n - 1));
    double most = 1;
    for (int t = 0; t < n; ++t)
      for (int p = 0; p < n && p < int(confusion[size_t(t)].size()); ++p) {
        const double count = confusion[size_t(t)][size_t(p)].get<double>();
        map->data()->setCell(p, t, count);
        most = std::max(most, count);
      }
    QCPColorGradient gradient;
    gradient.setColorStopAt(0, QColor(0xf7, 0xfb, 0xff));
    gradient.setColorStopAt(1, QColor(0x08, 0x30, 0x6b));
    map->setGradient(gradient);
    map->setDataRange(QCPRange(0, most));
    map->setInterpolate(false);
    confusion_map_ = map;
    // The counts in the cells, white on dark cells.
    for (int t = 0; t < n; ++t)
      for (int p = 0; p < n; ++p) {
        const double count = map->data()->cell(p, t);
        auto* text = new QCPItemText(confusion_plot_);
        text->position->setCoords(p, t);
        text->setText(QString::number(int(count)));
        text->setColor(count > 0.5 * most ? Qt::white : Qt::black);
        QFont font = text->font();
        font.setBold(t == p);
        text->setFont(font);
      }
    QSharedPointer<QCPAxisTickerText> ticks(new QCPAxisTickerText);
    for (int i = 0; i < n; ++i)
      ticks->addTick(i, QString::fromStdString(classes[size_t(i)]));
    confusion_plot_->xAxis->setTicker(ticks);
    confusion_plot_->yAxis->setTicker(ticks);
    confusion_plot_->xAxis->setRange(-0.5, n - 0.5);
    confusion_plot_->yAxis->setRange(-0.5, n - 0.5);
    confusion_plot_->yAxis->setRangeReversed(true);
    for (auto* axis : {confusion_plot_->xAxis, confusion_plot_->yAxis})
      axis->grid()->setVisible(false);
  }
  confusion_plot_->replot();

  // The model beside the baselines: accuracy and macro-F1, the model's bars in strong colours.
  comparison_names_ << tr("model");
  for (const auto& b : baselines)
    comparison_names_ << baseline_title(b);
  auto add_bars = [this](const QColor& color, const QString& name) {
    auto* bars = new QCPBars(comparison_plot_->xAxis, comparison_plot_->yAxis);
    bars->setName(name);
    bars->setBrush(color);
    bars->setPen(QPen(color.darker(130)));
    bars->setWidth(0.35);
    return bars;
  };
  auto* model_acc = add_bars(kModelColor, tr("model: accuracy"));
  auto* model_f1 = add_bars(kModelF1Color, tr("model: macro-F1"));
  auto* base_acc = add_bars(kBaselineColor, tr("baselines: accuracy"));
  auto* base_f1 = add_bars(kBaselineF1Color, tr("baselines: macro-F1"));
  auto* model_group = new QCPBarsGroup(comparison_plot_);
  model_group->append(model_acc);
  model_group->append(model_f1);
  auto* base_group = new QCPBarsGroup(comparison_plot_);
  base_group->append(base_acc);
  base_group->append(base_f1);
  auto label_bar = [this](double key, double value, double offset) {
    auto* text = new QCPItemText(comparison_plot_);
    text->position->setCoords(key + offset, value);
    text->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
    text->setText(QString::number(value, 'f', 0));
    QFont font = text->font();
    font.setPointSizeF(font.pointSizeF() * 0.85);
    text->setFont(font);
  };
  model_acc->addData(0, 100 * accuracy);
  model_f1->addData(0, 100 * number_or(model, "macro_f1", 0));
  label_bar(0, 100 * accuracy, -0.175);
  label_bar(0, 100 * number_or(model, "macro_f1", 0), 0.175);
  for (size_t i = 0; i < baselines.size(); ++i) {
    const double a = 100 * number_or(baselines[i], "accuracy", 0);
    const double f = 100 * number_or(baselines[i], "macro_f1", 0);
    base_acc->addData(double(i + 1), a);
    base_f1->addData(double(i + 1), f);
    label_bar(double(i + 1), a, -0.175);
    label_bar(double(i + 1), f, 0.175);
  }
  QSharedPointer<QCPAxisTickerText> names(new QCPAxisTickerText);
  for (int i = 0; i < comparison_names_.size(); ++i)
    names->addTick(i, comparison_names_[i]);
  comparison_plot_->xAxis->setTicker(names);
  comparison_plot_->xAxis->setRange(-0.6, comparison_names_.size() - 0.4);
  comparison_plot_->yAxis->setRange(0, 110);
  style_plot(comparison_plot_);
  style_plot(confusion_plot_);
  comparison_plot_->replot();

  // The per-class table.
  const json per_class = model.value("per_class", json::array());
  per_class_->setRowCount(int(per_class.size()));
  for (size_t r = 0; r < per_class.size(); ++r) {
    const json& c = per_class[r];
    auto cell = [&](int column, const QString& text) {
      auto* item = new QTableWidgetItem(text);
      if (column > 0) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      per_class_->setItem(int(r), column, item);
    };
    cell(0, QString::fromStdString(c.value("label", "")));
    cell(1, QString::number(number_or(c, "precision", 0), 'f', 2));
    cell(2, QString::number(number_or(c, "recall", 0), 'f', 2));
    cell(3, QString::number(number_or(c, "f1", 0), 'f', 2));
    cell(4, QString::number(c.value("support", 0)));
  }

  // The mistakes, worst first, as the report lists them.
  const json mistakes = report.value("mistakes", json::array());
  for (size_t i = 0; i < mistakes.size(); ++i) {
    const json& m = mistakes[i];
    const QString predicted = m.contains("predicted") && m["predicted"].is_string()
                                  ? QString::fromStdString(m["predicted"].get<std::string>())
                                  : tr("(no valid answer)");
    QString text =
        QStringLiteral("%1 → %2").arg(QString::fromStdString(m.value("label", "")), predicted);
    // Whose it was: the person where people are known, else the recording.
    const std::string subject = m.value("subject", "");
    text += QStringLiteral("   (%1)").arg(
        QString::fromStdString(subject.empty() ? m.value("series", "") : subject));
    auto* item = new QListWidgetItem(text, mistakes_);
    item->setToolTip(QString::fromStdString(m.value("input", "")));
  }
  if (mistakes.empty()) mistakes_->addItem(tr("(no mistakes)"));
}

void FinetunePage::show_mistake(int row) {
  const json mistakes = report_.is_object() ? report_.value("mistakes", json::array()) : json();
  if (row < 0 || !mistakes.is_array() || size_t(row) >= mistakes.size() || !session_.is_open())
    return;
  const json& m = mistakes[size_t(row)];
  const std::string series_id = m.value("series", ""), subject = m.value("subject", "");
  const int64_t start = m.value("start", int64_t(0)), rows = m.value("rows", int64_t(0));
  QString note = tr("True <b>%1</b>, the model said <b>%2</b>")
                     .arg(QString::fromStdString(m.value("label", "")).toHtmlEscaped(),
                          QString::fromStdString(m.value("predicted", "?")).toHtmlEscaped());
  if (!subject.empty()) note += tr(", person %1").arg(QString::fromStdString(subject));
  note += tr(", recording %1.").arg(QString::fromStdString(series_id).toHtmlEscaped());
  // Find the recording the window came from (series ids are unique within a source).
  const auto& project = session_.project();
  for (size_t s = 0; s < project.sources.size(); ++s) {
    auto store = data::SeriesStore::open(project.path(project.sources[s].store));
    if (!store) continue;
    const auto& all = store->series();
    for (size_t k = 0; k < all.size(); ++k) {
      if (all[k].id != series_id || (!subject.empty() && all[k].subject != subject)) continue;
      auto series = store->read(k);
      if (!series) {
        mistake_note_->setText(QString::fromStdString(series.error().to_string()).toHtmlEscaped());
        return;
      }
      if (store->schema().kind == sensortext::SensorKind::rssi) {
        // One fingerprint: its row of access points.
        const size_t nc = store->schema().channels.size(), r = size_t(start);
        if (r >= series->rows()) break;
        std::vector<float> values(series->values.begin() + long(r * nc),
                                  series->values.begin() + long((r + 1) * nc));
        const json& sources = session_.data_info().value("sources", json::array());
        const json stats =
            s < sources.size() ? sources[s].value("stats", json::object()) : json::object();
        trace_->show_rssi(values, {series->labels[r]}, store->schema(), store->classes(),
                          heard_channels(stats));
        mistake_note_->setText(note);
        return;
      }
      trace_->show_imu(*series, store->schema(), store->classes());
      // The window the model read, at the prepared rate (the text may be resampled).
      auto summary = pipeline::read_prepared_summary(project.path(pipeline::kPreparedFolder));
      double rate = summary ? summary->value("rate_hz", 0.0) : 0.0;
      if (rate <= 0) rate = store->schema().sample_rate_hz > 0 ? store->schema().sample_rate_hz : 1;
      const double t0 = double(start) / rate, t1 = double(start + rows) / rate;
      auto* plot = trace_->plot();
      for (auto* rect : plot->axisRects()) {
        auto* window = new QCPItemRect(plot);
        window->setClipAxisRect(rect);
        for (auto* corner : {window->topLeft, window->bottomRight}) {
          corner->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
          corner->setTypeY(QCPItemPosition::ptAxisRectRatio);
        }
        window->topLeft->setCoords(t0, 0);
        window->bottomRight->setCoords(t1, 1);
        window->setPen(QPen(QColor(0xe6, 0x8a, 0x00), 2));
        window->setBrush(QColor(0xff, 0xd5, 0x4f, 60));
        window->setProperty("mistake_window", true);
        const double pad = std::max(0.5, 0.5 * (t1 - t0));
        const QCPRange shown(t0 - pad, t1 + pad);
        rect->axis(QCPAxis::atBottom)->setRange(shown);
        // The value axis fits the readings in view, not the whole recording's.
        QCPRange values;
        bool found_any = false;
        for (auto* graph : rect->graphs()) {
          if (graph->property("label_span").toBool()) continue;
          bool found = false;
          const QCPRange r = graph->getValueRange(found, QCP::sdBoth, shown);
          if (!found) continue;
          values = found_any
                       ? QCPRange(std::min(values.lower, r.lower), std::max(values.upper, r.upper))
                       : r;
          found_any = true;
        }
        if (found_any) {
          const double margin = std::max(1e-6, 0.08 * values.size());
          rect->axis(QCPAxis::atLeft)->setRange(values.lower - margin, values.upper + margin);
        }
      }
      plot->replot();
      note += tr(" The window the model read is outlined (%1 s to %2 s).")
                  .arg(t0, 0, 'f', 1)
                  .arg(t1, 0, 'f', 1);
      mistake_note_->setText(note);
      return;
    }
  }
  trace_->clear();
  mistake_note_->setText(note + tr(" Its recording is not in the project any more."));
}

}  // namespace tinyllm::ui
