#!/usr/bin/env bash
# Create (idempotently) the Python virtualenv used by the peer benchmarks in
# this folder (gym_envs.py, compare.py) and install pinned Gymnasium + MuJoCo.
#
# Usage: benches/peers/setup.sh [--with-osmesa] [--with-sb3]
#   PEERS_VENV    venv location (default: $REPO/.venv-peers, ignored by git)
#   PEERS_PYTHON  interpreter that creates the venv (default: python3.11, else python3)
#   --with-osmesa optional: apt-get install libosmesa6 (needs root), the software
#                 OpenGL that `gym_envs.py --render` uses via MUJOCO_GL=osmesa.
#   --with-sb3    also install Stable-Baselines3 and PyTorch from PyPI (the training
#                 peer, run_train_peer.sh, and the torch CLIP peer, clip_embed_torch.py,
#                 with onnx and onnxruntime; PyPI's Linux torch wheel pulls CUDA libraries,
#                 several GB, though the benchmarks run on the CPU).
set -euo pipefail

die() { echo "setup.sh: error: $*" >&2; exit 1; }

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${PEERS_VENV:-$REPO/.venv-peers}"

# Pinned versions, checked together on Python 3.11 (gymnasium 1.4.0 ships the
# v5 MuJoCo envs; mujoco 3.x is the MuJoCo line it was tested against here).
PINS=("gymnasium[mujoco]==1.4.0" "mujoco==3.17.0" "numpy==2.3.5")
# The training peer (checked together with the pins above).
SB3_PINS=("stable-baselines3==2.9.2" "torch==2.15.0" "onnx==1.23.2" "onnxruntime==1.30.0")

WITH_OSMESA=0
WITH_SB3=0
for arg in "$@"; do
  case "$arg" in
    --with-osmesa) WITH_OSMESA=1 ;;
    --with-sb3) WITH_SB3=1 ;;
    -h|--help) sed -n '2,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument '$arg' (try --help)" ;;
  esac
done

if [[ -n "${PEERS_PYTHON:-}" ]]; then
  PY="$PEERS_PYTHON"
elif command -v python3.11 >/dev/null 2>&1; then
  PY=python3.11
else
  PY=python3
fi
command -v "$PY" >/dev/null 2>&1 || die "interpreter '$PY' not found; install Python 3.11 or set PEERS_PYTHON"
PY_VER="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
[[ "$PY_VER" == "3.11" ]] || die "'$PY' is Python $PY_VER, need 3.11 (set PEERS_PYTHON)"

if [[ -x "$VENV/bin/python" ]]; then
  echo "venv: reusing $VENV"
else
  echo "venv: creating $VENV with $PY ($PY_VER)"
  "$PY" -m venv "$VENV" || die "'$PY -m venv $VENV' failed (Debian needs the python3.11-venv package)"
fi

echo "pip: installing ${PINS[*]}"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}" \
  || die "pip install failed (is PyPI reachable?)"

"$VENV/bin/python" -c 'import gymnasium, mujoco, numpy; print(f"installed: gymnasium {gymnasium.__version__}, mujoco {mujoco.__version__}, numpy {numpy.__version__}")' \
  || die "installed packages do not import"

if [[ "$WITH_SB3" == 1 ]]; then
  echo "pip: installing ${SB3_PINS[*]}"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}" "${SB3_PINS[@]}" \
    || die "pip install of Stable-Baselines3 / torch failed (is PyPI reachable?)"
  "$VENV/bin/python" -c 'import stable_baselines3, torch; print(f"installed: stable-baselines3 {stable_baselines3.__version__}, torch {torch.__version__}")' \
    || die "Stable-Baselines3 / torch do not import"
fi

# Optional: software OpenGL for offscreen rendering (gym_envs.py --render).
if dpkg -s libosmesa6 >/dev/null 2>&1; then
  echo "osmesa: libosmesa6 present (gym_envs.py --render can use MUJOCO_GL=osmesa)"
elif [[ "$WITH_OSMESA" == 1 ]]; then
  echo "osmesa: installing libosmesa6 with apt-get"
  { apt-get update -qq && apt-get install -y -qq libosmesa6; } || die "apt-get install libosmesa6 failed"
else
  echo "osmesa: libosmesa6 absent; rerun with --with-osmesa to enable --render (optional)"
fi

echo "done: run $VENV/bin/python $REPO/benches/peers/gym_envs.py --help"
