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
# Steps 3 and 4: pre-training as long as the demo's (300 steps, a few minutes), the fine-tune from
# it and its evaluation (the Fine-tune page), then the Quantize page after exporting all four types.
$bin/tinyllm train --project "$work/demo" --steps 300 --eval_every 50 >/dev/null
$bin/tinyllm finetune --project "$work/demo" --steps 120 >/dev/null
$bin/tinyllm eval --project "$work/demo" >/dev/null
shoot finetune "$work/demo" --step 2 --tab 1
out=docs/images shoot quantize-page "$work/demo" --step 3 --export f32,f16,q8_0,q4_0
# Step 5 and the Record dialog: a device on this computer (a loopback sshd with its own keys, as
# the tests use), the Q8_0 model deployed, benchmarked and evaluated there, then a take from the
# example IMU script replaying circles of a wrist at 50 Hz, as the demo's take does.
if [ -x /usr/sbin/sshd ]; then
  ssh_dir="$work/sshd"
  mkdir -p "$ssh_dir" "$work/device/sensors"
  [ "$(id -u)" != 0 ] || mkdir -p /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$ssh_dir/host_key"
  ssh-keygen -q -t ed25519 -N '' -f "$ssh_dir/client_key"
  cp "$ssh_dir/client_key.pub" "$ssh_dir/authorized_keys"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf '%s\n' "ListenAddress 127.0.0.1" "Port $port" "HostKey $ssh_dir/host_key" \
    "AuthorizedKeysFile $ssh_dir/authorized_keys" "PidFile $ssh_dir/sshd.pid" "StrictModes no" \
    "UsePAM no" "PasswordAuthentication no" "KbdInteractiveAuthentication no" \
    "PermitRootLogin prohibit-password" "Subsystem sftp internal-sftp" >"$ssh_dir/sshd_config"
  /usr/sbin/sshd -f "$ssh_dir/sshd_config" -E "$ssh_dir/log"
  trap 'kill "$(cat "$ssh_dir/sshd.pid")" 2>/dev/null; rm -rf "$work"' EXIT
  for _ in $(seq 50); do [ -s "$ssh_dir/sshd.pid" ] && break; sleep 0.1; done
  $bin/tinyllm device add --project "$work/demo" pi4 --host 127.0.0.1 --port "$port" \
    --user "$(id -un)" --key "$ssh_dir/client_key" --known-hosts "$ssh_dir/known_hosts" \
    --dir "$work/device" --accept-new-host-key >/dev/null
  $bin/tinyllm export --project "$work/demo" --type q8_0 >/dev/null
  $bin/tinyllm deploy --project "$work/demo" --device pi4 --type q8_0 >/dev/null
  $bin/tinyllm remote bench --project "$work/demo" --device pi4 >/dev/null
  $bin/tinyllm remote eval --project "$work/demo" --device pi4 >/dev/null 2>&1
  out=docs/images shoot deploy-page "$work/demo" --step 4
  python3 - "$work/device/sensors/circles.bin" <<'PY'
import math, struct, sys
# Circles of a wrist, 1.2 s each, as MPU-6050 registers (accel at +-2 g, gyro at +-250 deg/s).
out = bytearray()
for i in range(300):
    a = 2 * math.pi * (i % 60) / 60
    accel = (0.6 * math.cos(a), 0.6 * math.sin(a), 1.0)
    gyro = (20.0 * math.sin(a), 20.0 * math.cos(a), 150.0 * math.sin(a))
    out += struct.pack(">7h", *(round(v * 16384) for v in accel), 0,
                       *(round(v * 131) for v in gyro))
open(sys.argv[1], "wb").write(out)
PY
  cp resources/device-scripts/imu_mpu6050.py "$work/device/sensors/"
  $bin/tinyllm device add-source --project "$work/demo" pi4 imu --command \
    "python3 $work/device/sensors/imu_mpu6050.py --replay $work/device/sensors/circles.bin --paced" \
    >/dev/null
  out=docs/images shoot record-panel "$work/demo" --record imu:circle
fi
if [ -d ../shared/datasets/magic_wand ]; then
  $bin/tinyllm project new "$work/wand" --task gesture >/dev/null
  $bin/tinyllm data import --project "$work/wand" ../shared/datasets/magic_wand/raw >/dev/null
  shoot data-wand "$work/wand" --tab 0 --recording 300
  shoot data-wand-cleaning "$work/wand" --tab 2
fi
