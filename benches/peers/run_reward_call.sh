#!/usr/bin/env bash
# Reward-call cost: rewardsmith's Luau expert rewards against the same rewards in
# Python + numpy (Text2Reward style), on the same States, in one run:
#   bash benches/peers/run_reward_call.sh
# Writes target/bench/reward_call.md.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$REPO/target/bench"
mkdir -p "$OUT/rollouts"
bash "$REPO/benches/peers/setup.sh"
PY="${PEERS_VENV:-$REPO/.venv-peers}/bin/python"
cd "$REPO"
cargo build --release
for env in reacher ant humanoid arm-push; do
  ./target/release/rewardsmith rollout --env "$env" --steps 2000 --seed 0 --out "$OUT/rollouts/$env.jsonl"
done
cargo bench --bench reward_share -- --steps 2000 --json "$OUT/reward_ours.jsonl" reacher ant humanoid arm-push
"$PY" benches/peers/reward_call.py --rollouts "$OUT/rollouts" --ours "$OUT/reward_ours.jsonl" --out "$OUT/reward_call.md"
