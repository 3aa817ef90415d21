// Answers the modal dialogs a page opens, in order, for GUI tests that click through them.
#pragma once

#include <QApplication>
#include <QDialog>
#include <QMessageBox>
#include <QPointer>
#include <QStringList>
#include <QTimer>
#include <QWidget>

#include <deque>
#include <functional>

namespace tinyllm::test {

// Answers the modal dialogs the page opens, in order: each handler gets the next new modal
// widget. A modal nobody expected is recorded and closed, so a test fails instead of hanging.
class ModalAnswers : public QObject {
 public:
  using Handler = std::function<void(QWidget*)>;
  ModalAnswers() {
    timer_.setInterval(50);
    connect(&timer_, &QTimer::timeout, this, [this] {
      QWidget* w = QApplication::activeModalWidget();
      if (!w || w == last_) return;
      last_ = w;
      if (handlers_.empty()) {
        auto* box = qobject_cast<QMessageBox*>(w);
        unexpected_ << (box ? box->text() + " | " + box->detailedText() : w->windowTitle());
        if (auto* d = qobject_cast<QDialog*>(w)) d->reject();
        return;
      }
      auto handler = std::move(handlers_.front());
      handlers_.pop_front();
      handler(w);
      // A handler that found the wrong dialog (its QVERIFY failed) leaves it open: close it, so
      // that the test reports the failure instead of waiting on the dialog.
      if (auto* d = qobject_cast<QDialog*>(w); d && d->isVisible()) {
        auto* box = qobject_cast<QMessageBox*>(w);
        unexpected_ << (box ? box->text() + " | " + box->detailedText() : w->windowTitle());
        d->reject();
      }
    });
    timer_.start();
  }
  void then(Handler h) { handlers_.push_back(std::move(h)); }
  bool all_answered() const { return handlers_.empty(); }
  QStringList unexpected_;

 private:
  QTimer timer_;
  std::deque<Handler> handlers_;
  QPointer<QWidget> last_;
};

}  // namespace tinyllm::test
