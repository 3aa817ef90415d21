// Built as C++17 (CXX_STANDARD 17), as the edge runtime is: the runtime's headers must compile
// there, and raw readings must become the expected text through them. Exit code 0 = pass.
#include <cstdio>
#include <string>

#include "sensortext/sensor_text.h"
#include "text/prompt_template.h"

#if __cplusplus != 201703L
#error "this check must be compiled as C++17"
#endif

int main() {
  using namespace tinyllm;
  sensortext::Schema schema;
  schema.channels = {{"ax", "mg"}, {"ay", "mg"}};
  sensortext::Series series;
  series.values = {1000, -20, 500, 0};  // 2 rows x 2 channels, milli-g
  series.labels = {0, 0};
  auto format = sensortext::channel_format(schema, /*si_units=*/true, false, -1, 16);
  sensortext::convert_units(series.values, format.unit_factor);
  sensortext::Window window;
  window.schema = &schema;
  window.rows = 2;
  window.values = series.values.data();
  const auto styles = sensortext::builtin_text_styles();
  const std::string text = prompt::build_prompt(
      "Classify.",
      sensortext::find_text_style(styles, "channel-lists")->write(window, format.format));
  const std::string expected =
      "### Instruction:\nClassify.\n### Input:\nax: 9.8 4.9\nay: -0.2 0.0\n### Response:\n";
  if (text != expected) {
    std::fprintf(stderr, "got:\n%s\nexpected:\n%s\n", text.c_str(), expected.c_str());
    return 1;
  }
  std::printf("C++%ld runtime text: OK\n", long(__cplusplus));
  return 0;
}
