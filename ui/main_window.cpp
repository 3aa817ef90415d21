#include "main_window.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyleHints>
#include <QVBoxLayout>

#include <memory>
#include <vector>

#include "appearance.h"
#include "base/version.h"
#include "data_page.h"
#include "deploy_page.h"
#include "finetune_page.h"
#include "job_runner.h"
#include "pipeline/pretrain_step.h"
#include "pretrain_page.h"
#include "project/project.h"
#include "project_session.h"
#include "quantize_page.h"
#include "run_on_picker.h"
#include "start_page.h"

#include <qcustomplot.h>

// The icons live in a static library: their registration must be pulled in explicitly.
static void init_resources() {
  Q_INIT_RESOURCE(resources);
}

namespace tinyllm::ui {

namespace {

QPalette dark_palette() {
  QPalette p;
  const QColor base(0x1e, 0x1f, 0x22), window(0x2b, 0x2d, 0x30), text(0xdf, 0xe1, 0xe5);
  p.setColor(QPalette::Window, window);
  p.setColor(QPalette::WindowText, text);
  p.setColor(QPalette::Base, base);
  p.setColor(QPalette::AlternateBase, window);
  p.setColor(QPalette::Text, text);
  p.setColor(QPalette::Button, window);
  p.setColor(QPalette::ButtonText, text);
  p.setColor(QPalette::Highlight, QColor(0x35, 0x74, 0xf0));
  p.setColor(QPalette::HighlightedText, Qt::white);
  p.setColor(QPalette::ToolTipBase, base);
  p.setColor(QPalette::ToolTipText, text);
  p.setColor(QPalette::PlaceholderText, QColor(0x8a, 0x8d, 0x93));
  p.setColor(QPalette::Mid, QColor(0x8a, 0x8d, 0x93));
  p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x6f, 0x73, 0x7a));
  p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x6f, 0x73, 0x7a));
  return p;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), session_(new ProjectSession(this)) {
  init_resources();
  setWindowTitle(tr("TinyLLM Workbench"));
  setWindowIcon(QIcon(QStringLiteral(":/icons/tinyllm.svg")));
  top_ = new QStackedWidget;
  start_ = new StartPage;
  top_->addWidget(start_);

  project_view_ = new QWidget;
  auto* h = new QHBoxLayout(project_view_);
  auto* rail_box = new QVBoxLayout;
  rail_ = new QListWidget;
  rail_->setAccessibleName(tr("Steps"));
  rail_->setFixedWidth(230);
  rail_->setIconSize(QSize(22, 22));
  rail_->setSpacing(2);
  static const char* kIcons[] = {":/icons/data.svg", ":/icons/pretrain.svg", ":/icons/finetune.svg",
                                 ":/icons/quantize.svg", ":/icons/deploy.svg"};
  for (int i = 0; i < kStepCount; ++i)
    new QListWidgetItem(QIcon(QString::fromLatin1(kIcons[i])), QString(), rail_);
  rail_box->addWidget(rail_, 1);
  rail_hint_ = new QLabel;
  rail_hint_->setWordWrap(true);
  rail_hint_->setFixedWidth(230);
  rail_box->addWidget(rail_hint_);
  h->addLayout(rail_box);
  pages_ = new QStackedWidget;
  data_page_ = new DataPage(*session_);
  pages_->addWidget(data_page_);
  pretrain_page_ = new PretrainPage(*session_);
  pages_->addWidget(pretrain_page_);
  finetune_page_ = new FinetunePage(*session_);
  pages_->addWidget(finetune_page_);
  quantize_page_ = new QuantizePage(*session_);
  pages_->addWidget(quantize_page_);
  deploy_page_ = new DeployPage(*session_);
  pages_->addWidget(deploy_page_);
  h->addWidget(pages_, 1);
  top_->addWidget(project_view_);
  setCentralWidget(top_);
  statusBar();

  build_menus();
  connect(rail_, &QListWidget::currentRowChanged, this, [this](int row) {
    if (row < 0) return;
    pages_->setCurrentIndex(row);
    refresh_hint();
  });
  connect(session_, &ProjectSession::changed, this, &MainWindow::refresh_rail);
  connect(session_, &ProjectSession::loadFailed, this,
          [this](const QString& m) { statusBar()->showMessage(m, 15000); });
  connect(data_page_, &DataPage::status, this,
          [this](const QString& m) { statusBar()->showMessage(m, 10000); });
  connect(pretrain_page_, &PretrainPage::status, this,
          [this](const QString& m) { statusBar()->showMessage(m, 10000); });
  connect(finetune_page_, &FinetunePage::status, this,
          [this](const QString& m) { statusBar()->showMessage(m, 10000); });
  connect(quantize_page_, &QuantizePage::status, this,
          [this](const QString& m) { statusBar()->showMessage(m, 10000); });
  connect(deploy_page_, &DeployPage::status, this,
          [this](const QString& m) { statusBar()->showMessage(m, 10000); });
  connect(start_, &StartPage::openRequested, this, [this](QString folder) {
    if (folder.isEmpty())
      folder =
          QFileDialog::getExistingDirectory(this, tr("Open a project folder"), QDir::homePath());
    if (!folder.isEmpty()) open_project(folder);
  });
  connect(start_, &StartPage::newProjectRequested, this, &MainWindow::new_project);
  connect(start_, &StartPage::newDemoRequested, this, [this](const QString& kind) {
    const QString folder = QDir::homePath() + QStringLiteral("/TinyLLM/demo-") + kind;
    if (QFileInfo::exists(folder + QStringLiteral("/project.json"))) {
      open_project(folder);
      return;
    }
    auto* job = new JobRunner(this);
    statusBar()->showMessage(tr("Making the demo project..."));
    start_->setEnabled(false);
    connect(job, &JobRunner::finished, this,
            [this, job, folder](int code, const QString&, const QString& err) {
              start_->setEnabled(true);
              statusBar()->clearMessage();
              job->deleteLater();
              if (code != 0) {
                start_->show_error(err);
                return;
              }
              open_project(folder);
            });
    job->start(
        {QStringLiteral("project"), QStringLiteral("new"), folder, QStringLiteral("--demo"), kind});
  });

  QSettings settings;
  restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
  set_dark(settings.value(QStringLiteral("view/dark"), false).toBool());
  if (!settings.contains(QStringLiteral("window/geometry"))) resize(1280, 800);
  show_start();
}

