#!/usr/bin/env bash
# Env steps per second of CLIP-rewarded PPO and CLIP's share of the training wall time,
# by image-encoder precision and with scoring inline or overlapped (issues #6, #26). Uses a
# ViT-B/32-shaped model with random weights (timing only) and its int8 variant:
#
#   python3 benches/peers/make_clip_vit_b32.py /tmp/clip-vit-b32-random
#   python3 benches/peers/quantize_clip.py /tmp/clip-vit-b32-random
#   bash benches/clip_share.sh [MODEL_DIR] [ENV] [STEPS] [EVERY]
#
# Prints one line per setting: steps, wall time, env steps/s, CLIP seconds and share, and
# the speed-up over fp32 inline (the way every run scored frames before #26).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
model="${1:-/tmp/clip-vit-b32-random}"
env="${2:-cartpole}"
steps="${3:-2048}"
every="${4:-1}"
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/rewardsmith"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for setting in "fp32 inline" "fp32 overlap" "int8 inline" "int8 overlap"; do
    read -r precision mode <<<"$setting"
    flags=(--clip-precision "$precision")
    [[ "$mode" == inline ]] && flags+=(--no-clip-overlap)
    run="$out/$precision-$mode"
    "$bin" train --env "$env" --steps "$steps" --video-every 0 \
        --clip-goal "a pole standing upright on a cart" --clip-baseline "a cart" \
        --clip-model "$model" --clip-every "$every" "${flags[@]}" --out "$run" 2>/dev/null
    python3 - "$run/summary.json" "$setting" "$out/base" <<'PY'
import json, os, sys
s = json.load(open(sys.argv[1]))
rate = s["steps"] / s["wall_s"]
base_file = sys.argv[3]
if not os.path.exists(base_file):
    open(base_file, "w").write(str(rate))
base = float(open(base_file).read())
print(f"{sys.argv[2]:<13} {s['steps']} steps in {s['wall_s']:.1f} s = {rate:.1f} env steps/s "
      f"({rate / base:.2f}x fp32 inline); CLIP {s['clip_s']:.1f} s = "
      f"{100 * s['clip_s'] / s['wall_s']:.0f}% of training")
PY
done
