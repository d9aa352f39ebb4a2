#!/usr/bin/env bash
# Predictive sampling, planning steps per second on one thread, rewardsmith against the
# same loop in Python on MuJoCo (mpc_peer.py, `mujoco.rollout`), in one run:
#   bash benches/peers/run_mpc_peer.sh [EPISODES]
# rewardsmith runs reacher and arm-push (`rewardsmith mpc -j 1 --no-video`), the peer
# Gymnasium's Reacher-v5 and Pusher-v5, all with N 10, H 0.5 s, sigma 0.1, 5 cubic knots.
# Prints and writes target/bench/mpc_peer.{jsonl,md}.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
EPISODES="${1:-3}"
OUT="$REPO/target/bench"
mkdir -p "$OUT"
PY="${PEERS_VENV:-$REPO/.venv-peers}/bin/python"
[ -x "$PY" ] || bash "$REPO/benches/peers/setup.sh"
cd "$REPO"
cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-$REPO/target}/release/rewardsmith"
JSONL="$OUT/mpc_peer.jsonl"
: > "$JSONL"
for env in reacher arm-push; do
  dir="$OUT/mpc_$env"
  "$BIN" mpc --env "$env" -j 1 --episodes "$EPISODES" --no-video --out "$dir" > /dev/null
  "$PY" - "$dir/summary.json" "$env" >> "$JSONL" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
for e in s["episodes"]:
    print(json.dumps({"tool": "rewardsmith", "env": sys.argv[2], "episode": e["seed"] - s["episodes"][0]["seed"],
                      "seed": e["seed"], "steps": e["steps"], "plans": e["plans"], "plan_wall_s": e["plan_wall_s"],
                      "plans_per_s": e["plans"] / e["plan_wall_s"], "success": e["success"], "threads": 1,
                      "samples": s["planner"]["samples"]}))
PYEOF
done
"$PY" benches/peers/mpc_peer.py --episodes "$EPISODES" --json "$JSONL" > /dev/null
"$PY" - "$JSONL" "$OUT/mpc_peer.md" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def agg(tool, env):
    rs = [r for r in rows if r["tool"] == tool and r["env"] == env]
    plans = sum(r["plans"] for r in rs); wall = sum(r["plan_wall_s"] for r in rs)
    return plans / wall, sum(r["success"] for r in rs), len(rs)
lines = ["| ours | plans/s | success | peer | plans/s | success | ratio |", "|---|---|---|---|---|---|---|"]
for ours, peer in [("reacher", "Reacher-v5"), ("arm-push", "Pusher-v5")]:
    a, sa, na = agg("rewardsmith", ours); b, sb, nb = agg("python-mujoco", peer)
    lines.append(f"| {ours} | {a:.1f} | {sa}/{na} | {peer} | {b:.1f} | {sb}/{nb} | {a / b:.2f}x |")
text = "\n".join(lines)
print(text)
open(sys.argv[2], "w").write(text + "\n")
PYEOF
