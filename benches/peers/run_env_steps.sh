#!/usr/bin/env bash
# Env throughput against Gymnasium + MuJoCo, in one run on one machine:
#   bash benches/peers/run_env_steps.sh [SECONDS]
# Prints and writes target/bench/env_steps.md (ours vs peers, with ratios).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECONDS_PER_ENV="${1:-3}"
OUT="$REPO/target/bench"
mkdir -p "$OUT"
bash "$REPO/benches/peers/setup.sh"
PY="${PEERS_VENV:-$REPO/.venv-peers}/bin/python"
cd "$REPO"
cargo bench --bench env_steps -- --seconds "$SECONDS_PER_ENV" --json "$OUT/ours.jsonl"
"$PY" benches/peers/gym_envs.py --seconds "$SECONDS_PER_ENV" --repeats 3 --json "$OUT/peers.jsonl"
"$PY" benches/peers/compare.py --ours "$OUT/ours.jsonl" --peers "$OUT/peers.jsonl" --out "$OUT/env_steps.md"
