#include "quantize_page.h"

#include <qcustomplot.h>
#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <filesystem>
#include <set>

#include "appearance.h"
#include "job_runner.h"
#include "pipeline/pretrain_step.h"
#include "pipeline/quantize_step.h"
#include "project_session.h"
#include "quantize_models.h"
#include "try_it_panel.h"

namespace tinyllm::ui {

using nlohmann::json;
namespace fs = std::filesystem;

QuantizePage::QuantizePage(ProjectSession& session, QWidget* parent)
    : QWidget(parent), session_(session), job_(new JobRunner(this)) {
  auto* outer = new QVBoxLayout(this);

  // Export: which run, which types, the progress.
  auto* export_box = new QGroupBox(tr("Export"));
  auto* export_layout = new QHBoxLayout(export_box);
  auto* choose = new QGridLayout;
  run_ = new QComboBox;
  run_->setToolTip(tr("The fine-tuning run whose best checkpoint is exported"));
  auto* run_label = new QLabel(tr("Fine-tuned &run:"));
  run_label->setBuddy(run_);
  choose->addWidget(run_label, 0, 0);
  choose->addWidget(run_, 0, 1);
  int row = 1;
  for (const auto& t : pipeline::quant_types()) {
    const QString type = QString::fromLatin1(t.type);
    const bool recommended = type == QLatin1String(pipeline::kRecommendedQuantType);
    auto* box =
        new QCheckBox(recommended ? tr("%1 (recommended)").arg(type.toUpper()) : type.toUpper());
    box->setChecked(recommended || type == QLatin1String("f32"));  // q8_0 beside its reference
    auto* note = new QLabel(tr(t.summary));
    note->setWordWrap(true);
    choose->addWidget(box, row, 0);
    choose->addWidget(note, row, 1);
    types_[type] = box;
    connect(box, &QCheckBox::toggled, this, &QuantizePage::update_buttons);
    ++row;
  }
  choose->setColumnStretch(1, 1);
  export_layout->addLayout(choose, 3);
  auto* run_box = new QVBoxLayout;
  auto* buttons = new QHBoxLayout;
  export_ = new QPushButton(tr("&Export"));
  export_->setToolTip(
      tr("Write the checked types as GGUF files in exports/, then measure each with this "
         "computer's runtime: size, perplexity, accuracy and speed"));
  stop_ = new QPushButton(tr("&Stop"));
  stop_->setToolTip(tr("Stop the export; files not finished are not recorded"));
  buttons->addWidget(export_);
  buttons->addWidget(stop_);
  buttons->addStretch(1);
  run_box->addLayout(buttons);
  progress_ = new QProgressBar;
  progress_->setRange(0, 1);
  progress_->setValue(0);
  run_box->addWidget(progress_);
  progress_label_ = new QLabel(tr("Tick the types and press Export."));
  progress_label_->setWordWrap(true);
  run_box->addWidget(progress_label_);
  error_ = new QLabel;
  error_->setWordWrap(true);
  error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  error_->setStyleSheet(QStringLiteral("color: #c62828"));
  error_->hide();
  run_box->addWidget(error_);
  run_box->addStretch(1);
  export_layout->addLayout(run_box, 2);
  outer->addWidget(export_box);

  // The report: table and charts.
  auto* tabs = new QTabWidget;
  auto* results = new QWidget;
  auto* results_layout = new QVBoxLayout(results);
  auto* pi_row = new QHBoxLayout;
  pi_ = new QComboBox;
  for (const auto& b : pipeline::pi_budgets())
    pi_->addItem(tr(b.name), QVariant::fromValue<qulonglong>(b.ram_bytes));
  pi_->setCurrentIndex(1);
  pi_->setToolTip(
      tr("The device's memory: the highlighted variant fits in about half of it "
         "and answers best"));
  auto* pi_label = new QLabel(tr("Recommend for a &Raspberry Pi:"));
  pi_label->setBuddy(pi_);
  pi_row->addWidget(pi_label);
  pi_row->addWidget(pi_);
  recommendation_ = new QLabel;
  recommendation_->setWordWrap(true);
  pi_row->addWidget(recommendation_, 1);
  results_layout->addLayout(pi_row);
  report_note_ = new QLabel;
  report_note_->setWordWrap(true);
  results_layout->addWidget(report_note_);
  auto* results_split = new QSplitter(Qt::Vertical);
  model_ = new QuantTableModel(this);
  table_ = new QTableView;
  table_->setModel(model_);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->verticalHeader()->hide();
  table_->setAccessibleName(tr("Variants"));
  results_split->addWidget(table_);
  auto* plots = new QWidget;
  auto* plot_grid = new QHBoxLayout(plots);
  plot_grid->setContentsMargins(0, 0, 0, 0);
  for (auto m : {QuantMeasure::size, QuantMeasure::perplexity, QuantMeasure::accuracy,
                 QuantMeasure::speed}) {
    auto* p = new QCustomPlot;
    p->setMinimumSize(180, 170);
    plot_grid->addWidget(p);
    plots_[m] = p;
  }
  results_split->addWidget(plots);
  results_split->setStretchFactor(0, 2);
  results_split->setStretchFactor(1, 3);
  remember_splitter(results_split, QStringLiteral("quantize/results_split"));
  results_layout->addWidget(results_split, 1);
  tabs->addTab(results, tr("Size, accuracy and speed"));

  try_ = new TryItPanel(tr("&Run here"), tr("Answer it with this computer's runtime (tinyllm-run) "
                                            "and the chosen file"));
  try_variant_ = new QComboBox;
  try_variant_->setToolTip(tr("Which exported file answers"));
  try_->form()->insertRow(0, tr("&Model file:"), try_variant_);
  tabs->addTab(try_, tr("Try it"));
  outer->addWidget(tabs, 1);

  status_ = new QLabel;
  status_->setWordWrap(true);
  outer->addWidget(status_);

  connect(job_, &JobRunner::lineReceived, this, &QuantizePage::on_line);
  connect(job_, &JobRunner::finished, this,
          [this](int code, const QString& out, const QString& err) {
            auto done = std::move(job_done_);
            job_done_ = nullptr;
            if (done) done(code, out, err);
            stopping_ = false;
            update_buttons();
            if (!busy()) emit allJobsFinished();
          });
  connect(export_, &QPushButton::clicked, this, &QuantizePage::start_export);
  connect(stop_, &QPushButton::clicked, this, &QuantizePage::stop_all);
  connect(run_, &QComboBox::currentIndexChanged, this, [this] {
    refresh_report();
    refresh_try_variants();
    update_buttons();
  });
  connect(pi_, &QComboBox::currentIndexChanged, this, &QuantizePage::refresh_recommendation);
  connect(try_, &TryItPanel::runRequested, this, &QuantizePage::try_it);
  connect(&session_, &ProjectSession::changed, this, &QuantizePage::refresh);
  refresh();
}

QCheckBox* QuantizePage::type_box(const QString& type) const {
  const auto it = types_.find(type);
  return it == types_.end() ? nullptr : it->second;
}

bool QuantizePage::busy() const {
  return job_->running();
}

void QuantizePage::stop_all() {
  if (busy()) {
    stopping_ = true;
    progress_label_->setText(tr("Stopping..."));
    job_->cancel();
  }
  if (!busy()) emit allJobsFinished();
}

QString QuantizePage::chosen_run() const {
  return run_->currentData().toString();
}

void QuantizePage::refresh() {
  if (!session_.is_open()) {
    run_->clear();
    model_->clear();
    try_variant_->clear();
    update_buttons();
    return;
  }
  refresh_runs();
  refresh_report();
  refresh_try_variants();
  try_->load_examples(session_.project().path("data/prepared/task_test.jsonl"));
  update_buttons();
}

void QuantizePage::refresh_runs() {
  const QString chosen = chosen_run();
  QSignalBlocker block(run_);
  run_->clear();
  const auto& project = session_.project();
  const auto latest = pipeline::latest_run_id(project, pipeline::kFinetuneRuns);
  const auto runs = pipeline::finetuned_runs(project);
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {  // newest first
    const QString id = QString::fromStdString(*it);
    run_->addItem(latest && *latest == *it ? tr("%1 (latest)").arg(id) : id, id);
  }
  const int keep = run_->findData(chosen);
  if (keep >= 0) run_->setCurrentIndex(keep);
}

void QuantizePage::refresh_report() {
  const QString run = chosen_run();
  if (!session_.is_open() || run.isEmpty()) {
    model_->clear();
    report_note_->setText(session_.is_open() ? tr("Nothing fine-tuned yet: fine-tune a model on "
                                                  "the Fine-tune step first.")
                                             : QString());
    refresh_recommendation();
    return;
  }
  const auto& project = session_.project();
  const fs::path file = pipeline::quantization_report_path(project, run.toStdString());
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    model_->clear();
    report_note_->setText(tr("No report for %1 yet: Export writes the files and measures each "
                             "of them here.")
                              .arg(run));
    refresh_recommendation();
    return;
  }
  auto report = pipeline::read_quantization_report(file);
  if (!report) {
    model_->clear();
    report_note_->setText(QString::fromStdString(report.error().to_string()));
    refresh_recommendation();
    return;
  }
  std::set<std::string> stale;
  for (const auto& v : report->variants)
    if (pipeline::export_is_stale(project, report->run, v.type)) stale.insert(v.type);
  const QString measured = QString::fromStdString(report->measured).left(16).replace('T', ' ');
  QString note = tr("Measured %1 UTC on %2; in brackets: against F32.")
                     .arg(measured, QString::fromStdString(report->where));
  if (!stale.empty())
    note += QStringLiteral(" <b>") +
            tr("Stale: the model or its data changed since some files were exported "
               "(greyed); export again.") +
            QStringLiteral("</b>");
  report_note_->setText(note);
  model_->set_report(std::move(*report), std::move(stale));
  refresh_recommendation();
}

