#include "start_page.h"

#include <QGridLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace tinyllm::ui {

StartPage::StartPage(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(48, 32, 48, 32);
  auto* title =
      new QLabel(tr("<h1>TinyLLM Workbench</h1>"
                    "<p>Make a small language model for your sensors, from recordings to a "
                    "Raspberry Pi, in five steps: <b>Data → Pre-train → Fine-tune → Quantize → "
                    "Deploy</b>. Everything runs on this computer.</p>"));
  title->setWordWrap(true);
  layout->addWidget(title);

  auto* grid = new QGridLayout;
  demo_ = new QPushButton(QIcon(QStringLiteral(":/icons/demo.svg")),
                          tr("&Try the demo: gestures (IMU)"));
  auto* demo_rssi = new QPushButton(QIcon(QStringLiteral(":/icons/demo.svg")),
                                    tr("Try the demo: indoor &zones (WiFi)"));
  auto* fresh = new QPushButton(QIcon(QStringLiteral(":/icons/new.svg")),
                                tr("&New project from my recordings..."));
  auto* open =
      new QPushButton(QIcon(QStringLiteral(":/icons/open.svg")), tr("&Open project folder..."));
  for (auto* b : {demo_, demo_rssi, fresh, open}) {
    b->setMinimumHeight(44);
    b->setIconSize(QSize(24, 24));
  }
  grid->addWidget(demo_, 0, 0);
  grid->addWidget(demo_rssi, 0, 1);
  grid->addWidget(fresh, 1, 0);
  grid->addWidget(open, 1, 1);
  layout->addLayout(grid);
  auto* explain = new QLabel(
      tr("The demo makes synthetic recordings of four gestures by six people (or WiFi "
         "fingerprints in six rooms) so you can see every step before bringing your own data."));
  explain->setWordWrap(true);
  layout->addWidget(explain);

  error_ = new QLabel;
  error_->setWordWrap(true);
  error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  error_->setStyleSheet(QStringLiteral("color: #c62828"));
  error_->hide();
  layout->addWidget(error_);

  auto* recent_label = new QLabel(tr("<b>&Recent projects</b>"));
  layout->addWidget(recent_label);
  recent_ = new QListWidget;
  recent_label->setBuddy(recent_);
  layout->addWidget(recent_, 1);

  connect(demo_, &QPushButton::clicked, this,
          [this] { emit newDemoRequested(QStringLiteral("imu")); });
  connect(demo_rssi, &QPushButton::clicked, this,
          [this] { emit newDemoRequested(QStringLiteral("rssi")); });
  connect(fresh, &QPushButton::clicked, this, &StartPage::newProjectRequested);
  connect(open, &QPushButton::clicked, this, [this] { emit openRequested(QString()); });
  connect(recent_, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
    emit openRequested(item->data(Qt::UserRole).toString());
  });
}

void StartPage::set_recent(const QStringList& folders) {
  recent_->clear();
  for (const auto& f : folders) {
    auto* item = new QListWidgetItem(f, recent_);
    item->setData(Qt::UserRole, f);
  }
  if (folders.isEmpty()) recent_->addItem(tr("(none yet)"));
}

void StartPage::show_error(const QString& message) {
  error_->setText(tr("Could not open the project: %1").arg(message));
  error_->setVisible(!message.isEmpty());
}

QString StartPage::error_text() const {
  return error_->isVisible() ? error_->text() : QString();
}

}  // namespace tinyllm::ui
