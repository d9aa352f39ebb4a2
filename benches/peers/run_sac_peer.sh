#!/usr/bin/env bash
# SAC throughput against Stable-Baselines3, in one run on one machine: env steps per
# second including the gradient updates (one 256-sample gradient step per env step;
# 256-256 ReLU networks, twin Q, automatic entropy tuning), timed over the steps after
# `learning_starts`, on a pendulum and an ant, with one thread and with each tool's
# default threads (PyTorch: one per core; rewardsmith: rayon's one per core).
#   bash benches/peers/run_sac_peer.sh [SEEDS...]      (default: 1 2 3)
#   PEERS_VENV=/path/to/venv   the venv with SB3 (default: .venv-peers, made by setup.sh)
# SB3 runs rl-baselines3-zoo's SAC settings (sb3_sac.py) on Gymnasium Pendulum-v1 and
# Ant-v5 (MuJoCo); rewardsmith runs `train --algo sac` on its own `pendulum` and `ant`
# with the same settings written into a copy of each env's [train] table.
# Writes target/bench/sac_peer.jsonl and target/bench/sac_peer.md.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ $# -gt 0 ]]; then SEEDS=("$@"); else SEEDS=(1 2 3); fi
OUT="$REPO/target/bench"
RUNS="$OUT/sac_peer_runs"
RESULTS="$OUT/sac_peer.jsonl"
mkdir -p "$OUT"
rm -rf "$RUNS" "$RESULTS"
mkdir -p "$RUNS"
if [[ -z "${PEERS_VENV:-}" ]]; then bash "$REPO/benches/peers/setup.sh" --with-sb3; fi
PY="${PEERS_VENV:-$REPO/.venv-peers}/bin/python"
cd "$REPO"
cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-$REPO/target}/release/rewardsmith"

# env | Gymnasium id | total steps | learning_starts | learning rate
CASES=(
  "pendulum Pendulum-v1 4000 1000 0.001"
  "ant Ant-v5 12000 10000 0.0003"
)

# A copy of envs/ENV.toml whose [train] table is the zoo's SAC settings.
spec() { # env steps learning_starts lr
  local f="$RUNS/$1-sac.toml"
  awk '/^\[train\]/{skip=1; next} /^\[/{skip=0} !skip' "$REPO/envs/$1.toml" >"$f"
  cat >>"$f" <<TOML
[train]
algo = "sac"
total_steps = $2
learning_starts = $3
learning_rate = $4
batch_size = 256
hidden = [256, 256]
log_every = 500
checkpoint_every = 1000
eval_episodes = 1
TOML
  echo "$f"
}

ours() { # env steps learning_starts lr seed threads
  local dir="$RUNS/$1-s$5-j$6"
  "$BIN" train --env "$(spec "$1" "$2" "$3" "$4")" --seed "$5" --threads "$6" --video-every 0 \
    --out "$dir" 2>/dev/null
  "$PY" - "$dir/metrics.jsonl" "$1" "$5" "$6" "$3" >>"$RESULTS" <<'PY'
import json, sys
path, env, seed, threads, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
lines = [json.loads(l) for l in open(path)]
# Iterations wholly after learning_starts; each line's time is its rollout + update.
after = [m for m in lines if m["global_step"] - 500 >= start]
steps = 500 * len(after)
secs = sum(m["rollout_s"] + m["update_s"] for m in after)
print(json.dumps({"tool": "rewardsmith" if threads > 1 else "rewardsmith-1thread", "env": env,
                  "seed": seed, "threads": threads, "window_steps": steps, "window_s": secs,
                  "steps_per_s": steps / secs}))
PY
  tail -n 1 "$RESULTS"
}

for seed in "${SEEDS[@]}"; do
  for case in "${CASES[@]}"; do
    read -r env gym steps starts lr <<<"$case"
    ours "$env" "$steps" "$starts" "$lr" "$seed" 1
    ours "$env" "$steps" "$starts" "$lr" "$seed" "$(nproc)"
    "$PY" benches/peers/sb3_sac.py --env "$gym" --steps "$steps" --learning-starts "$starts" \
      --seed "$seed" --threads 1 --json "$RESULTS"
    "$PY" benches/peers/sb3_sac.py --env "$gym" --steps "$steps" --learning-starts "$starts" \
      --seed "$seed" --json "$RESULTS"
  done
done

"$PY" - "$RESULTS" >"$OUT/sac_peer.md" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def med(tool, env):
    v = [r["steps_per_s"] for r in rows if r["tool"] == tool and r["env"] == env]
    return statistics.median(v) if v else float("nan")
print("| env | threads | rewardsmith steps/s | SB3 steps/s | ratio |")
print("|---|---|---|---|---|")
for ours_env, gym in [("pendulum", "Pendulum-v1"), ("ant", "Ant-v5")]:
    for label, ours, theirs in [("1", "rewardsmith-1thread", "sb3-1thread"), ("default", "rewardsmith", "sb3")]:
        a, b = med(ours, ours_env), med(theirs, gym)
        print(f"| {ours_env} / {gym} | {label} | {a:.0f} | {b:.0f} | {a / b:.2f}x |")
PY
cat "$OUT/sac_peer.md"