void QuantizePage::refresh_recommendation() {
  const auto& variants = model_->report().variants;
  const uint64_t ram = pi_->currentData().toULongLong();
  const auto best = pipeline::recommended_variant(variants, ram);
  model_->set_recommended(best);
  if (variants.empty())
    recommendation_->clear();
  else if (!best)
    recommendation_->setText(
        tr("None of the variants fits in half of %1.").arg(pi_->currentText()));
  else
    recommendation_->setText(
        tr("Best fit: <b>%1</b>, the best test accuracy of those that fit in half its memory "
           "(equal accuracy: the smaller file); it needs about %2.")
            .arg(QString::fromStdString(variants[*best].type))
            .arg(QStringLiteral("%1%").arg(
                100.0 * double(pipeline::memory_needed(variants[*best])) / double(ram), 0, 'f',
                1)));
  table_->resizeColumnsToContents();  // after the highlighted row turned bold
  for (const auto& [measure, plot] : plots_)
    plot_quant_measure(plot, variants, measure, best);
}

void QuantizePage::refresh_try_variants() {
  const QString chosen = try_variant_->currentData().toString();
  try_variant_->clear();
  const QString run = chosen_run();
  if (!session_.is_open() || run.isEmpty()) return;
  const auto& project = session_.project();
  // The recommended type first.
  for (const char* type : {"q8_0", "q4_0", "f16", "f32"}) {
    const auto* a = project.find_artifact("gguf-" + run.toStdString() + "-" + type);
    if (!a) continue;
    const fs::path file = project::resolve_path(project.root, a->path);
    std::error_code ec;
    if (!fs::exists(file, ec)) continue;
    QString text = QString::fromLatin1(type);
    if (text == QLatin1String(pipeline::kRecommendedQuantType)) text += tr(" (recommended)");
    if (pipeline::export_is_stale(project, run.toStdString(), type)) text += tr(" - stale");
    try_variant_->addItem(text, QString::fromStdString(file.string()));
  }
  const int keep = try_variant_->findData(chosen);
  if (keep >= 0) try_variant_->setCurrentIndex(keep);
}

