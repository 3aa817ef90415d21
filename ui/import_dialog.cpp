#include "import_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include "data/import.h"
#include "job_runner.h"

namespace tinyllm::ui {
using nlohmann::json;

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
  layout->addWidget(error_);

  preview_ = new QTableWidget;
  preview_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  preview_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  preview_->setAccessibleName(tr("Preview of the first rows"));
  layout->addWidget(preview_, 1);

  auto* advanced = new QLabel(tr("Mapping (advanced; what each column means, as JSON):"));
  layout->addWidget(advanced);
  mapping_text_ = new QPlainTextEdit;
  mapping_text_->setMaximumHeight(110);
  mapping_text_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  advanced->setBuddy(mapping_text_);
  layout->addWidget(mapping_text_);

  auto* buttons = new QDialogButtonBox;
  import_ = buttons->addButton(tr("&Import"), QDialogButtonBox::AcceptRole);
  import_->setEnabled(false);
  buttons->addButton(QDialogButtonBox::Cancel);
  layout->addWidget(buttons);

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
    import_->setEnabled(true);
  });
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(import_, &QPushButton::clicked, this, &ImportDialog::run_import);
  connect(job_, &JobRunner::finished, this,
          [this](int code, const QString& out, const QString& err) {
            import_->setEnabled(true);
            setCursor(Qt::ArrowCursor);
            if (code != 0) {
              QString message = err.split('\n').filter(QStringLiteral("tinyllm:")).join('\n');
              show_error(
                  tr("The import did not go through; the project is unchanged.\n%1")
                      .arg(message.isEmpty() ? err : message.remove(QStringLiteral("tinyllm: "))));
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

QString ImportDialog::error_text() const {
  return error_->isVisible() ? error_->text() : QString();
}

json ImportDialog::mapping() const {
  return mapping_;
}

void ImportDialog::set_path(const QString& path) {
  path_->setText(path);
  detect();
}

void ImportDialog::show_error(const QString& message, const QString& details) {
  error_->setText(details.isEmpty() ? message : message + "\n" + details);
  error_->show();
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
    show_error(tr("This file cannot be imported:"), QString::fromStdString(d.error().to_string()));
    import_->setEnabled(false);
    updating_ = false;
    return;
  }
  error_->hide();
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
