#!/usr/bin/env bash
# The predictive-sampling controller's task figures (no training): each env with its
# own [mpc] program and the default planner on every core, EPISODES seeded episodes
# each (seeds 0..EPISODES-1), HUMANOID_EPISODES for the humanoid (each of its
# planning steps rolls out 10 × 33 humanoid steps: ~30× slower than real time here).
#   bash benches/mpc_targets.sh [EPISODES] [HUMANOID_EPISODES]
# Prints and writes target/bench/mpc_targets.md: success rate, realtime factor (simulated
# / wall seconds), planning steps per second, and for ant the torso's mean forward speed.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EPISODES="${1:-20}"
HUMANOID_EPISODES="${2:-3}"
OUT="$REPO/target/bench/mpc_targets"
mkdir -p "$OUT"
cd "$REPO"
cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-$REPO/target}/release/rewardsmith"
# env, episodes, seconds per episode (empty: the env's horizon), what success means
runs=(
  "reacher|$EPISODES||fingertip within 5 cm of the target at the end"
  "arm-push|$EPISODES||cube within 3 cm of the target at the end"
  "ant|$EPISODES|10|torso's forward speed x/t >= 0.5 m/s after 5 s"
  "humanoid|$HUMANOID_EPISODES|10|standing at 10 s: head above 1.3 m, torso upright"
)
for r in "${runs[@]}"; do
  IFS='|' read -r env episodes seconds _ <<< "$r"
  args=(mpc --env "$env" --episodes "$episodes" --no-video --out "$OUT/$env")
  [ -n "$seconds" ] && args+=(--seconds "$seconds")
  echo "== $BIN ${args[*]}" >&2
  "$BIN" "${args[@]}"
done
python3 - "$OUT" "${runs[@]}" <<'PYEOF'
import json, os, sys
out, runs = sys.argv[1], sys.argv[2:]
lines = ["| env | episodes | success | realtime factor | plans/s | ant: mean forward speed (m/s) | success means |",
         "|---|--:|--:|--:|--:|--:|---|"]
for r in runs:
    env, episodes, seconds, means = r.split("|")
    s = json.load(open(os.path.join(out, env, "summary.json")))
    speed = ""
    if env == "ant":
        last = {}
        for line in open(os.path.join(out, env, "rollout.jsonl")):
            row = json.loads(line)
            last[row["episode"]] = row
        v = [row["state"]["bodies"]["torso"]["pos"][0] / row["t"] for row in last.values()]
        speed = f"{sum(v) / len(v):.2f} (min {min(v):.2f})"
    n = len(s["episodes"])
    wins = sum(e["success"] for e in s["episodes"])
    lines.append(f"| {env} | {n} | {wins}/{n} ({s['success_rate']:.0%}) | {s['realtime_factor']:.2f} | "
                 f"{s['plans_per_s']:.1f} | {speed} | {means} |")
text = "\n".join(lines)
print(text)
open(os.path.join(out, "..", "mpc_targets.md"), "w").write(text + "\n")
PYEOF
