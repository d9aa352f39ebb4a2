#!/usr/bin/env bash
# PPO wall-clock to CartPole return ≥ 475 against Stable-Baselines3, in one run on one
# machine, seeds interleaved so load changes hit every tool alike:
#   bash benches/peers/run_train_peer.sh [SEEDS...]      (default: 1 2 3 4 5)
# Criterion (both tools): the mean return of the last 100 training episodes reaches 475,
# checked after every PPO update; seconds from the start of training (env construction)
# until then. SB3 runs rl-baselines3-zoo's CartPole-v1 PPO settings (sb3_cartpole.py);
# rewardsmith runs `train --stop-return 475 --threads 1` with each env's [train]
# defaults (one thread: 8 cartpoles step faster in sequence than handed between two);
# SB3 runs once with PyTorch's default threads (the ratio's reference) and once with 1.
# Writes target/bench/train_peer.jsonl and target/bench/train_peer.md.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ $# -gt 0 ]]; then SEEDS=("$@"); else SEEDS=(1 2 3 4 5); fi
THRESHOLD=475
OUT="$REPO/target/bench"
RUNS="$OUT/train_peer_runs"
RESULTS="$OUT/train_peer.jsonl"
mkdir -p "$OUT"
rm -rf "$RUNS" "$RESULTS"
bash "$REPO/benches/peers/setup.sh" --with-sb3
PY="${PEERS_VENV:-$REPO/.venv-peers}/bin/python"
cd "$REPO"
cargo build --release --quiet
BIN="$REPO/target/release/rewardsmith"

ours() { # env seed
  local dir="$RUNS/$1-s$2"
  "$BIN" train --env "$1" --seed "$2" --stop-return "$THRESHOLD" --threads 1 --video-every 0 \
    --out "$dir" 2>/dev/null
  "$PY" - "$dir/summary.json" "$1" "$2" "$THRESHOLD" >>"$RESULTS" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
hit = s.get("stopped_at_return")
print(json.dumps({
    "tool": "rewardsmith", "env": sys.argv[2], "seed": int(sys.argv[3]),
    "threshold": float(sys.argv[4]), "reached": hit is not None,
    "wall_s": hit["wall_s"] if hit else None, "step": hit["step"] if hit else None,
    "mean_return": hit["mean_return"] if hit else None, "run_s": s["wall_s"],
}))
PY
  tail -n 1 "$RESULTS"
}

for seed in "${SEEDS[@]}"; do
  ours cartpole-discrete "$seed"
  ours cartpole "$seed"
  "$PY" benches/peers/sb3_cartpole.py --seed "$seed" --threshold "$THRESHOLD" --json "$RESULTS"
  "$PY" benches/peers/sb3_cartpole.py --seed "$seed" --threshold "$THRESHOLD" --threads 1 \
    --json "$RESULTS"
done
"$PY" benches/peers/train_peer_table.py "$RESULTS" --out "$OUT/train_peer.md"
