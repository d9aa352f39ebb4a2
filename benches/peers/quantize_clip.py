#!/usr/bin/env python3
"""Writes the int8 variant of a CLIP export's image encoder, as Transformers.js-style
exports ship it: onnx/vision_model_quantized.onnx beside onnx/vision_model.onnx, made by
ONNX Runtime's dynamic quantization (int8 weights per tensor, activations quantized at run
time; the MatMuls run as integer GEMMs).

    pip install onnx onnxruntime
    python3 benches/peers/quantize_clip.py /tmp/clip-vit-b32-random

Then `CLIP_BENCH_PRECISION=int8 cargo bench --bench clip_embed`, or `--clip-precision
int8` on train/view (check agreement first: `rewardsmith models check DIR --frames F`).
"""
import os
import sys

from onnxruntime.quantization import QuantType, quantize_dynamic


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    onnx_dir = os.path.join(sys.argv[1], "onnx")
    src = os.path.join(onnx_dir, "vision_model.onnx")
    dst = os.path.join(onnx_dir, "vision_model_quantized.onnx")
    if not os.path.isfile(src):
        sys.exit(f"quantize_clip.py: {src}: missing (not a Hugging Face ONNX export of CLIP?)")
    quantize_dynamic(src, dst, weight_type=QuantType.QInt8)
    mb = lambda p: os.path.getsize(p) / 1e6
    print(f"wrote {dst} ({mb(dst):.0f} MB; fp32 {mb(src):.0f} MB)")


if __name__ == "__main__":
    main()
