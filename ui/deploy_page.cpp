#include "deploy_page.h"

#include <qcustomplot.h>
#include <QComboBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHideEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <set>

#include "appearance.h"
#include "deploy_models.h"
#include "deploy_plots.h"
#include "deploy_text.h"
#include "device_dialog.h"
#include "job_runner.h"
#include "pipeline/quantize_step.h"
#include "project_session.h"
#include "try_it_panel.h"
#include "try_it_server.h"

namespace tinyllm::ui {

using nlohmann::json;

namespace {

QPushButton* button(const QString& text, const QString& tip) {
  auto* b = new QPushButton(text);
  b->setToolTip(tip);
  return b;
}

}  // namespace

DeployPage::DeployPage(ProjectSession& session, QWidget* parent)
    : QWidget(parent),
      session_(session),
      job_(new JobRunner(this)),
      try_server_(new TryItServer(this)) {
  auto* outer = new QVBoxLayout(this);
  auto* splitter = new QSplitter(Qt::Vertical);
  outer->addWidget(splitter, 1);

  // Devices.
  auto* device_box = new QGroupBox(tr("Devices"));
  auto* device_layout = new QHBoxLayout(device_box);
  devices_ = new DeviceTableModel(this);
  device_table_ = new QTableView;
  device_table_->setModel(devices_);
  device_table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  device_table_->setSelectionMode(QAbstractItemView::SingleSelection);
  device_table_->horizontalHeader()->setStretchLastSection(true);
  device_table_->verticalHeader()->hide();
  device_table_->setAccessibleName(tr("Devices"));
  device_layout->addWidget(device_table_, 1);
  auto* device_buttons = new QVBoxLayout;
  add_ = button(tr("&Add..."), tr("Add a Raspberry Pi or another Linux device reachable over SSH"));
  edit_ = button(tr("&Edit..."), tr("Change the selected device's login or folder"));
  probe_ = button(tr("&Probe"), tr("Ask the selected device again what it is and has"));
  remove_ = button(tr("&Remove"), tr("Forget the selected device (nothing on it is touched)"));
  for (auto* b : {add_, edit_, probe_, remove_})
    device_buttons->addWidget(b);
  device_buttons->addStretch(1);
  device_layout->addLayout(device_buttons);
  splitter->addWidget(device_box);

  // Deploy.
  auto* deploy_box = new QGroupBox(tr("Deploy"));
  auto* deploy_layout = new QHBoxLayout(deploy_box);
  auto* choose = new QFormLayout;
  variant_ = new QComboBox;
  variant_->setToolTip(
      tr("Which exported file goes to the device. q8_0 is nearly as accurate "
         "as f32 at a quarter of the size."));
  choose->addRow(tr("&Model file:"), variant_);
  variant_note_ = new QLabel;
  variant_note_->setWordWrap(true);
  choose->addRow(variant_note_);
  targets_ = new QListWidget;
  targets_->setAccessibleName(tr("Devices to deploy to"));
  targets_->setMaximumHeight(110);
  choose->addRow(tr("To:"), targets_);
  deploy_ = button(tr("&Deploy"), tr("Send the model to the checked devices, check it there and "
                                     "make it the current version"));
  choose->addRow(deploy_);
  deploy_layout->addLayout(choose, 1);
  auto* progress_box = new QWidget;
  progress_grid_ = new QGridLayout(progress_box);
  progress_grid_->setColumnStretch(1, 1);
  progress_grid_->setColumnStretch(2, 2);
  progress_hint_ =
      new QLabel(tr("Tick the devices and press Deploy: each gets a progress bar "
                    "here, then what was sent and how long it took."));
  progress_hint_->setWordWrap(true);
  progress_grid_->addWidget(progress_hint_, 0, 0, 1, 3);
  deploy_layout->addWidget(progress_box, 2, Qt::AlignTop);
  splitter->addWidget(deploy_box);

  // Results and "Try it".
  auto* tabs = new QTabWidget;
  auto* results = new QWidget;
  auto* results_layout = new QVBoxLayout(results);
  auto* result_buttons = new QHBoxLayout;
  bench_ = button(tr("&Bench"), tr("Measure speed and memory on the selected device, and on this "
                                   "computer with the same file"));
  evaluate_ = button(tr("E&valuate"), tr("Accuracy on the test examples on the selected device, "
                                         "and on this computer with the same file"));
  rollback_ = button(tr("Roll &back"), tr("Make the version installed before the current one "
                                          "current again on the selected device"));
  for (auto* b : {bench_, evaluate_, rollback_})
    result_buttons->addWidget(b);
  result_buttons->addStretch(1);
  results_layout->addLayout(result_buttons);
  auto* results_split = new QSplitter(Qt::Horizontal);
  runs_ = new RunTableModel(this);
  results_table_ = new QTableView;
  results_table_->setModel(runs_);
  results_table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  results_table_->horizontalHeader()->setStretchLastSection(true);
  results_table_->verticalHeader()->hide();
  results_table_->setAccessibleName(tr("Results"));
  results_split->addWidget(results_table_);
  plot_ = new QCustomPlot;
  plot_->setMinimumSize(300, 200);
  results_split->addWidget(plot_);
  results_split->setStretchFactor(0, 3);
  results_split->setStretchFactor(1, 2);
  remember_splitter(results_split, QStringLiteral("deploy/results_split"));
  results_layout->addWidget(results_split, 1);
  tabs->addTab(results, tr("Results on the devices"));

  try_ = new TryItPanel(tr("&Run on the device"), tr("Classify it on the selected device"));
  tabs->addTab(try_, tr("Try it"));
  splitter->addWidget(tabs);
  splitter->setStretchFactor(0, 2);
  splitter->setStretchFactor(1, 2);
  splitter->setStretchFactor(2, 5);
  remember_splitter(splitter, QStringLiteral("deploy/splitter"));

  status_ = new QLabel;
  status_->setWordWrap(true);
  outer->addWidget(status_);

  connect(job_, &JobRunner::lineReceived, this, &DeployPage::on_line);
  connect(job_, &JobRunner::finished, this,
          [this](int code, const QString& out, const QString& err) {
            auto done = std::move(job_done_);
            job_done_ = nullptr;
            if (done) done(code, out, err);
            update_buttons();
            if (!busy()) emit allJobsFinished();
          });
  connect(add_, &QPushButton::clicked, this, &DeployPage::add_device);
  connect(edit_, &QPushButton::clicked, this, &DeployPage::edit_device);
  connect(probe_, &QPushButton::clicked, this, &DeployPage::probe_device);
  connect(remove_, &QPushButton::clicked, this, &DeployPage::remove_device);
  connect(deploy_, &QPushButton::clicked, this, &DeployPage::start_deploy);
  connect(bench_, &QPushButton::clicked, this, [this] { run_remote(QStringLiteral("bench")); });
  connect(evaluate_, &QPushButton::clicked, this, [this] { run_remote(QStringLiteral("eval")); });
  connect(rollback_, &QPushButton::clicked, this,
          [this] { run_remote(QStringLiteral("rollback")); });
  connect(try_, &TryItPanel::runRequested, this, &DeployPage::try_it);
  connect(try_server_, &TryItServer::serverReady, this, [this](const json& event) {
    if (pending_try_)
      try_->set_running(tr("The model is loaded on %1 (in %2 s); running...")
                            .arg(pending_try_->device)
                            .arg(event.value("start_ms", 0.0) / 1000.0, 0, 'f', 1));
  });
  connect(try_server_, &TryItServer::answered, this, &DeployPage::on_try_answer);
  connect(try_server_, &TryItServer::askSecret, this, [this](const QString& prompt) {
    if (try_server_->job()) ask_device_secret(this, *try_server_->job(), prompt);
  });
  connect(try_server_, &TryItServer::failed, this, [this](const QString& detail, bool pending) {
    const QString device = try_server_->key().device;
    if (pending && pending_try_) {
      pending_try_.reset();
      try_->show_failed();
      update_buttons();
      return show_failure(tr("Could not run it on %1").arg(device), detail);
    }
    status_->setText(tr("The model on %1 stopped: %2").arg(device, explain_failure(detail)));
  });
  connect(targets_, &QListWidget::itemChanged, this, &DeployPage::update_buttons);
  connect(device_table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
    check_try_server();
    update_buttons();
  });
  connect(&session_, &ProjectSession::changed, this, &DeployPage::refresh);
  refresh();
}