MainWindow::~MainWindow() {
  // The pages and their dialogs use the session: they go first.
  delete takeCentralWidget();
}

QWidget* MainWindow::step_page(int step) const {
  return pages_->widget(step);
}

void MainWindow::build_menus() {
  auto* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&Open project..."), QKeySequence::Open, this,
                  [this] { emit start_->openRequested(QString()); });
  file->addAction(tr("&Close project"), QKeySequence::Close, this, &MainWindow::close_project);
  file->addSeparator();
  file->addAction(tr("&Import recordings..."), QKeySequence(tr("Ctrl+I")), this, [this] {
    if (session_->is_open()) data_page_->open_import_dialog();
  });
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
  auto* view = menuBar()->addMenu(tr("&View"));
  auto* dark = view->addAction(tr("&Dark palette"));
  dark->setCheckable(true);
  dark->setChecked(QSettings().value(QStringLiteral("view/dark"), false).toBool());
  connect(dark, &QAction::toggled, this, [this](bool on) {
    QSettings().setValue(QStringLiteral("view/dark"), on);
    set_dark(on);
  });
  auto* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About"), this, [this] {
    QMessageBox::about(
        this, tr("About TinyLLM Workbench"),
        tr("<b>TinyLLM Workbench</b> %1<p>Small language models for sensors, from recordings "
           "to a Raspberry Pi, following the TinyLLM paper (arXiv 2412.15304).</p>")
            .arg(version()));
  });
}

void MainWindow::set_dark(bool dark) {
  qApp->setPalette(dark ? dark_palette() : qApp->style()->standardPalette());
  for (auto* plot : findChildren<QCustomPlot*>())
    style_plot(plot);
  refresh_rail();
}

void MainWindow::show_start() {
  start_->set_recent(QSettings().value(QStringLiteral("recent")).toStringList());
  top_->setCurrentWidget(start_);
  setWindowTitle(tr("TinyLLM Workbench"));
}

QString MainWindow::version() {
  return QString::fromLatin1(kWorkbenchVersion);
}

void MainWindow::new_project() {
  // A name and a parent folder (a folder dialog: the project is a folder, not a file).
  QDialog dialog(this);
  dialog.setWindowTitle(tr("New project"));
  auto* form = new QFormLayout(&dialog);
  auto* name = new QLineEdit(QStringLiteral("my-project"));
  auto* parent_folder = new QLineEdit(QDir::homePath() + QStringLiteral("/TinyLLM"));
  auto* browse = new QPushButton(tr("&Choose..."));
  auto* where = new QHBoxLayout;
  where->addWidget(parent_folder, 1);
  where->addWidget(browse);
  form->addRow(tr("&Name:"), name);
  // A row that holds a layout gets no buddy, so its mnemonic would show as a literal '&'.
  auto* where_label = new QLabel(tr("&In folder:"));
  where_label->setBuddy(parent_folder);
  form->addRow(where_label, where);
  auto* result = new QLabel;
  form->addRow(result);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  form->addRow(buttons);
  auto target = [&] { return QDir(parent_folder->text()).filePath(name->text().trimmed()); };
  auto update = [&] {
    result->setText(tr("The project will be the folder %1").arg(target()));
    buttons->button(QDialogButtonBox::Ok)->setEnabled(!name->text().trimmed().isEmpty());
  };
  update();
  connect(name, &QLineEdit::textChanged, &dialog, update);
  connect(parent_folder, &QLineEdit::textChanged, &dialog, update);
  connect(browse, &QPushButton::clicked, &dialog, [&] {
    const QString f = QFileDialog::getExistingDirectory(&dialog, tr("Where the project goes"),
                                                        parent_folder->text());
    if (!f.isEmpty()) parent_folder->setText(f);
  });
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  if (dialog.exec() != QDialog::Accepted) return;
  const QString folder = target();
  auto created =
      project::create_project(folder.toStdString(), name->text().trimmed().toStdString(), "");
  if (!created) {
    start_->show_error(QString::fromStdString(created.error().to_string()));
    return;
  }
  if (open_project(folder)) data_page_->open_import_dialog();
}

