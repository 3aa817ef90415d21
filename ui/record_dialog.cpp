#include "record_dialog.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>

#include "deploy/device.h"
#include "deploy/project_deploy.h"
#include "device_dialog.h"
#include "job_runner.h"
#include "project_session.h"
#include "trace_plot.h"

namespace tinyllm::ui {
using nlohmann::json;

namespace {

// The live plot shows this much of the take at once (seconds, or readings without a time column).
constexpr double kLiveWindowSeconds = 10;
constexpr double kLiveWindowReadings = 100;

}  // namespace

RecordDialog::RecordDialog(ProjectSession& session, QWidget* parent)
    : QDialog(parent), session_(session), job_(new JobRunner(this)) {
  setWindowTitle(tr("Record from a device"));
  auto* outer = new QHBoxLayout(this);

  auto* left = new QVBoxLayout;
  auto* intro = new QLabel(
      tr("Record new takes on the device that will run the model. Each take gets one label and "
         "is added to the project as a new source when it ends."));
  intro->setWordWrap(true);
  left->addWidget(intro);
  form_ = new QFormLayout;
  device_ = new QComboBox;
  device_->setToolTip(tr("The project's devices (add one on the Deploy page)."));
  form_->addRow(tr("&Device:"), device_);
  source_ = new QComboBox;
  source_->setToolTip(
      tr("A sensor of the device: a command on it that prints a CSV header, then one reading per "
         "line (docs/record.md)."));
  form_->addRow(tr("&Sensor:"), source_);
  command_ = new QLineEdit;
  command_->setPlaceholderText(tr("e.g. python3 ~/imu_mpu6050.py --hz 50"));
  form_->addRow(tr("C&ommand:"), command_);
  label_ = new QComboBox;
  label_->setEditable(true);
  label_->setInsertPolicy(QComboBox::NoInsert);
  label_->setToolTip(
      tr("The class of everything in this take: pick one of the project's labels "
         "or type a new one."));
  form_->addRow(tr("&Label:"), label_);
  person_ = new QLineEdit;
  person_->setPlaceholderText(tr("who records (keeps people apart in the splits)"));
  form_->addRow(tr("&Person:"), person_);
  seconds_ = new QDoubleSpinBox;
  seconds_->setRange(0, 3600);
  seconds_->setDecimals(1);
  seconds_->setSuffix(tr(" s"));
  seconds_->setSpecialValueText(tr("until Stop"));
  seconds_->setToolTip(
      tr("How long each take records; \"until Stop\" records until you press "
         "Stop."));
  form_->addRow(tr("Le&ngth:"), seconds_);
  scans_ = new QSpinBox;
  scans_->setRange(0, 100000);
  scans_->setValue(20);
  scans_->setSuffix(tr(" scans"));
  scans_->setSpecialValueText(tr("until Stop"));
  scans_->setToolTip(tr("Scans to take at this zone. Then choose the next zone and start again."));
  form_->addRow(tr("Sc&ans:"), scans_);
  left->addLayout(form_);

  live_box_ = new QGroupBox(tr("Classify &live with the model on the device"));
  live_box_->setCheckable(true);
  live_box_->setChecked(false);
  auto* live_form = new QFormLayout(live_box_);
  threshold_ = new QDoubleSpinBox;
  threshold_->setRange(0, 1);
  threshold_->setSingleStep(0.05);
  threshold_->setValue(0.5);
  threshold_->setToolTip(tr("Below this confidence the device says there is no gesture."));
  live_form->addRow(tr("Confidence &threshold:"), threshold_);
  smooth_ = new QSpinBox;
  smooth_->setRange(1, 20);
  smooth_->setValue(3);
  smooth_->setSuffix(tr(" windows"));
  smooth_->setToolTip(
      tr("The label shown is the most frequent of the last N windows: fewer "
         "flickers, a little later."));
  live_form->addRow(tr("S&moothing:"), smooth_);
  left->addWidget(live_box_);
  live_label_ = new QLabel;
  live_label_->setWordWrap(true);
  live_label_->setTextFormat(Qt::RichText);
  left->addWidget(live_label_);

  auto* buttons = new QHBoxLayout;
  start_ = new QPushButton(tr("&Record"));
  start_->setDefault(true);
  stop_ = new QPushButton(tr("S&top"));
  buttons->addWidget(start_);
  buttons->addWidget(stop_);
  left->addLayout(buttons);
  progress_ = new QLabel;
  left->addWidget(progress_);
  status_ = new QLabel;
  status_->setWordWrap(true);
  status_->setTextFormat(Qt::RichText);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  left->addWidget(status_);
  left->addStretch(1);
  outer->addLayout(left);

  plot_ = new TracePlot;
  plot_->setMinimumWidth(520);
  outer->addWidget(plot_, 1);

  connect(device_, &QComboBox::currentIndexChanged, this, [this] {
    fill_sources();
    update_controls();
  });
  connect(source_, &QComboBox::currentIndexChanged, this, &RecordDialog::update_controls);
  connect(command_, &QLineEdit::textChanged, this, &RecordDialog::update_controls);
  connect(label_, &QComboBox::currentTextChanged, this, &RecordDialog::update_controls);
  connect(start_, &QPushButton::clicked, this, &RecordDialog::start_take);
  connect(stop_, &QPushButton::clicked, this, &RecordDialog::stop_take);
  connect(job_, &JobRunner::lineReceived, this, &RecordDialog::on_line);
  connect(job_, &JobRunner::finished, this,
          [this](int code, const QString&, const QString& err) { on_finished(code, err); });
  connect(&session_, &ProjectSession::changed, this, [this] {
    if (!recording()) refresh();
  });
  refresh();
}

bool RecordDialog::recording() const {
  return job_->running();
}

bool RecordDialog::rssi() const {
  return session_.is_open() && session_.project().task == "localization";
}

TakeSettings RecordDialog::settings() const {
  TakeSettings take;
  if (session_.is_open()) take.project = session_.folder();
  take.device = device_->currentText();
  take.source = source_->currentData().toString();
  if (take.source.isEmpty()) take.command = command_->text();
  take.label = label_->currentText();
  take.person = person_->text();
  if (rssi())
    take.scans = scans_->value();
  else
    take.seconds = seconds_->value();
  take.live = live_available_ && live_box_->isChecked();
  take.threshold = threshold_->value();
  take.smooth = smooth_->value();
  return take;
}

void RecordDialog::refresh() {
  if (!session_.is_open()) return;
  const QString device = device_->currentText();
  {
    QSignalBlocker block(device_);
    device_->clear();
    auto devices = deploy::load_devices(session_.project().root);
    if (!devices)
      status_->setText(QString::fromStdString(devices.error().to_string()).toHtmlEscaped());
    else
      for (const auto& d : *devices)
        device_->addItem(QString::fromStdString(d.name));
    device_->setCurrentIndex(std::max(0, device_->findText(device)));
  }
  // The project's labels so far: a take usually adds to one of them.
  const QString label = label_->currentText();
  QStringList labels;
  for (const auto& s : session_.data_info().value("sources", json::array()))
    for (const auto& c : s.value("classes", json::array()))
      if (c.is_string()) labels << QString::fromStdString(c.get<std::string>());
  labels.removeDuplicates();
  labels.sort();
  {
    QSignalBlocker block(label_);
    label_->clear();
    label_->addItems(labels);
    label_->setCurrentText(label);
  }
  // RSSI: the label is the zone where the scans are taken, and a take is a number of scans.
  form_->labelForField(label_)->setProperty("text", rssi() ? tr("&Zone:") : tr("&Label:"));
  label_->lineEdit()->setPlaceholderText(rssi() ? tr("where you stand, e.g. kitchen")
                                                : tr("the gesture, e.g. wave"));
  form_->setRowVisible(seconds_, !rssi());
  form_->setRowVisible(scans_, rssi());
  fill_sources();
  update_controls();
}

void RecordDialog::fill_sources() {
  const QString source = source_->currentData().toString();
  QSignalBlocker block(source_);
  source_->clear();
  live_available_ = false;
  if (!session_.is_open() || device_->currentIndex() < 0) return;
  auto device = deploy::find_device(session_.project().root, device_->currentText().toStdString());
  if (device) {
    for (const auto& s : device->sources)
      source_->addItem(QString::fromStdString(s.name + ": " + s.command),
                       QString::fromStdString(s.name));
    // Live classification needs a model of this project installed on the device.
    auto installed = deploy::installs(session_.project().root, device->name);
    live_available_ = installed && installed->is_array() && !installed->empty();
  }
  live_box_->setToolTip(live_available_ ? QString()
                                        : tr("Deploy a model to this device first (Deploy page)."));
  source_->addItem(tr("a command typed here"), QString());
  source_->setCurrentIndex(std::max(0, source_->findData(source)));
}

void RecordDialog::update_controls() {
  const bool busy = recording();
  const bool typed = source_->currentData().toString().isEmpty();
  form_->setRowVisible(command_, typed);
  for (QWidget* w : std::initializer_list<QWidget*>{device_, source_, command_, label_, person_,
                                                    seconds_, scans_, threshold_, smooth_})
    w->setEnabled(!busy);
  live_box_->setEnabled(!busy && live_available_);
  const QString missing = missing_for_take(settings());
  start_->setEnabled(!busy && session_.is_open() && missing.isEmpty());
  start_->setToolTip(missing);
  // What is missing, where the next take's state shows, until it is given.
  if (!busy && !missing.isEmpty()) {
    progress_->setText(missing);
    showing_missing_ = true;
  } else if (showing_missing_) {
    progress_->clear();
    showing_missing_ = false;
  }
  stop_->setEnabled(busy);
}

void RecordDialog::start_take() {
  if (recording() || !session_.is_open()) return;
  const TakeSettings take = settings();
  if (!missing_for_take(take).isEmpty()) return;
  stream_.reset();
  recording_label_ = take.label.trimmed();
  plot_->clear();
  live_label_->clear();
  showing_missing_ = false;
  progress_->setText(tr("Connecting to %1...").arg(take.device));
  status_->clear();
  session_.set_running(Step::data, true);
  job_->start(record_arguments(take));
  update_controls();
}

void RecordDialog::stop_take() {
  if (!recording()) return;
  progress_->setText(tr("Stopping: the take is kept..."));
  job_->cancel();  // SIGINT: the CLI ends the take cleanly and imports it
}

void RecordDialog::reject() {
  stop_take();
  QDialog::reject();
}

void RecordDialog::on_line(const QString& line) {
  switch (stream_.feed(line)) {
    case RecordStream::Event::header:
      plot_->start_live(stream_.channels(), stream_.x_label(),
                        stream_.has_time() ? kLiveWindowSeconds : kLiveWindowReadings);
      break;
    case RecordStream::Event::rows: {
      const PlotPoints points = stream_.take_points();
      plot_->append_live(points.x, points.values);
      const QString what = rssi() ? tr("%n scan(s)", "", int(stream_.rows()))
                                  : tr("%n reading(s)", "", int(stream_.rows()));
      progress_->setText(stream_.has_time() && !points.empty()
                             ? tr("Recording '%1': %2, %3 s")
                                   .arg(recording_label_, what)
                                   .arg(points.x.back(), 0, 'f', 1)
                             : tr("Recording '%1': %2").arg(recording_label_, what));
      break;
    }
    case RecordStream::Event::live:
      show_live();
      break;
    case RecordStream::Event::ask:
      ask_secret(stream_.ask_prompt());
      break;
    case RecordStream::Event::take:
    case RecordStream::Event::none:
      break;
  }
}

void RecordDialog::show_live() {
  const auto& live = stream_.live();
  if (!live) return;
  const bool none = live->shown.isEmpty() || live->shown == QLatin1String("none");
  live_label_->setText(
      tr("<span style='font-size:x-large'><b>%1</b></span><br>%2 at confidence %3, %4 ms on the "
         "device")
          .arg(none ? tr("no gesture") : live->shown.toHtmlEscaped(), live->label.toHtmlEscaped())
          .arg(live->confidence, 0, 'f', 2)
          .arg(live->latency_ms, 0, 'f', 1));
}

void RecordDialog::on_finished(int code, const QString& error_tail) {
  session_.set_running(Step::data, false);
  update_controls();
  const auto& take = stream_.outcome();
  if (code != 0 || !take) {
    QString message = error_tail.trimmed();
    message.remove(QStringLiteral("tinyllm: "));
    progress_->setText(tr("Nothing recorded."));
    status_->setText(tr("<span style='color:#c62828'><b>Recording failed:</b> %1</span>")
                         .arg(message.toHtmlEscaped()));
    return;
  }
  const QString kept =
      tr("%n reading(s) in %1 s", "", int(take->rows)).arg(take->seconds, 0, 'f', 1);
  QString summary;
  if (take->connection_lost) {
    summary = tr("The connection to %1 dropped during the take '%2' (%3). The %4 received before "
                 "it are kept as source %5.")
                  .arg(device_->currentText(), recording_label_, take->detail, kept, take->source);
    status_->setText(QStringLiteral("<span style='color:#e65100'><b>%1</b></span>")
                         .arg(summary.toHtmlEscaped()));
  } else {
    summary = tr("Take '%1' kept as source %2: %3 (%4).")
                  .arg(recording_label_, take->source, kept, take->ended);
    if (take->exit_status != 0)
      summary += QLatin1Char(' ') + tr("The sensor command ended with exit status %1: %2")
                                        .arg(take->exit_status)
                                        .arg(take->detail);
    status_->setText(summary.toHtmlEscaped());
  }
  progress_->setText(tr("Ready for the next take."));
  emit recorded(summary);
}

void RecordDialog::ask_secret(const QString& prompt) {
  ask_device_secret(this, *job_, prompt);
}

}  // namespace tinyllm::ui
