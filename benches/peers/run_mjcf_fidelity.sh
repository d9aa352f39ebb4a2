#!/usr/bin/env bash
# rewardsmith's MJCF path against MuJoCo on Gymnasium's own ant.xml and humanoid.xml:
#   PEERS_VENV=/path/to/.venv-peers bash benches/peers/run_mjcf_fidelity.sh
# Prints and writes target/bench/mjcf_fidelity.md (see mjcf_fidelity.py).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${CARGO_TARGET_DIR:-$REPO/target}/bench"
mkdir -p "$OUT"
bash "$REPO/benches/peers/setup.sh"
PY="${PEERS_VENV:-$REPO/.venv-peers}/bin/python"
cd "$REPO"
cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-$REPO/target}/release/rewardsmith"
"$PY" benches/peers/mjcf_fidelity.py --rewardsmith "$BIN" --out "$OUT/mjcf_fidelity.md"