void MainWindow::leave_project(const QString& question, std::function<void()> then) {
  if (!session_->is_open() || !jobs_running()) {
    then();
    return;
  }
  const auto answer = QMessageBox::question(
      this, tr("A job of this project is running"),
      tr("%1 A checkpoint is written first, and Resume continues from it later.").arg(question));
  if (answer != QMessageBox::Yes) return;
  statusBar()->showMessage(tr("Stopping the running job: writing a checkpoint..."));
  stop_jobs([this, then] {
    statusBar()->clearMessage();
    then();
  });
}

bool MainWindow::jobs_running() const {
  return pretrain_page_->busy() || finetune_page_->busy() || quantize_page_->busy() ||
         deploy_page_->busy();
}

void MainWindow::stop_jobs(std::function<void()> then) {
  // Each page says when its jobs have ended; `then` runs once, when no page has one left.
  auto pending = std::make_shared<std::function<void()>>(std::move(then));
  auto connections = std::make_shared<std::vector<QMetaObject::Connection>>();
  auto check = [this, pending, connections] {
    if (!*pending || jobs_running()) return;
    for (const auto& c : *connections)
      disconnect(c);
    auto run = std::move(*pending);
    *pending = nullptr;
    run();
  };
  connections->push_back(connect(pretrain_page_, &PretrainPage::allJobsFinished, this, check));
  connections->push_back(connect(finetune_page_, &FinetunePage::allJobsFinished, this, check));
  connections->push_back(connect(quantize_page_, &QuantizePage::allJobsFinished, this, check));
  connections->push_back(connect(deploy_page_, &DeployPage::allJobsFinished, this, check));
  if (pretrain_page_->busy()) pretrain_page_->stop_all();
  if (finetune_page_->busy()) finetune_page_->stop_all();
  if (quantize_page_->busy()) quantize_page_->stop_all();
  if (deploy_page_->busy()) deploy_page_->stop_all();
}

void MainWindow::close_project() {
  leave_project(tr("Stop it and close the project?"), [this] {
    session_->close();
    show_start();
  });
}

bool MainWindow::open_project(const QString& folder) {
  if (session_->is_open() && jobs_running()) {
    if (QFileInfo(folder) == QFileInfo(session_->folder())) return true;  // already open
    leave_project(tr("Stop it and open %1?").arg(folder), [this, folder] { open_project(folder); });
    return false;
  }
  if (auto error = session_->open(folder)) {
    start_->show_error(*error);
    show_start();
    return false;
  }
  start_->show_error({});
  QSettings settings;
  QStringList recent = settings.value(QStringLiteral("recent")).toStringList();
  recent.removeAll(folder);
  recent.prepend(folder);
  while (recent.size() > 10)
    recent.removeLast();
  settings.setValue(QStringLiteral("recent"), recent);
  top_->setCurrentWidget(project_view_);
  rail_->setCurrentRow(0);
  setWindowTitle(
      tr("%1 — TinyLLM Workbench").arg(QString::fromStdString(session_->project().name)));
  return true;
}

namespace {

// The hosts the step's newest run was trained on, when it ran elsewhere (tinyllm train --on).
QStringList newest_run_hosts(const ProjectSession& session, Step step) {
  if (!session.is_open() || (step != Step::pretrain && step != Step::finetune)) return {};
  const auto& family = step == Step::finetune ? pipeline::kFinetuneRuns : pipeline::kPretrainRuns;
  const auto& project = session.project();
  const auto run = pipeline::latest_run_id(project, family);
  if (!run) return {};
  const auto* artifact = project.find_artifact(pipeline::checkpoint_artifact_id(*run, family));
  return artifact ? ran_on_hosts(artifact->outcome) : QStringList();
}

// A training step's hint while its worker trains or waits (Pre-train and Fine-tune alike), empty
// in any other state.
QString training_worker_hint(StepState state) {
  if (state == StepState::running)
    return MainWindow::tr("Running. Pause or Stop keep what was trained so far.");
  if (state == StepState::paused)
    return MainWindow::tr(
        "Paused: the worker waits at a step boundary. Continue goes on; Stop keeps what was "
        "trained so far.");
  return {};
}

}  // namespace