bool DeployPage::busy() const {
  return job_->running();
}

void DeployPage::stop_all() {
  stop_try_server();
  job_->cancel();
  if (!busy()) emit allJobsFinished();
}

void DeployPage::stop_try_server() {
  try_server_->stop();
  if (pending_try_) {
    pending_try_.reset();
    try_->set_running(tr("Stopped."));
  }
  update_buttons();
}

void DeployPage::hideEvent(QHideEvent* event) {
  // Another step was chosen (not a minimized window): the model on the device is let go.
  if (!event->spontaneous()) stop_try_server();
  QWidget::hideEvent(event);
}

QString DeployPage::project_folder() const {
  return session_.folder();
}

QString DeployPage::selected_device() const {
  const auto rows = device_table_->selectionModel()->selectedRows();
  if (rows.isEmpty()) return {};
  return QString::fromStdString(devices_->devices()[size_t(rows.first().row())].name);
}

void DeployPage::refresh() {
  if (!session_.is_open()) {
    stop_try_server();
    devices_->clear();
    runs_->clear();
    targets_->clear();
    variant_->clear();
    update_buttons();
    return;
  }
  const QString selected = selected_device();
  const auto root = session_.project().root;
  if (const QString e = devices_->reload(root); !e.isEmpty()) status_->setText(e);
  for (int r = 0; r < devices_->rowCount(); ++r)
    if (QString::fromStdString(devices_->devices()[size_t(r)].name) == selected)
      device_table_->selectRow(r);
  if (selected_device().isEmpty() && devices_->rowCount() > 0) device_table_->selectRow(0);
  device_table_->resizeColumnsToContents();
  refresh_variants();
  refresh_targets();
  refresh_results();
  try_->load_examples(session_.project().path("data/prepared/task_test.jsonl"));
  check_try_server();
  update_buttons();
}