void QuantizePage::update_buttons() {
  const bool idle = !busy();
  bool any_type = false;
  for (const auto& [type, box] : types_)
    any_type |= box->isChecked();
  export_->setEnabled(idle && any_type && !chosen_run().isEmpty());
  stop_->setEnabled(!idle && !stopping_);
  run_->setEnabled(idle);
  try_->run_button()->setEnabled(idle && try_variant_->count() > 0);
}

// ---- jobs

void QuantizePage::run_job(const QString& what, const QStringList& args, const QString& program,
                           std::function<void(int, const QString&, const QString&)> done) {
  if (busy()) return;
  job_done_ = std::move(done);
  status_->setText(what);
  emit status(what);
  job_->start(args, program);
  update_buttons();
}

void QuantizePage::start_export() {
  QStringList types;
  for (const auto& t : pipeline::quant_types())
    if (types_.at(QString::fromLatin1(t.type))->isChecked()) types << QString::fromLatin1(t.type);
  const QString run = chosen_run();
  if (types.isEmpty() || run.isEmpty()) return;
  error_->hide();
  progress_->setRange(0, 0);  // busy until the first progress line says how much there is
  progress_label_->setText(tr("Reading the checkpoint..."));
  exporting_ = true;
  session_.set_running(Step::quantize, true);
  run_job(tr("Exporting %1 as %2...").arg(run, types.join(QStringLiteral(", "))),
          {QStringLiteral("export"), QStringLiteral("--project"), session_.folder(),
           QStringLiteral("--run"), run, QStringLiteral("--type"), types.join(QLatin1Char(',')),
           QStringLiteral("--json")},
          {}, [this, run](int code, const QString&, const QString& err) {
            exporting_ = false;
            const bool stopped = stopping_;
            session_.set_running(Step::quantize, false);  // reloads: the new files and report
            progress_->setRange(0, 1);
            progress_->setValue(code == 0 ? 1 : 0);
            if (code == 0) {
              progress_label_->setText(tr("Done: %1 exported and measured.").arg(run));
              status_->setText(progress_label_->text());
            } else if (stopped) {
              progress_label_->setText(tr("Stopped. Files not finished were not recorded."));
              status_->setText(progress_label_->text());
            } else {
              progress_label_->setText(tr("The export failed."));
              error_->setText(err.trimmed().isEmpty()
                                  ? tr("tinyllm export ended with code %1").arg(code)
                                  : err.trimmed());
              error_->show();
              status_->setText(tr("The export failed: %1").arg(err.trimmed()));
            }
          });
}