// What to do next on the chosen step, from the project's state: it changes as the work does.
void MainWindow::refresh_hint() {
  const int row = rail_->currentRow();
  if (row < 0 || !session_->is_open()) {
    rail_hint_->clear();
    return;
  }
  const Step step = Step(row);
  const StepState st = session_->state(step);
  const auto& project = session_->project();
  QString hint;
  if (step == Step::data) {
    if (st == StepState::running)
      hint = tr("Preparing training text...");
    else if (project.sources.empty())
      hint = tr("Next: import recordings (Import recordings...).");
    else if (!project.find_artifact("prepared"))
      hint = tr("Next: choose the task and window, then Prepare training text.");
    else if (st == StepState::stale)
      hint = tr("The recordings changed: prepare the training text again.");
    else
      hint = tr("Done. Next: the Pre-train step.");
  } else if (step == Step::pretrain) {
    if (st == StepState::blocked || st == StepState::attention)
      hint = session_->requirement(step);
    else if (const QString working = training_worker_hint(st); !working.isEmpty())
      hint = working;
    else if (!project.find_artifact("tokenizer"))
      hint = tr("Next: train the tokenizer.");
    else if (st == StepState::stale)
      hint = tr("The training text changed: train the tokenizer again.");
    else if (pretrain_page_->resumable_run().isEmpty())
      hint = tr("Next: pick a model size and press Start.");
    else
      hint = tr("A run is saved: Resume continues it, Start begins a new one.");
  } else if (step == Step::finetune) {
    if (st == StepState::blocked)
      hint = session_->requirement(step);
    else if (const QString working = training_worker_hint(st); !working.isEmpty())
      hint = working;
    else if (st == StepState::stale)
      hint = tr("An input changed since the last run: fine-tune again.");
    else if (st == StepState::done)
      hint = tr("Done. Evaluate a run to compare it with the baselines.");
    else if (!finetune_page_->resumable_run().isEmpty())
      hint = tr("A run is saved: Resume continues it, Start begins a new one.");
    else
      hint = tr("Next: check the settings and press Start.");
  } else if (step == Step::quantize) {
    if (st == StepState::blocked)
      hint = session_->requirement(step);
    else if (st == StepState::running)
      hint = tr("Exporting and measuring. Stop ends it.");
    else if (st == StepState::stale)
      hint = tr("The model changed since the export: export again.");
    else if (st == StepState::done)
      hint = tr("Done. Compare the variants, try one, then the Deploy step.");
    else
      hint = tr("Next: tick the types and press Export.");
  } else {
    hint = session_->requirement(step);
  }
  rail_hint_->setText(hint);
}

void MainWindow::refresh_rail() {
  for (int i = 0; i < kStepCount; ++i) {
    const StepState st = session_->state(Step(i));
    auto* item = rail_->item(i);
    QString state = step_state_text(st);
    QString tip = session_->requirement(Step(i));
    if (const QStringList hosts = newest_run_hosts(*session_, Step(i)); !hosts.isEmpty()) {
      state += tr(" · on %1").arg(hosts.join(QStringLiteral(", ")));
      tip += (tip.isEmpty() ? QString() : QStringLiteral("\n")) +
             tr("The newest run was trained on %1.").arg(hosts.join(QStringLiteral(", ")));
    }
    item->setText(QStringLiteral("%1. %2\n%3").arg(i + 1).arg(step_title(Step(i)), state));
    item->setToolTip(tip);
    // Steps without an engine yet can be looked at but are shown as not available.
    item->setForeground(st == StepState::unavailable || st == StepState::blocked
                            ? qApp->palette().color(QPalette::Disabled, QPalette::Text)
                            : qApp->palette().color(QPalette::Text));
  }
  refresh_hint();
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (jobs_running()) {
    // Closing asks first, then lets the worker write a checkpoint before the window goes.
    const auto answer = QMessageBox::question(
        this, tr("Training is running"),
        tr("Stop training? A checkpoint is written first, and Resume continues from it later."));
    event->ignore();
    if (answer != QMessageBox::Yes) return;
    stop_jobs([this] { QMetaObject::invokeMethod(this, &QWidget::close, Qt::QueuedConnection); });
    return;
  }
  QSettings().setValue(QStringLiteral("window/geometry"), saveGeometry());
  deploy_page_->stop_try_server();  // the model kept loaded on a device for Try it
  event->accept();
}

}  // namespace tinyllm::ui