void DeployPage::refresh_variants() {
  const QString chosen = variant_->currentData().toString();
  variant_->clear();
  std::set<std::string> types;
  for (const auto& a : session_.project().artifacts)
    if (a.kind == "gguf")  // recorded as GGUF names it ("Q8_0"); the CLI takes either case
      types.insert(QString::fromStdString(a.settings.value("type", "")).toLower().toStdString());
  // q8_0 first: the recommended one for a Pi.
  for (const char* t : {"q8_0", "q4_0", "f16", "f32"})
    if (types.count(t))
      variant_->addItem(std::string(t) == pipeline::kRecommendedQuantType
                            ? tr("%1 (recommended)").arg(t)
                            : QString::fromLatin1(t),
                        QString::fromLatin1(t));
  const int i = variant_->findData(chosen);
  if (i >= 0) variant_->setCurrentIndex(i);
  variant_note_->setText(variant_->count() == 0
                             ? tr("No exported model yet: export the fine-tuned model on the "
                                  "Quantize step first (tinyllm export).")
                             : QString());
  variant_note_->setVisible(variant_->count() == 0);
}

void DeployPage::refresh_targets() {
  std::set<QString> checked;
  for (int i = 0; i < targets_->count(); ++i)
    if (targets_->item(i)->checkState() == Qt::Checked) checked.insert(targets_->item(i)->text());
  const bool first_time = targets_->count() == 0;
  QSignalBlocker block(targets_);
  targets_->clear();
  for (const auto& d : devices_->devices()) {
    auto* item = new QListWidgetItem(QString::fromStdString(d.name), targets_);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
    const bool on = checked.count(item->text()) || (first_time && devices_->devices().size() == 1);
    item->setCheckState(on ? Qt::Checked : Qt::Unchecked);
  }
}

void DeployPage::refresh_results() {
  if (const QString e = runs_->reload(session_.project().root); !e.isEmpty()) status_->setText(e);
  results_table_->resizeColumnsToContents();
  results_table_->scrollToBottom();
  plot_runs_over_versions(plot_, runs_->runs());
}

void DeployPage::update_buttons() {
  const bool idle = !busy();
  const bool has_device = !selected_device().isEmpty();
  bool any_target = false;
  for (int i = 0; i < targets_->count(); ++i)
    any_target |= targets_->item(i)->checkState() == Qt::Checked;
  add_->setEnabled(idle && session_.is_open());
  for (auto* b : {edit_, probe_, remove_, bench_, evaluate_, rollback_})
    b->setEnabled(idle && has_device);
  // Trying runs beside the other jobs (its own process and connection), one try at a time.
  try_->run_button()->setEnabled(has_device && !pending_try_);
  deploy_->setEnabled(idle && any_target && variant_->count() > 0);
}

// ---- jobs

void DeployPage::run_cli(const QString& what, const QStringList& args,
                         std::function<void(int, const QString&, const QString&)> done) {
  if (busy()) return;
  job_done_ = std::move(done);
  status_->setText(what);
  emit status(what);
  job_->start(args);
  update_buttons();
}

