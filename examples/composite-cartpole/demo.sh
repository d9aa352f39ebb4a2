#!/usr/bin/env bash
# Trains cartpole PPO on the unconstrained and the constrained reward file, evaluates
# both, and reports the share of evaluation steps with |cart x| ≤ 0.3.
# Usage: examples/composite-cartpole/demo.sh [SEED] (from the repository root; needs jq).
set -euo pipefail
seed="${1:-1}"
here="$(cd "$(dirname "$0")" && pwd)"
bin="${REWARDSMITH:-rewardsmith}"
out="${OUT:-runs/composite-cartpole}"
for name in unconstrained constrained; do
  run="$out/$name-s$seed"
  rm -rf "$run"
  "$bin" train --env cartpole --reward "$here/$name.toml" --seed "$seed" \
    --steps 300000 --video-every 0 --out "$run"
  "$bin" eval --run "$run" --episodes 10 > "$run/eval.json"
  # 10 episodes' worth of steps of the deterministic policy, with every component.
  "$bin" rollout --env cartpole --policy "$run" --steps 5000 --seed $((seed + 10000)) \
    --reward "$here/$name.toml" --out "$run/rollout.jsonl"
  within=$(jq -s '[.[] | .reward_components["position/x"] | (if . < 0 then -. else . end) <= 0.3] |
    (map(select(.)) | length) / length' "$run/rollout.jsonl")
  mean_x=$(jq -s '[.[] | .reward_components["position/x"]] | add / length' "$run/rollout.jsonl")
  success=$(jq .success_rate "$run/eval.json")
  echo "$name (seed $seed): eval success $success, steps with |x| <= 0.3: $within, mean x: $mean_x"
done
