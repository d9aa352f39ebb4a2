#!/usr/bin/env bash
# CLIP image-encoder throughput by precision against PyTorch, in one run on one machine
# (issue #26): the ViT-B/32-shaped random model of make_clip_vit_b32.py, its int8 variant
# (quantize_clip.py, ONNX Runtime's dynamic quantization), rewardsmith's clip_embed bench
# at fp32 and int8, and the torch peer on the same fp32 weights, all with THREADS threads.
#
#   bash benches/peers/run_clip_precision.sh [MODEL_DIR] [SECONDS] [THREADS]
#
# Needs the peer venv with torch (benches/peers/setup.sh --with-sb3). Prints a table with
# images/s at batch 1, 16, 64 and the ratios to torch, and writes it to
# target/bench/clip_precision.md.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MODEL="${1:-/tmp/clip-vit-b32-random}"
SECS="${2:-10}"
THREADS="${3:-2}"
PY="${PEERS_VENV:-$REPO/.venv-peers}/bin/python"
OUT="$REPO/target/bench"
mkdir -p "$OUT"
"$PY" -c "import torch, onnx, onnxruntime" 2>/dev/null \
  || { echo "run_clip_precision.sh: the peer venv lacks torch/onnx/onnxruntime; run benches/peers/setup.sh --with-sb3" >&2; exit 1; }
cd "$REPO"
# rewardsmith loads the peer venv's ONNX Runtime unless ORT_DYLIB_PATH says otherwise
export ORT_DYLIB_PATH="${ORT_DYLIB_PATH:-$("$PY" -c 'import onnxruntime, os; print(os.path.join(os.path.dirname(onnxruntime.__file__), "capi"))')}"
[[ -f "$MODEL/onnx/vision_model.onnx" ]] || "$PY" benches/peers/make_clip_vit_b32.py "$MODEL"
[[ -f "$MODEL/onnx/vision_model_quantized.onnx" ]] || "$PY" benches/peers/quantize_clip.py "$MODEL"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for p in fp32 int8; do
  CLIP_BENCH_MODEL="$MODEL" CLIP_BENCH_PRECISION="$p" CLIP_BENCH_THREADS="$THREADS" \
    CLIP_BENCH_SECONDS="$SECS" cargo bench --bench clip_embed 2>/dev/null | tee "$tmp/$p.txt"
done
"$PY" benches/peers/clip_embed_torch.py "$MODEL" "$SECS" "$THREADS" | tee "$tmp/torch.txt"
"$PY" - "$tmp" "$THREADS" "$(git rev-parse --short HEAD)" > "$OUT/clip_precision.md" <<'PY'
import re, sys, datetime
tmp, threads, commit = sys.argv[1:4]
def rates(name, prefix):
    text = open(f"{tmp}/{name}.txt").read()
    return {int(b): float(r) for b, r in re.findall(r"^" + prefix + r"batch\s+(\d+):\s+([\d.]+) images/s", text, re.M)}
torch = rates("torch", "")
print(f"CLIP ViT-B/32 image encoder (random weights), {threads} threads each, {datetime.date.today()}, commit {commit}")
print("images/s; torch times the model on preprocessed input, so do the 'model only' rows;")
print("the 'from frames' rows add rewardsmith's preprocessing of 320x240 frames\n")
print("| batch | torch fp32 | ours fp32 | ours int8 | fp32 / torch | int8 / torch |")
print("|--:|--:|--:|--:|--:|--:|")
for label, prefix in (("model only", "model only, "), ("from frames", "")):
    o32, o8 = rates("fp32", prefix), rates("int8", prefix)
    for b in sorted(torch):
        print(f"| {b} ({label}) | {torch[b]:.1f} | {o32[b]:.1f} | {o8[b]:.1f} | {o32[b] / torch[b]:.2f}× | {o8[b] / torch[b]:.2f}× |")
PY
cat "$OUT/clip_precision.md"
