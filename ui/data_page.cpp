#include "data_page.h"

#include <qcustomplot.h>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>
#include <filesystem>

#include "appearance.h"
#include "data/store.h"
#include "import_dialog.h"
#include "job_runner.h"
#include "project_session.h"
#include "record_dialog.h"
#include "text/prompt_template.h"
#include "text/tokenizer.h"
#include "trace_plot.h"

namespace tinyllm::ui {
using nlohmann::json;

namespace {

QTableWidget* make_table(const QStringList& headers) {
  auto* t = new QTableWidget(0, int(headers.size()));
  t->setHorizontalHeaderLabels(headers);
  t->setEditTriggers(QAbstractItemView::NoEditTriggers);
  t->setSelectionBehavior(QAbstractItemView::SelectRows);
  t->horizontalHeader()->setStretchLastSection(true);
  t->verticalHeader()->hide();
  return t;
}

void add_row(QTableWidget* t, const QStringList& cells) {
  const int r = t->rowCount();
  t->insertRow(r);
  for (int c = 0; c < cells.size(); ++c)
    t->setItem(r, c, new QTableWidgetItem(cells[c]));
}

QString num(double v, int decimals = 1) {
  return QString::number(v, 'f', decimals);
}

// "3: hyw, lsj, xunkai": the people in a split, so a user can check that nobody is in two.
QString people_list(const json& subjects) {
  QStringList names;
  for (const auto& s : subjects)
    names << QString::fromStdString(s.get<std::string>());
  if (names.isEmpty()) return QStringLiteral("-");
  return QStringLiteral("%1: %2").arg(names.size()).arg(names.join(QStringLiteral(", ")));
}

QLabel* hint(const QString& text) {
  auto* l = new QLabel(text);
  l->setWordWrap(true);
  l->setStyleSheet(QStringLiteral("color: palette(mid)"));
  return l;
}

}  // namespace

DataPage::DataPage(ProjectSession& session, QWidget* parent)
    : QWidget(parent), session_(session), job_(new JobRunner(this)) {
  auto* splitter = fill_with_splitter(this);

  // Left: sources and the prepare settings.
  auto* left = new QWidget;
  auto* lv = new QVBoxLayout(left);
  lv->addWidget(new QLabel(tr("<b>1. Bring in recordings</b>")));
  auto* bring_hint =
      hint(tr("IMU (accelerometer, gyroscope) or WiFi/BLE RSSI recordings as CSV or text. "
              "The format is detected; you can correct it before anything is written."));
  bring_hint->setToolTip(
      tr("RSSI (received signal strength) is how strongly a receiver hears each WiFi access point "
         "or Bluetooth beacon, in dBm: decibels relative to a milliwatt, always negative; -30 is "
         "very strong, -100 barely heard."));
  lv->addWidget(bring_hint);
  sources_ = new QListWidget;
  sources_->setAccessibleName(tr("Imported sources"));
  sources_->setToolTip(
      tr("Tick a source to hold it out whole as the test set (for example a dataset's separate "
         "validation file); the split fractions then apply to the other sources."));
  lv->addWidget(sources_, 1);
  auto* held_note = new QLabel(tr("Ticked sources are held out whole as the test set."));
  held_note->setWordWrap(true);
  lv->addWidget(held_note);
  import_ = new QPushButton(tr("&Import recordings..."));
  record_ = new QPushButton(tr("Record from a de&vice..."));
  record_->setToolTip(
      tr("Record new takes over SSH on a device of the project (added on the Deploy page), "
         "watching the readings as they arrive."));
  auto* bring_buttons = new QHBoxLayout;
  bring_buttons->addWidget(import_);
  bring_buttons->addWidget(record_);
  lv->addLayout(bring_buttons);

  auto* box = new QGroupBox(tr("2. Turn them into training text"));
  auto* form = new QFormLayout(box);
  task_ = new QComboBox;
  form->addRow(tr("&Task:"), task_);
  style_ = new QComboBox;
  style_->addItem(tr("Levels: one letter per reading (shortest, recommended)"),
                  QStringLiteral("levels"));
  style_->addItem(tr("Channel lists (the paper's style; long prompts)"),
                  QStringLiteral("channel-lists"));
  style_->addItem(tr("Time-step rows (compact)"), QStringLiteral("timestep-rows"));
  form->addRow(tr("Te&xt style:"), style_);
  resample_ = new QDoubleSpinBox;
  resample_->setRange(0, 1000);
  resample_->setSuffix(tr(" Hz"));
  resample_->setSpecialValueText(tr("keep the recorded rate"));
  resample_->setToolTip(
      tr("Resampling re-measures each recording at an even rate (readings per second). A lower "
         "rate gives shorter prompts: faster on the device, less detail."));
  form->addRow(tr("&Resample to:"), resample_);
  window_ = new QDoubleSpinBox;
  window_->setRange(0.1, 60);
  window_->setSingleStep(0.25);
  window_->setSuffix(tr(" s"));
  window_->setToolTip(
      tr("The window is the stretch of time one example covers: recordings are cut into windows. "
         "Recommended: about the length of one gesture (2-3 s)."));
  form->addRow(tr("&Window:"), window_);
  seed_ = new QSpinBox;
  seed_->setRange(0, 1 << 30);
  seed_->setToolTip(
      tr("The split seed: the data is divided into training, validation (checked during "
         "training) and test (checked at the end) parts by a shuffle that this number fixes. "
         "The same seed gives the same split."));
  form->addRow(tr("Split &seed:"), seed_);
  prepare_ = new QPushButton(tr("&Prepare training text"));
  form->addRow(prepare_);
  prepare_state_ = new QLabel;
  prepare_state_->setWordWrap(true);
  form->addRow(prepare_state_);
  lv->addWidget(box);
  splitter->addWidget(left);

  // Right: what is in the data.
  tabs_ = new QTabWidget;
  auto* rec = new QWidget;
  auto* rv = new QVBoxLayout(rec);
  auto* pick = new QHBoxLayout;
  recording_ = new QComboBox;
  recording_->setMinimumContentsLength(30);
  auto* pick_label = new QLabel(tr("Re&cording:"));
  pick_label->setBuddy(recording_);
  pick->addWidget(pick_label);
  pick->addWidget(recording_, 1);
  auto* reset = new QPushButton(tr("Reset &view"));
  pick->addWidget(reset);
  rv->addLayout(pick);
  trace_ = new TracePlot;
  rv->addWidget(trace_, 1);
  rv->addWidget(hint(
      tr("Drag to pan, scroll to zoom, double-click to see everything. Shaded spans are labels.")));
  tabs_->addTab(rec, tr("Recordings"));

  auto* overview = new QWidget;
  auto* ov = new QVBoxLayout(overview);
  histogram_ = new QCustomPlot;
  histogram_->setMinimumHeight(200);
  ov->addWidget(histogram_, 1);
  channels_ = make_table(
      {tr("Channel"), tr("Unit"), tr("Min"), tr("Max"), tr("Mean"), tr("Std"), tr("Missing")});
  channels_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  ov->addWidget(channels_, 1);
  tabs_->addTab(overview, tr("Overview"));

  cleaning_ = make_table({tr("Severity"), tr("What"), tr("Where"), tr("Details")});
  tabs_->addTab(cleaning_, tr("Cleaning"));

  auto* splits = new QWidget;
  auto* sv = new QVBoxLayout(splits);
  splits_ = make_table(
      {tr("Split"), tr("Examples"), tr("Pre-training documents"), tr("People"), tr("Per class")});
  // The number columns take their header's width (a long header was clipped to "training
  // docume"); the per-class text takes the rest.
  for (int c = 0; c < 3; ++c)
    splits_->horizontalHeader()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
  sv->addWidget(splits_, 1);
  split_note_ = hint({});
  sv->addWidget(split_note_);
  tabs_->addTab(splits, tr("Splits"));

  text_ = new QPlainTextEdit;
  text_->setReadOnly(true);
  text_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  tabs_->addTab(text_, tr("Training text"));
  splitter->addWidget(tabs_);
  splitter->setStretchFactor(1, 3);
  remember_splitter(splitter, QStringLiteral("layout/data_splitter"));

  connect(import_, &QPushButton::clicked, this, [this] { open_import_dialog(); });
  connect(record_, &QPushButton::clicked, this, &DataPage::open_record_dialog);
  connect(prepare_, &QPushButton::clicked, this, &DataPage::prepare);
  connect(reset, &QPushButton::clicked, trace_, &TracePlot::reset);
  connect(recording_, &QComboBox::currentIndexChanged, this, &DataPage::show_recording);
  connect(sources_, &QListWidget::currentRowChanged, this, [this](int row) {
    const json& sources = session_.data_info().value("sources", json::array());
    if (row >= 0 && row < int(sources.size())) fill_overview(sources[size_t(row)]);
  });
  connect(&session_, &ProjectSession::changed, this, &DataPage::refresh);
  connect(job_, &JobRunner::finished, this, [this](int code, const QString&, const QString& err) {
    session_.set_running(Step::data, false);
    prepare_->setEnabled(true);
    if (code != 0) {
      QString message = err;
      message.remove(QStringLiteral("tinyllm: "));
      prepare_state_->setText(tr("<span style='color:#c62828'>Preparing failed: %1</span>")
                                  .arg(message.toHtmlEscaped()));
      return;
    }
    session_.reload();
    emit status(tr("Training text prepared."));
  });
  refresh();
}

void DataPage::open_import_dialog(const QString& path) {
  if (!session_.is_open()) return;
  auto* dialog = new ImportDialog(session_.registry(), session_.folder(), this);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(dialog, &ImportDialog::imported, this, [this](const QString& summary) {
    session_.reload();
    emit status(summary);
  });
  if (!path.isEmpty()) dialog->set_path(path);
  dialog->open();
}

void DataPage::open_record_dialog() {
  if (!session_.is_open()) return;
  // One dialog for the page's life: it keeps the device, label and person between takes.
  if (!record_dialog_) {
    record_dialog_ = new RecordDialog(session_, this);
    connect(record_dialog_, &RecordDialog::recorded, this, [this](const QString& summary) {
      session_.reload();
      // The new take is the last source and its recording the last one: show them.
      if (sources_->count() > 0) sources_->setCurrentRow(sources_->count() - 1);
      if (recording_->count() > 0) recording_->setCurrentIndex(recording_->count() - 1);
      emit status(summary);
    });
  }
  record_dialog_->refresh();
  record_dialog_->show();
  record_dialog_->raise();
  record_dialog_->activateWindow();
}

void DataPage::prepare() {
  if (!session_.is_open() || job_->running()) return;
  QStringList args = {QStringLiteral("data"), QStringLiteral("prepare"),
                      QStringLiteral("--project"), session_.folder(), QStringLiteral("--json")};
  auto set = [&](const QString& kv) { args << QStringLiteral("--set") << kv; };
  set(QStringLiteral("task=") + task_->currentData().toString());
  set(QStringLiteral("style=") + style_->currentData().toString());
  set(QStringLiteral("resample_hz=") + QString::number(resample_->value()));
  set(QStringLiteral("window_s=") + QString::number(window_->value()));
  set(QStringLiteral("stride_s=") + QString::number(window_->value() / 2));
  set(QStringLiteral("split.seed=") + QString::number(seed_->value()));
  json held = json::array();
  for (int i = 0; i < sources_->count(); ++i)
    if (sources_->item(i)->checkState() == Qt::Checked)
      held.push_back(sources_->item(i)->data(Qt::UserRole).toString().toStdString());
  set(QStringLiteral("test_sources=") + QString::fromStdString(held.dump()));
  prepare_->setEnabled(false);
  prepare_state_->setText(tr("Preparing..."));
  session_.set_running(Step::data, true);
  job_->start(args);
}

void DataPage::refresh() {
  const json& info = session_.data_info();
  const json sources = info.value("sources", json::array());
  const int keep = std::max(0, sources_->currentRow());
  sources_->clear();
  const json saved_prepare = session_.is_open()
                                 ? session_.project().processing.value("prepare", json::object())
                                 : json::object();
  const json held = saved_prepare.value("test_sources", json::array());
  for (const auto& s : sources) {
    const json stats = s.value("stats", json::object());
    const std::string id = s.value("id", "");
    auto* item = new QListWidgetItem(tr("%1 — %2 recordings, %3 rows (%4)")
                                         .arg(QString::fromStdString(id))
                                         .arg(stats.value("series", 0))
                                         .arg(stats.value("rows", 0))
                                         .arg(QString::fromStdString(s.value("importer", ""))));
    item->setData(Qt::UserRole, QString::fromStdString(id));
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    const bool is_held = std::find(held.begin(), held.end(), json(id)) != held.end();
    item->setCheckState(is_held ? Qt::Checked : Qt::Unchecked);
    sources_->addItem(item);
  }
  const bool have = !sources.empty();
  prepare_->setEnabled(have && !job_->running());
  if (have) sources_->setCurrentRow(std::min(keep, int(sources.size()) - 1));

  // Settings form from the project's saved settings.
  const bool rssi = have && sources[0]["schema"].value("kind", "") == "rssi";
  task_->blockSignals(true);
  task_->clear();
  if (rssi) {
    task_->addItem(tr("Which zone (classification)"), QStringLiteral("zone"));
    task_->addItem(tr("Where, x and y in metres (regression)"), QStringLiteral("position"));
  } else {
    task_->addItem(tr("Which gesture (classification)"), QStringLiteral("gesture"));
  }
  task_->blockSignals(false);
  const json saved = session_.is_open()
                         ? session_.project().processing.value("prepare", json::object())
                         : json::object();
  task_->setCurrentIndex(
      std::max(0, task_->findData(QString::fromStdString(saved.value("task", "")))));
  style_->setCurrentIndex(
      std::max(0, style_->findData(QString::fromStdString(saved.value("style", "levels")))));
  resample_->setValue(saved.value("resample_hz", 0.0));
  window_->setValue(saved.value("window_s", 2.56));
  seed_->setValue(saved.contains("split") ? saved["split"].value("seed", 1234) : 1234);
  resample_->setEnabled(!rssi);
  window_->setEnabled(!rssi);

  // Recordings.
  recording_->blockSignals(true);
  recording_->clear();
  for (size_t i = 0; i < sources.size(); ++i) {
    const json& s = sources[i];
    if (s["schema"].value("kind", "") == "rssi") {
      recording_->addItem(
          tr("%1: all fingerprints (heat map)").arg(QString::fromStdString(s.value("id", ""))),
          QVariantList{int(i), -1});
      continue;
    }
    const json& series = s["series"];
    for (size_t k = 0; k < series.size(); ++k) {
      // A recording without a person column has no subject: say nothing rather than "(, N rows)".
      const QString subject = QString::fromStdString(series[k].value("subject", ""));
      const QString rows = tr("%n rows", nullptr, series[k].value("rows", 0));
      recording_->addItem(
          QStringLiteral("%1 / %2 (%3)")
              .arg(QString::fromStdString(s.value("id", "")),
                   QString::fromStdString(series[k].value("id", "")),
                   subject.isEmpty() ? rows : tr("person %1, %2").arg(subject, rows)),
          QVariantList{int(i), int(k)});
    }
  }
  recording_->blockSignals(false);
  if (recording_->count() > 0) {
    recording_->setCurrentIndex(0);
    show_recording(0);
  } else {
    trace_->clear();
  }
  fill_cleaning();
  fill_splits();
  if (!have)
    prepare_state_->setText(tr("Import recordings first."));
  else if (!info.contains("prepared") || !info["prepared"].is_object())
    prepare_state_->setText(
        tr("Not prepared yet: choose the task and window, then Prepare training text."));
}

void DataPage::show_recording(int index) {
  if (index < 0 || !session_.is_open()) return;
  const QVariantList ref = recording_->itemData(index).toList();
  // The picker lists sources in project order, so the index names the project's source.
  const auto& project = session_.project();
  auto store =
      data::SeriesStore::open(project.path(project.sources.at(size_t(ref[0].toInt())).store));
  if (!store) {
    emit status(QString::fromStdString(store.error().to_string()));
    return;
  }
  if (ref[1].toInt() >= 0) {
    auto series = store->read(size_t(ref[1].toInt()));
    if (!series) {
      emit status(QString::fromStdString(series.error().to_string()));
      return;
    }
    trace_->show_imu(*series, store->schema(), store->classes());
    return;
  }
  // RSSI: a sample of fingerprints across the source keeps the heat map responsive.
  std::vector<float> values;
  std::vector<int32_t> labels;
  const size_t nc = store->schema().channels.size();
  size_t total = 0;
  for (const auto& s : store->series())
    total += s.rows;
  const size_t step = std::max<size_t>(1, total / 2000);
  size_t seen = 0;
  for (size_t i = 0; i < store->series().size(); ++i) {
    auto s = store->read(i);
    if (!s) continue;
    for (size_t r = 0; r < s->rows(); ++r, ++seen) {
      if (seen % step) continue;
      values.insert(values.end(), s->values.begin() + long(r * nc),
                    s->values.begin() + long((r + 1) * nc));
      labels.push_back(s->labels[r]);
    }
  }
  const json& sources = session_.data_info().value("sources", json::array());
  const json stats = size_t(ref[0].toInt()) < sources.size()
                         ? sources[size_t(ref[0].toInt())].value("stats", json::object())
                         : json::object();
  trace_->show_rssi(values, labels, store->schema(), store->classes(), heard_channels(stats));
}

void DataPage::fill_overview(const json& source) {
  histogram_->clearPlottables();
  const json classes = source.value("classes", json::array());
  const json stats = source.value("stats", json::object());
  const bool rssi = source["schema"].value("kind", "") == "rssi";
  // Samples per class: true for per-row labels (demo) and per-recording labels (magic wand) alike.
  const json counts = stats.value("class_rows", json::object());
  // One bar per class in the class's colour: the same colours as the label spans on the plots.
  QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
  for (size_t i = 0; i < classes.size(); ++i) {
    const std::string name = classes[i].get<std::string>();
    auto* bar = new QCPBars(histogram_->xAxis, histogram_->yAxis);
    bar->setWidth(0.75);
    bar->addData(double(i), double(counts.value(name, 0)));
    bar->setBrush(class_color(int(i)));
    bar->setPen(QPen(class_color(int(i)).darker(130)));
    ticker->addTick(double(i), QString::fromStdString(name));
  }
  histogram_->xAxis->setTicker(ticker);
  histogram_->xAxis->setTickLabelRotation(classes.size() > 6 ? 60 : 0);
  histogram_->yAxis->setLabel(rssi ? tr("fingerprints per class") : tr("samples per class"));
  histogram_->rescaleAxes();
  histogram_->xAxis->setRange(-0.6, double(classes.size()) - 0.4);
  histogram_->yAxis->setRangeLower(0);
  style_plot(histogram_);

  channels_->setRowCount(0);
  const json channels = stats.value("channels", json::array());
  if (rssi) {
    // The same count as the heat map's (one function).
    const size_t heard = heard_channels(stats).size();
    histogram_->xAxis->setLabel(
        tr("%1 of %2 access points heard at least once").arg(heard).arg(channels.size()));
  } else {
    histogram_->xAxis->setLabel(QString());
  }
  for (const auto& c : channels) {
    if (!c.contains("min")) {
      if (!rssi)
        add_row(channels_, {QString::fromStdString(c.value("name", "")),
                            QString::fromStdString(c.value("unit", "")), "-", "-", "-", "-",
                            QString::number(c.value("missing", 0))});
      continue;
    }
    add_row(channels_, {QString::fromStdString(c.value("name", "")),
                        QString::fromStdString(c.value("unit", "")), num(c.value("min", 0.0)),
                        num(c.value("max", 0.0)), num(c.value("mean", 0.0), 2),
                        num(c.value("std", 0.0), 2), QString::number(c.value("missing", 0))});
  }
}

void DataPage::fill_cleaning() {
  cleaning_->setRowCount(0);
  for (const auto& s : session_.data_info().value("sources", json::array())) {
    const json report = s.value("report", json::object());
    for (const auto& f : report.value("findings", json::array()))
      add_row(cleaning_, {QString::fromStdString(f.value("severity", "")),
                          QString::fromStdString(f.value("kind", "")),
                          QString::fromStdString(f.value("where", "")),
                          QString::fromStdString(f.value("message", ""))});
  }
  if (cleaning_->rowCount() == 0)
    add_row(cleaning_, {tr("info"), tr("clean"), QString(), tr("Nothing needed fixing.")});
}

void DataPage::fill_splits() {
  splits_->setRowCount(0);
  text_->clear();
  const json& info = session_.data_info();
  if (!info.contains("prepared") || !info["prepared"].is_object()) {
    split_note_->setText(tr("Prepare training text to see how the data is split."));
    text_->setPlainText(tr("Prepare training text to see examples here."));
    return;
  }
  const json& p = info["prepared"];
  const bool stale = info.value("prepared_stale", false);
  for (const char* name : {"train", "val", "test"}) {
    const json sp = p["splits"].value(name, json::object());
    QStringList per_class;
    const json per_class_counts = sp.value("per_class", json::object());
    for (const auto& [k, v] : per_class_counts.items())
      per_class << QStringLiteral("%1: %2").arg(QString::fromStdString(k)).arg(v.get<int>());
    add_row(splits_, {QString::fromLatin1(name), QString::number(sp.value("examples", 0)),
                      QString::number(sp.value("documents", 0)),
                      people_list(sp.value("subjects", json::array())),
                      per_class.join(QStringLiteral(", "))});
  }
  // What the split means depends on what it was made by; what the split audit found is shown
  // as warnings (a class missing from a split, the same input on both sides).
  const std::string split_by = p.value("split_by", "");
  QString note =
      split_by == "subject"
          ? tr("Split by person: every person is in exactly one split, so the test measures "
               "people the model has not seen.")
          : tr("Split by %1: no person information decides the split, so the test may be "
               "optimistic for people the model has not seen.")
                .arg(QString::fromStdString(split_by));
  QStringList warnings;
  for (const auto& w : p.value("warnings", json::array()))
    if (w.is_string()) warnings << QString::fromStdString(w.get<std::string>()).toHtmlEscaped();
  if (warnings.isEmpty() && !p.value("split_note", std::string()).empty())
    note += QLatin1Char(' ') + QString::fromStdString(p.value("split_note", ""));
  note = note.toHtmlEscaped();
  if (!warnings.isEmpty())
    note += QStringLiteral("<br><span style='color:#c62828'><b>%1</b><br>%2</span>")
                .arg(tr("Check these before training:"), warnings.join(QStringLiteral("<br>")));
  split_note_->setText(note);
  prepare_state_->setText(
      stale ? tr("<b>Stale:</b> the recordings changed since the text was prepared. Prepare again.")
            : tr("Prepared. %1 training examples.").arg(p["splits"]["train"].value("examples", 0)));
  // The first training example, with its length: prompt length sets latency on the device.
  QFile file(QString::fromStdString(
      (session_.project().root / "data/prepared/task_train.jsonl").string()));
  prompt::Example example;
  if (file.open(QIODevice::ReadOnly)) {
    json first = json::parse(file.readLine().toStdString(), nullptr, false);
    if (first.is_object()) example = {first.value("prompt", ""), first.value("response", "")};
  }
  const std::string full = prompt::full_text(example);
  const json len = p["splits"]["train"].value("prompt_chars", json::object());
  // With a tokenizer, the example's length in tokens (what the model and the device pay for).
  QString tokens = tr("Token counts appear here once a tokenizer is trained (Pre-train page).");
  const auto model = session_.project().root / "tokenizer" / "tokenizer.model";
  if (std::filesystem::exists(model) && !full.empty()) {
    if (auto tok = text::Tokenizer::load(model)) {
      tokens = tr("This example: %1 tokens in the prompt, %2 in all (vocabulary of %3).")
                   .arg(tok->encode(example.prompt).size())
                   .arg(tok->encode(full).size())
                   .arg(tok->vocab_size());
    }
  }
  text_->setPlainText(tr("Prompt length (characters): mean %1, median %2, 95th percentile %3, "
                         "longest %4.\n%5\n\nFirst training example:\n\n%6")
                          .arg(num(len.value("mean", 0.0), 0), num(len.value("p50", 0.0), 0),
                               num(len.value("p95", 0.0), 0), num(len.value("max", 0.0), 0), tokens,
                               QString::fromStdString(full)));
}

}  // namespace tinyllm::ui
