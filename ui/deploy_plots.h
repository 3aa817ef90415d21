// The Deploy page's plots: results over model versions (accuracy and prompt tokens/s, each device
// beside the desktop) and the scores of one "Try it" answer.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "deploy/remote_run.h"

class QCustomPlot;

namespace tinyllm::ui {

// Accuracy (%, left axis, solid) and prompt tokens/s (right axis, dashed) per version, in the
// order versions were first measured; one pair of lines per device, the desktop's included. The
// newest run of each (device, version, mode) counts.
void plot_runs_over_versions(QCustomPlot* plot, const std::vector<deploy::RunRecord>& runs);

// One bar per answer, the chosen one highlighted.
void plot_scores(QCustomPlot* plot, const nlohmann::json& scores, const std::string& chosen);

}  // namespace tinyllm::ui
