#!/usr/bin/env bash
# Success benchmark: PPO and SAC on every built-in env with its expert reward at the
# step budgets in benches/train_success.toml, through `rewardsmith batch` (finished runs
# are skipped, killed ones resumed, so the script can be rerun to continue):
#   bash benches/train_success.sh [JOBS]     (default 1 job; each job uses every core)
# Prints results.md (success rate and return of the final deterministic evaluation) and
# two extras: ant's forward speed (mean torso x-velocity per step, the `forward` reward
# component, over the last training rollout) and humanoid's standing time (mean length
# of the evaluation episodes × 0.015 s; an episode ends when the torso leaves 1-2 m).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${1:-1}"
cd "$REPO"
cargo build --release --quiet
OUT=target/bench/train_success
target/release/rewardsmith batch benches/train_success.toml --jobs "$JOBS"
cat "$OUT/results.md"
python3 - "$OUT" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
for run in sorted(out.iterdir()):
    summary, metrics = run / "summary.json", run / "metrics.jsonl"
    if not summary.exists() or not metrics.exists():
        continue
    s = json.loads(summary.read_text())
    last = json.loads(metrics.read_text().splitlines()[-1])
    if run.name.startswith("ant-"):
        v = last["components"].get("forward")
        print(f"{run.name}: forward speed {v:.3f} m/s (last training rollout), "
              f"eval return {s['eval']['mean_return']:.1f}, eval length {s['eval']['mean_length']:.0f} steps")
    if run.name.startswith("humanoid-"):
        print(f"{run.name}: standing time {s['eval']['mean_length'] * 0.015:.2f} s of 15 s "
              f"(eval length {s['eval']['mean_length']:.0f} steps), success {s['eval']['success_rate']:.2f}")
PY
