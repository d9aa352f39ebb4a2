#!/usr/bin/env python3
"""Peer of `cargo bench --bench clip_embed`: the same image encoder through ONNX
Runtime's Python API (model time only, inputs already preprocessed), batch 1, 16, 64.

    python3 benches/peers/clip_embed_ort.py /tmp/clip-vit-b32-random [seconds] [threads]
"""
import sys
import time

import numpy as np
import onnxruntime as ort

model = sys.argv[1]
secs = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 0
opts = ort.SessionOptions()
if threads:
    opts.intra_op_num_threads = threads
s = ort.InferenceSession(f"{model}/onnx/vision_model.onnx", opts, providers=["CPUExecutionProvider"])
print(f"onnxruntime {ort.__version__} (Python), threads {threads or 'default'}")
for b in (1, 16, 64):
    x = np.random.default_rng(0).standard_normal((b, 3, 224, 224)).astype(np.float32)
    s.run(None, {"pixel_values": x})
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < secs or n == 0:
        s.run(None, {"pixel_values": x})
        n += b
    t = time.perf_counter() - t0
    print(f"batch {b:>3}: {n / t:8.2f} images/s ({n} images in {t:.1f} s)")