void QuantizePage::on_line(const QString& line) {
  if (!exporting_ || !line.startsWith(QLatin1Char('{'))) return;
  const json e = json::parse(line.toStdString(), nullptr, false);
  if (!e.is_object() || e.value("event", "") != "progress") return;
  const int total = e.value("total", 0), done = e.value("done", 0);
  progress_->setRange(0, std::max(1, total));
  progress_->setValue(done);
  const QString type = QString::fromStdString(e.value("type", ""));
  const std::string stage = e.value("stage", "");
  if (done == 0)
    progress_label_->setText(tr("Exporting (0 of %1 steps)...").arg(total));
  else if (stage == "export")
    progress_label_->setText(tr("Wrote %1 (%2 of %3)").arg(type).arg(done).arg(total));
  else
    progress_label_->setText(tr("Measured %1 of %2 (%3 of %4)")
                                 .arg(QString::fromStdString(e.value("what", "")), type)
                                 .arg(done)
                                 .arg(total));
}

void QuantizePage::try_it() {
  const QString model = try_variant_->currentData().toString();
  if (model.isEmpty()) return;
  const QString typed = try_->typed_prompt();
  const QString prompt = typed.isEmpty() ? try_->example_prompt() : typed;
  if (prompt.isEmpty()) return;
  // A task with answers is classified (every answer scored); one without is generated.
  const bool classify = try_->has_labels();
  QStringList args = {classify ? QStringLiteral("classify") : QStringLiteral("generate"),
                      QStringLiteral("--model"),
                      model,
                      QStringLiteral("--prompt"),
                      prompt,
                      QStringLiteral("--json")};
  const QString truth = typed.isEmpty() ? try_->true_label() : QString();
  const QString name = try_variant_->currentText();
  try_->set_running(tr("Running %1 here...").arg(name));
  run_job(tr("Trying %1 on this computer...").arg(name), args, JobRunner::runtime_path(),
          [this, truth, name](int code, const QString& out, const QString& err) {
            const QString last = out.trimmed().section(QLatin1Char('\n'), -1);
            const json r = json::parse(last.toStdString(), nullptr, false);
            if (code != 0 || !r.is_object()) {
              try_->show_failed();
              status_->setText(tr("Could not run %1: %2").arg(name, (err + out).trimmed()));
              return;
            }
            try_->show_result(r, truth);
            status_->setText(tr("Done: %1 answered.").arg(name));
          });
}

}  // namespace tinyllm::ui
