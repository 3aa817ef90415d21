// The Quantize page's bar charts: one bar per exported variant (F32 first, beside the others) for
// one measure of the quantization report, the variant recommended for the chosen Raspberry Pi in
// the accent colour, the others grey.
#pragma once

#include <optional>
#include <vector>

#include "pipeline/quantize_step.h"

class QCustomPlot;

namespace tinyllm::ui {

enum class QuantMeasure { size, perplexity, accuracy, speed };

// `speed` draws two bars per variant: prompt tokens/s (solid) and generation tokens/s (lighter).
// A variant without the number gets no bar.
void plot_quant_measure(QCustomPlot* plot, const std::vector<pipeline::QuantVariant>& variants,
                        QuantMeasure measure, std::optional<size_t> highlighted);

}  // namespace tinyllm::ui
