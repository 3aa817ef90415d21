#include "try_it_panel.h"

#include <qcustomplot.h>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

#include <fstream>

#include "deploy_plots.h"

namespace tinyllm::ui {

using nlohmann::json;

TryItPanel::TryItPanel(const QString& run_text, const QString& run_tip, QWidget* parent)
    : QWidget(parent) {
  auto* layout = new QHBoxLayout(this);
  form_ = new QFormLayout;
  example_ = new QSpinBox;
  example_->setToolTip(tr("An example from the test split (never used in training)"));
  form_->addRow(tr("Test &example:"), example_);
  example_label_ = new QLabel;
  example_label_->setWordWrap(true);
  form_->addRow(example_label_);
  prompt_ = new QLineEdit;
  prompt_->setPlaceholderText(tr("or type a whole prompt here instead"));
  form_->addRow(tr("&Prompt:"), prompt_);
  run_ = new QPushButton(run_text);
  run_->setToolTip(run_tip);
  form_->addRow(run_);
  result_ = new QLabel;
  result_->setWordWrap(true);
  result_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  form_->addRow(result_);
  layout->addLayout(form_, 2);
  scores_plot_ = new QCustomPlot;
  scores_plot_->setMinimumSize(260, 160);
  layout->addWidget(scores_plot_, 3);
  connect(example_, &QSpinBox::valueChanged, this, &TryItPanel::show_example);
  connect(run_, &QPushButton::clicked, this, &TryItPanel::runRequested);
}

void TryItPanel::load_examples(const std::filesystem::path& task_test) {
  examples_.clear();
  std::ifstream in(task_test);
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object()) examples_.push_back(std::move(j));
  }
  {
    QSignalBlocker block(example_);
    example_->setRange(examples_.empty() ? 0 : 1, int(examples_.size()));
  }
  show_example();
}

int TryItPanel::example() const {
  return examples_.empty() ? 0 : example_->value();
}

QString TryItPanel::example_prompt() const {
  const int n = example();
  return n > 0 ? QString::fromStdString(examples_[size_t(n - 1)].value("prompt", "")) : QString();
}

QString TryItPanel::true_label() const {
  const int n = example();
  return n > 0 ? QString::fromStdString(examples_[size_t(n - 1)].value("label", "")) : QString();
}

bool TryItPanel::has_labels() const {
  for (const auto& e : examples_)
    if (!e.value("label", "").empty()) return true;
  return false;
}

QString TryItPanel::typed_prompt() const {
  return prompt_->text().trimmed().isEmpty() ? QString() : prompt_->text();
}

void TryItPanel::show_example() {
  const int n = example();
  if (n == 0) {
    example_label_->setText(tr("No test examples: prepare the data first."));
    return;
  }
  const QString truth = true_label();
  example_label_->setText(truth.isEmpty() ? tr("Example %1 of %2").arg(n).arg(examples_.size())
                                          : tr("Example %1 of %2, true answer: <b>%3</b>")
                                                .arg(n)
                                                .arg(examples_.size())
                                                .arg(truth.toHtmlEscaped()));
}

void TryItPanel::set_running(const QString& text) {
  result_->setText(text);
}

void TryItPanel::show_failed() {
  result_->setText(tr("Failed."));
}

void TryItPanel::show_result(const json& r, const QString& true_label, const QString& note) {
  const bool generated = r.contains("text");
  const QString answer = QString::fromStdString(r.value(generated ? "text" : "label", ""));
  const double latency_ms = generated ? r.value("prompt_ms", 0.0) + r.value("generate_ms", 0.0)
                                      : r.value("latency_ms", 0.0);
  QString text = tr("<span style=\"font-size:large\">Answer: <b>%1</b></span> in %2 ms (%3 prompt "
                    "tokens)")
                     .arg(answer.toHtmlEscaped())
                     .arg(latency_ms, 0, 'f', 1)
                     .arg(r.value("prompt_tokens", 0));
  if (!true_label.isEmpty())
    text += true_label == answer.trimmed()
                ? tr("<br>Right: the true answer is %1.").arg(true_label.toHtmlEscaped())
                : tr("<br>Wrong: the true answer is %1.").arg(true_label.toHtmlEscaped());
  if (!note.isEmpty()) text += QStringLiteral("<br><small>%1</small>").arg(note.toHtmlEscaped());
  result_->setText(text);
  plot_scores(scores_plot_, r.value("scores", json::object()), answer.toStdString());
}

}  // namespace tinyllm::ui
