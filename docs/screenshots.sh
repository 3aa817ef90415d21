#!/usr/bin/env bash
# Renders the workbench pages to docs/screenshots/*.png under a virtual X display, on the demo
# project and (when ../shared/datasets exists) the magic-wand recordings. Needs a build.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BUILD_DIR:-build}/bin
out=docs/screenshots
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
export HOME="$work/home" XDG_CONFIG_HOME="$work/config"
$bin/tinyllm project new "$work/demo" --demo imu >/dev/null
$bin/tinyllm data prepare --project "$work/demo" >/dev/null
$bin/tinyllm project new "$work/zones" --demo rssi >/dev/null
shoot() {  # name, then tinyllm-studio arguments
  local name=$1; shift
  xvfb-run -a -s "-screen 0 1400x900x24" $bin/tinyllm-studio "$@" --screenshot "$out/$name.png"
  echo "$out/$name.png"
}
shoot start
shoot data-recording "$work/demo" --tab 0 --recording 1
shoot data-overview "$work/demo" --tab 1
shoot data-splits "$work/demo" --tab 3
shoot data-text "$work/demo" --tab 4
shoot data-rssi "$work/zones" --tab 0
$bin/tinyllm tokenizer train --project "$work/demo" --quiet >/dev/null
shoot pretrain "$work/demo" --step 1 --train-steps 40
# Steps 3 and 4: a tiny fine-tune from scratch and its evaluation (the Fine-tune page), then the
# Quantize page after exporting all four types.
$bin/tinyllm finetune --project "$work/demo" --from scratch --steps 200 --n_layer 1 --n_embd 32 \
  --n_head 2 --eval_every 50 >/dev/null
$bin/tinyllm eval --project "$work/demo" >/dev/null
shoot finetune "$work/demo" --step 2 --tab 1
out=docs/images shoot quantize-page "$work/demo" --step 3 --export f32,f16,q8_0,q4_0
if [ -d ../shared/datasets/magic_wand ]; then
  $bin/tinyllm project new "$work/wand" --task gesture >/dev/null
  $bin/tinyllm data import --project "$work/wand" ../shared/datasets/magic_wand/raw >/dev/null
  shoot data-wand "$work/wand" --tab 0 --recording 300
  shoot data-wand-cleaning "$work/wand" --tab 2
fi
