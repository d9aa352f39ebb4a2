#!/usr/bin/env bash
# Share of training wall time spent in the CLIP reward (render + embed + score), with
# the frames scored every step and every 4th step (issue #6). Uses a ViT-B/32-shaped
# model with random weights (timing only):
#
#   python3 benches/peers/make_clip_vit_b32.py /tmp/clip-vit-b32-random
#   bash benches/clip_share.sh [MODEL_DIR] [ENV] [STEPS]
#
# Prints one line per setting: steps, training wall time, CLIP seconds and share.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
model="${1:-/tmp/clip-vit-b32-random}"
env="${2:-cartpole}"
steps="${3:-2048}"
cargo build --release --quiet
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for every in 1 4; do
    ./target/release/rewardsmith train --env "$env" --steps "$steps" --video-every 0 \
        --clip-goal "a pole standing upright on a cart" --clip-baseline "a cart" \
        --clip-model "$model" --clip-every "$every" --out "$out/every-$every" 2>/dev/null
    python3 - "$out/every-$every/summary.json" "$every" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"--clip-every {sys.argv[2]}: {s['steps']} steps, training {s['wall_s']:.1f} s, "
      f"CLIP {s['clip_s']:.1f} s = {100 * s['clip_s'] / s['wall_s']:.0f}% of training")
PY
done