void DeployPage::on_line(const QString& line) {
  if (!line.startsWith(QLatin1Char('{'))) return;
  const json e = json::parse(line.toStdString(), nullptr, false);
  if (!e.is_object() || !e.contains("event")) return;
  const std::string event = e.value("event", "");
  if (event == "ask")
    ask_secret(QString::fromStdString(e.value("prompt", "")));
  else if (e.contains("device"))
    on_deploy_event(e);
}

void DeployPage::ask_secret(const QString& prompt) {
  ask_device_secret(this, *job_, prompt);
}

void DeployPage::show_failure(const QString& title, const QString& detail) {
  QMessageBox box(classify_failure(detail) == DeployFailure::changed_host_key
                      ? QMessageBox::Critical
                      : QMessageBox::Warning,
                  title, explain_failure(detail), QMessageBox::Ok, this);
  box.setDetailedText(detail);
  status_->setText(title + QStringLiteral(": ") + explain_failure(detail));
  box.exec();
}

// ---- results and "Try it"

void DeployPage::run_remote(const QString& action) {
  const QString name = selected_device();
  if (name.isEmpty()) return;
  const bool rollback = action == QLatin1String("rollback");
  QStringList args = {QStringLiteral("remote"),    action,
                      QStringLiteral("--project"), project_folder(),
                      QStringLiteral("--device"),  name};
  if (!rollback) args << QStringLiteral("--json");
  const QString doing = rollback ? tr("Rolling back on %1...").arg(name)
                        : action == QLatin1String("bench")
                            ? tr("Benchmarking on %1 and on this computer...").arg(name)
                            : tr("Evaluating on %1 and on this computer...").arg(name);
  run_cli(doing, args,
          [this, name, action, rollback](int code, const QString& out, const QString& err) {
            // `current` moved on the device: a server started before serves the old version.
            if (rollback && try_server_->key().device == name) stop_try_server();
            session_.reload();
            if (code != 0)
              return show_failure(rollback ? tr("Could not roll back on %1").arg(name)
                                           : tr("Could not %1 on %2").arg(action, name),
                                  err);
            status_->setText(rollback ? out.trimmed() : tr("Done: %1 on %2.").arg(action, name));
          });
}

QString DeployPage::selected_version() const {
  const auto rows = device_table_->selectionModel()->selectedRows();
  if (rows.isEmpty()) return {};
  return QString::fromStdString(devices_->last_install(rows.first().row()).value("version", ""));
}

void DeployPage::check_try_server() {
  if (!try_server_->running()) return;
  const TryItServer::Key shown{project_folder(), selected_device(), selected_version()};
  if (!session_.is_open() || !(shown == try_server_->key())) stop_try_server();
}

void DeployPage::try_it() {
  const QString name = selected_device();
  if (name.isEmpty() || pending_try_) return;
  const QString typed = try_->typed_prompt();
  const QString prompt = typed.isEmpty() ? try_->example_prompt() : typed;
  if (prompt.isEmpty()) {
    try_->set_running(tr("No test example to run: prepare the data first, or type a prompt."));
    return;
  }
  const TryItServer::Key key{project_folder(), name, selected_version()};
  const bool start = !(try_server_->running() && try_server_->key() == key);
  pending_try_ = PendingTry{name, typed.isEmpty() ? try_->true_label() : QString(), start};
  if (start) {
    try_->set_running(tr("Starting the model on the device..."));
    status_->setText(
        tr("Starting the model on %1: it stays loaded there for the next tries.").arg(name));
  } else {
    try_->set_running(tr("Running on %1...").arg(name));
  }
  try_server_->send(key, {{"op", "classify"}, {"prompt", prompt.toStdString()}});
  update_buttons();
}

void DeployPage::on_try_answer(const json& answer, double round_trip_ms) {
  if (!pending_try_) return;
  const PendingTry done = *pending_try_;
  pending_try_.reset();
  update_buttons();
  if (answer.contains("error")) {
    const QString why = QString::fromStdString(answer.value("error", ""));
    try_->set_running(tr("The device could not answer: %1").arg(why.toHtmlEscaped()));
    status_->setText(tr("Could not run it on %1.").arg(done.device));
    return;
  }
  const QString note =
      done.started_server ? tr("The model was started on %1 for this try; the next tries reuse it.")
                                .arg(done.device)
                          : tr("The model was already loaded on %1: %2 ms there and back.")
                                .arg(done.device)
                                .arg(round_trip_ms, 0, 'f', 1);
  try_->show_result(answer, done.true_label, note);
  status_->setText(tr("Done on %1.").arg(done.device));
}

}  // namespace tinyllm::ui
