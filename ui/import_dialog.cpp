#include "import_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <chrono>
#include <filesystem>

#include "data/import.h"
#include "job_runner.h"

namespace tinyllm::ui {
using nlohmann::json;

namespace {

// What is wrong, in words a non-programmer can act on; the technical message stays one click away.
QString plain_words(const QString& path, const QString& technical) {
  QFile file(path);
  if (QFileInfo(path).isFile() && file.open(QIODevice::ReadOnly)) {
    const QByteArray head = file.read(4096);
    if (head.contains('\0'))
      return QObject::tr(
          "This file is not text: it looks like a program, an image or an archive, "
          "not a table of sensor readings.");
    const QString text = QString::fromUtf8(head);
    for (const char* code : {"#!", "#include", "import ", "def ", "function ", "<?php", "<html",
                             "<!DOCTYPE", "public class"})
      if (text.contains(QLatin1String(code)))
        return QObject::tr(
            "This file is not a table of numbers; it looks like a program or a "
            "web page.");
  }
  if (technical.contains(QLatin1String("no data rows")))
    return QObject::tr("This file has column names but no rows of readings under them.");
  if (technical.contains(QLatin1String("no such file")) ||
      technical.contains(QLatin1String("does not exist")))
    return QObject::tr("There is no file or folder at this path.");
  if (technical.contains(QLatin1String("no files")) || technical.contains(QLatin1String("empty")))
    return QObject::tr("There are no recordings here (the file or folder is empty).");
  if (technical.contains(QLatin1String("column")))
    return QObject::tr(
        "The columns of this file could not be matched to sensor readings. Pick "
        "the label and person columns below, or edit the mapping (Advanced).");
  return QObject::tr("This file cannot be read as a table of sensor readings.");
}

}  // namespace

ImportDialog::ImportDialog(const data::PluginRegistry& registry, const QString& project_folder,
                           QWidget* parent)
    : QDialog(parent),
      registry_(registry),
      project_folder_(project_folder),
      job_(new JobRunner(this)) {
  setWindowTitle(tr("Import recordings"));
  resize(900, 640);
  auto* layout = new QVBoxLayout(this);

  auto* pick = new QHBoxLayout;
  path_ = new QLineEdit;
  path_->setPlaceholderText(tr("A CSV/text file, or a folder of them"));
  auto* file_button = new QPushButton(tr("&File..."));
  auto* folder_button = new QPushButton(tr("F&older..."));
  pick->addWidget(new QLabel(tr("&Recordings:")));
  pick->itemAt(0)->widget()->setProperty("buddy", QVariant());
  static_cast<QLabel*>(pick->itemAt(0)->widget())->setBuddy(path_);
  pick->addWidget(path_, 1);
  pick->addWidget(file_button);
  pick->addWidget(folder_button);
  layout->addLayout(pick);

  auto* form = new QFormLayout;
  importer_ = new QComboBox;
  importer_->addItem(tr("Detect automatically (recommended)"), QString());
  for (const auto* imp : registry_.importers())
    importer_->addItem(QString::fromStdString(imp->id() + " — " + imp->description()),
                       QString::fromStdString(imp->id()));
  form->addRow(tr("&Format:"), importer_);
  rate_ = new QDoubleSpinBox;
  rate_->setRange(0, 100000);
  rate_->setDecimals(2);
  rate_->setSuffix(tr(" Hz"));
  rate_->setSpecialValueText(tr("from the time column"));
  rate_->setToolTip(tr(
      "How many samples per second the sensor recorded. Needed when the file has no time column."));
  form->addRow(tr("&Sample rate:"), rate_);
  label_column_ = new QComboBox;
  label_column_->setToolTip(tr("The column that says what happened (gesture, activity, zone)."));
  form->addRow(tr("&Label column:"), label_column_);
  subject_column_ = new QComboBox;
  subject_column_->setToolTip(
      tr("The column that says who recorded it. Splits keep each person in one "
         "split so the model is tested on people it has not seen."));
  form->addRow(tr("&Person column:"), subject_column_);
  layout->addLayout(form);

  summary_ = new QLabel;
  summary_->setWordWrap(true);
  summary_->setTextFormat(Qt::PlainText);
  layout->addWidget(summary_);
  error_ = new QLabel;
  error_->setWordWrap(true);
  error_->setStyleSheet(QStringLiteral("color: #c62828; font-weight: bold"));
  error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  error_->hide();
  auto* error_row = new QHBoxLayout;
  error_row->addWidget(error_, 1);
  details_button_ = new QToolButton;
  details_button_->setText(tr("&Details"));
  details_button_->setCheckable(true);
  details_button_->setToolTip(tr("Shows the technical message (for a bug report or an expert)."));
  details_button_->hide();
  error_row->addWidget(details_button_, 0, Qt::AlignTop);
  layout->addLayout(error_row);
  details_ = new QLabel;
  details_->setWordWrap(true);
  details_->setTextFormat(Qt::PlainText);
  details_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  details_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  details_->hide();
  layout->addWidget(details_);
  count_ = new QLabel;
  count_->setWordWrap(true);
  count_->setStyleSheet(QStringLiteral("font-weight: bold"));
  count_->setAccessibleName(tr("What the import will make"));
  layout->addWidget(count_);

  preview_ = new QTableWidget;
  preview_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  preview_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  preview_->setAccessibleName(tr("Preview of the first rows"));
  layout->addWidget(preview_, 1);

  advanced_ = new QToolButton;
  advanced_->setText(tr("&Advanced: edit the mapping"));
  advanced_->setCheckable(true);
  advanced_->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  advanced_->setArrowType(Qt::RightArrow);
  advanced_->setToolTip(
      tr("The mapping says what each column of your files means (time, sensor axes, units, "
         "label, person), as JSON. The choices above edit it for you."));
  layout->addWidget(advanced_);
  mapping_text_ = new QPlainTextEdit;
  mapping_text_->setMaximumHeight(110);
  mapping_text_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  mapping_text_->setAccessibleName(tr("Mapping as JSON"));
  mapping_text_->hide();
  layout->addWidget(mapping_text_);
  connect(advanced_, &QToolButton::toggled, this, [this](bool on) {
    advanced_->setArrowType(on ? Qt::DownArrow : Qt::RightArrow);
    mapping_text_->setVisible(on);
  });
  connect(details_button_, &QToolButton::toggled, details_, &QWidget::setVisible);

  auto* buttons = new QDialogButtonBox;
  import_ = buttons->addButton(tr("&Import"), QDialogButtonBox::AcceptRole);
  import_->setEnabled(false);
  auto* cancel = buttons->addButton(QDialogButtonBox::Cancel);
  // Enter in the path box looks at the path; importing is always a deliberate click.
  import_->setAutoDefault(false);
  import_->setDefault(false);
  cancel->setAutoDefault(false);
  layout->addWidget(buttons);
  // Enter in the path box looks at the path; no button of the dialog is pressed by it.
  for (auto* button : findChildren<QPushButton*>()) {
    button->setAutoDefault(false);
    button->setDefault(false);
  }
  count_poll_ = new QTimer(this);
  count_poll_->setInterval(100);
  connect(count_poll_, &QTimer::timeout, this, &ImportDialog::show_count);

  connect(file_button, &QPushButton::clicked, this, [this] {
    QString f = QFileDialog::getOpenFileName(this, tr("Choose a recording"), path_->text());
    if (!f.isEmpty()) set_path(f);
  });
  connect(folder_button, &QPushButton::clicked, this, [this] {
    QString f =
        QFileDialog::getExistingDirectory(this, tr("Choose a folder of recordings"), path_->text());
    if (!f.isEmpty()) set_path(f);
  });
  connect(path_, &QLineEdit::editingFinished, this, &ImportDialog::detect);
  connect(importer_, &QComboBox::currentIndexChanged, this, &ImportDialog::detect);
  connect(rate_, &QDoubleSpinBox::valueChanged, this, &ImportDialog::apply_quick_edits);
  connect(label_column_, &QComboBox::currentIndexChanged, this, &ImportDialog::apply_quick_edits);
  connect(subject_column_, &QComboBox::currentIndexChanged, this, &ImportDialog::apply_quick_edits);
  connect(mapping_text_, &QPlainTextEdit::textChanged, this, [this] {
    if (updating_) return;
    json j = json::parse(mapping_text_->toPlainText().toStdString(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      show_error(tr("The mapping is not valid JSON."));
      import_->setEnabled(false);
      return;
    }
    mapping_ = j;
    error_->hide();
    details_button_->hide();
    details_->hide();
    import_->setEnabled(true);
    start_counting();
  });
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(import_, &QPushButton::clicked, this, &ImportDialog::run_import);
  connect(job_, &JobRunner::finished, this,
          [this](int code, const QString& out, const QString& err) {
            import_->setEnabled(true);
            setCursor(Qt::ArrowCursor);
            if (code != 0) {
              QString message = err.split('\n').filter(QStringLiteral("tinyllm:")).join('\n');
              message = message.isEmpty() ? err : message.remove(QStringLiteral("tinyllm: "));
              show_error(tr("The import did not go through; the project is unchanged. %1")
                             .arg(plain_words(path_->text().trimmed(), message)),
                         message);
              return;
            }
            json j = json::parse(out.toStdString(), nullptr, false);
            QString summary = j.is_object() ? tr("Imported %1 rows in %2 recordings.")
                                                  .arg(j["stats"].value("rows", 0))
                                                  .arg(j["stats"].value("series", 0))
                                            : QString();
            emit imported(summary);
            accept();
          });
}

ImportDialog::~ImportDialog() {
  // The path box loses focus while the widgets go: that must not start a detection now.
  path_->disconnect(this);
  if (counting_.valid()) counting_.wait();
}

void ImportDialog::keyPressEvent(QKeyEvent* event) {
  // QDialogButtonBox makes Import the default button when shown, so Enter in the path box would
  // import at once. Enter presses a button only when that button has the focus.
  const bool enter = event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter;
  if (enter && !qobject_cast<QPushButton*>(focusWidget())) {
    event->accept();
    return;
  }
  QDialog::keyPressEvent(event);
}

QString ImportDialog::error_text() const {
  return error_->isVisible() ? error_->text() : QString();
}

QString ImportDialog::error_details() const {
  return error_->isVisible() ? details_->text() : QString();
}

QString ImportDialog::import_summary() const {
  return count_->text();
}

void ImportDialog::start_counting() {
  if (mapping_.is_null() || path_->text().trimmed().isEmpty()) return;
  if (counting_.valid()) {
    recount_ = true;  // one count at a time; the newest mapping is counted next
    return;
  }
  count_->setText(tr("Counting what the import will make..."));
  data::ImportRequest request;
  request.inputs = {path_->text().trimmed().toStdString()};
  const QString importer = importer_->currentData().toString();
  request.importer = (importer.isEmpty() ? detected_importer_ : importer).toStdString();
  request.overrides = mapping_;
  const data::PluginRegistry* registry = &registry_;
  // A dry run: the whole import into a scratch store that is deleted again.
  counting_ = std::async(std::launch::async, [registry, request]() -> Count {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path scratch =
        fs::temp_directory_path(ec) /
        ("tinyllm-count-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    auto result = data::import_to_store(*registry, request, scratch / "store");
    fs::remove_all(scratch, ec);
    if (!result) return {QString::fromStdString(result.error().to_string()), false};
    const bool rssi = result->schema.kind == data::SensorKind::rssi;
    const auto& st = result->stats;
    // Statistics file recordings without a person under "(none)": not a person.
    const bool unnamed = st.subject_rows.count("(none)") > 0;
    const int named = int(st.subject_rows.size()) - (unnamed ? 1 : 0);
    const QString people =
        named == 0 ? QObject::tr("person unknown (no person column)")
                   : QObject::tr("%n people", nullptr, named) +
                         (unnamed ? QObject::tr(" (some recordings name no person)") : QString());
    const QString made = rssi ? QObject::tr("%n fingerprints", nullptr, int(st.rows))
                              : QObject::tr("%n recordings", nullptr, int(st.series));
    return {QObject::tr("%1 → %2, %3, %4")
                .arg(QObject::tr("%n files", nullptr, int(result->files.size())), made,
                     QObject::tr("%n labels", nullptr, int(result->classes.size())), people),
            true};
  });
  count_poll_->start();
}

void ImportDialog::show_count() {
  if (!counting_.valid() ||
      counting_.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    return;
  count_poll_->stop();
  const Count count = counting_.get();
  count_->setText(
      count.ok
          ? tr("The import will make: %1").arg(count.text)
          : tr("The import would fail: %1").arg(plain_words(path_->text().trimmed(), count.text)));
  if (recount_) {
    recount_ = false;
    start_counting();
  }
}

json ImportDialog::mapping() const {
  return mapping_;
}

void ImportDialog::set_path(const QString& path) {
  path_->setText(path);
  detect();
}

void ImportDialog::show_error(const QString& message, const QString& details) {
  error_->setText(message);
  error_->show();
  details_->setText(details);
  details_button_->setChecked(false);
  details_button_->setVisible(!details.isEmpty());
  details_->hide();
}

void ImportDialog::detect() {
  const QString path = path_->text().trimmed();
  if (path.isEmpty()) return;
  import_->setEnabled(false);
  summary_->setText(tr("Looking at %1 ...").arg(path));
  data::ImportRequest request;
  request.inputs = {path.toStdString()};
  request.importer = importer_->currentData().toString().toStdString();
  // Detection reads only the first lines of one file (bounded work), so it runs right here.
  show_detection(data::detect_import(registry_, request));
}

void ImportDialog::show_detection(const Result<data::Detection>& d) {
  updating_ = true;
  preview_->clear();
  preview_->setRowCount(0);
  preview_->setColumnCount(0);
  label_column_->clear();
  subject_column_->clear();
  if (!d) {
    summary_->clear();
    count_->clear();
    const QString technical = QString::fromStdString(d.error().to_string());
    show_error(plain_words(path_->text().trimmed(), technical), technical);
    import_->setEnabled(false);
    updating_ = false;
    return;
  }
  error_->hide();
  details_button_->hide();
  details_->hide();
  QStringList lines;
  lines << tr("Format: %1").arg(QString::fromStdString(d->importer));
  for (const auto& n : d->notes)
    lines << QString::fromStdString("• " + n);
  summary_->setText(lines.join('\n'));
  preview_->setColumnCount(int(d->columns.size()));
  QStringList headers;
  for (const auto& c : d->columns)
    headers << QString::fromStdString(c);
  preview_->setHorizontalHeaderLabels(headers);
  preview_->setRowCount(int(d->rows.size()));
  for (size_t r = 0; r < d->rows.size(); ++r)
    for (size_t c = 0; c < d->rows[r].size() && c < d->columns.size(); ++c)
      preview_->setItem(int(r), int(c),
                        new QTableWidgetItem(QString::fromStdString(d->rows[r][c])));
  mapping_ = d->mapping;
  detected_importer_ = QString::fromStdString(d->importer);
  label_column_->addItem(tr("(none)"), QString());
  subject_column_->addItem(tr("(none)"), QString());
  for (const auto& c : headers) {
    label_column_->addItem(c, c);
    subject_column_->addItem(c, c);
  }
  auto first_column = [&](const char* field) {
    const json& f = mapping_.contains(field) ? mapping_[field] : json();
    if (f.is_object() && f.contains("columns") && !f["columns"].empty())
      return QString::fromStdString(f["columns"][0].get<std::string>());
    return QString();
  };
  label_column_->setCurrentIndex(std::max(0, label_column_->findData(first_column("label"))));
  subject_column_->setCurrentIndex(std::max(0, subject_column_->findData(first_column("subject"))));
  const bool csv_like = d->importer != "wand-capture" && d->importer != "example-jsonl";
  label_column_->setEnabled(csv_like);
  subject_column_->setEnabled(csv_like);
  rate_->setValue(mapping_.value("sample_rate_hz", 0.0));
  mapping_text_->setPlainText(QString::fromStdString(mapping_.dump(2)));
  import_->setEnabled(true);
  updating_ = false;
  start_counting();
}

void ImportDialog::apply_quick_edits() {
  if (updating_ || mapping_.is_null()) return;
  if (rate_->value() > 0)
    mapping_["sample_rate_hz"] = rate_->value();
  else
    mapping_.erase("sample_rate_hz");
  if (label_column_->isEnabled()) {
    const QString label = label_column_->currentData().toString();
    if (label.isEmpty()) {
      mapping_["label"] = nullptr;
    } else {
      // Keep a multi-column label (e.g. building + floor) unless the user picked another column.
      const json& current = mapping_.contains("label") ? mapping_["label"] : json();
      const bool same = current.is_object() && current.contains("columns") &&
                        !current["columns"].empty() &&
                        current["columns"][0].get<std::string>() == label.toStdString();
      if (!same) mapping_["label"] = {{"columns", {label.toStdString()}}};
    }
    const QString subject = subject_column_->currentData().toString();
    mapping_["subject"] =
        subject.isEmpty() ? json(nullptr) : json{{"columns", {subject.toStdString()}}};
  }
  updating_ = true;
  mapping_text_->setPlainText(QString::fromStdString(mapping_.dump(2)));
  updating_ = false;
  start_counting();
}

void ImportDialog::run_import() {
  if (job_->running()) return;
  QStringList args = {QStringLiteral("data"),
                      QStringLiteral("import"),
                      QStringLiteral("--project"),
                      project_folder_,
                      QStringLiteral("--json"),
                      QStringLiteral("--mapping"),
                      QString::fromStdString(mapping_.dump())};
  const QString importer = importer_->currentData().toString();
  args << QStringLiteral("--importer") << (importer.isEmpty() ? detected_importer_ : importer);
  args << path_->text().trimmed();
  import_->setEnabled(false);
  setCursor(Qt::BusyCursor);
  summary_->setText(summary_->text() + "\n" + tr("Importing..."));
  job_->start(args);
}

}  // namespace tinyllm::ui
