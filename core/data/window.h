// Time-series shaping before serialization (resampling, windows): defined in tinyllm_sensor_text
// so that the edge runtime shapes live readings the same way.
#pragma once

#include "data/recording.h"
#include "sensortext/sensor_text.h"

namespace tinyllm::data {

using sensortext::label_policy_from_string;
using sensortext::LabelPolicy;
using sensortext::make_windows;
using sensortext::resample;
using sensortext::to_string;  // LabelPolicy
using sensortext::WindowSpan;

}  // namespace tinyllm::data
