#!/usr/bin/env python3
"""Torch peer of `cargo bench --bench clip_embed`: the ViT-B/32 image encoder written by
make_clip_vit_b32.py, rebuilt in PyTorch as open_clip's VisionTransformer computes it
(patch conv, class token, positional embedding, ln_pre, 12 pre-LN residual blocks with
QuickGELU MLPs, ln_post on the class token, projection) with the SAME weights, read from
the ONNX file's initializers. Checks that torch and ONNX Runtime agree on one batch, then
times model inference only (inputs already preprocessed) at batch 1, 16, 64.

    benches/peers/setup.sh      # venv .venv-peers with torch, onnx, numpy
    .venv-peers/bin/python benches/peers/clip_embed_torch.py /tmp/clip-vit-b32-random [seconds] [threads]
"""
import sys
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper

W, LAYERS, HEADS = 768, 12, 12


def load(model_dir):
    m = onnx.load(f"{model_dir}/onnx/vision_model.onnx")
    return {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in m.graph.initializer}


def encode(p, x):
    """image_embeds for pixel_values x [B,3,224,224] (the ONNX graph's computation)."""
    b = x.shape[0]
    t = torch.nn.functional.conv2d(x, p["patch.w"], stride=32).flatten(2).transpose(1, 2)
    t = torch.cat([p["cls"].expand(b, 1, W), t], dim=1) + p["pos"]
    ln = lambda h, pre: torch.nn.functional.layer_norm(h, (W,), p[pre + ".g"], p[pre + ".b"], 1e-5)
    lin = lambda h, pre: h @ p[pre + ".w"] + p[pre + ".bias"]
    t = ln(t, "ln_pre")
    for i in range(LAYERS):
        q = f"l{i}"
        qkv = lin(ln(t, q + ".ln1"), q + ".qkv").reshape(b, -1, 3, HEADS, W // HEADS).permute(2, 0, 3, 1, 4)
        a = torch.nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        t = t + lin(a.transpose(1, 2).reshape(b, -1, W), q + ".proj")
        h = lin(ln(t, q + ".ln2"), q + ".fc1")
        t = t + lin(h * torch.sigmoid(1.702 * h), q + ".fc2")  # QuickGELU
    return ln(t[:, 0], "ln_post") @ p["visual_proj"]


def main():
    model = sys.argv[1]
    secs = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    if threads:
        torch.set_num_threads(threads)
    p = load(model)
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((2, 3, 224, 224)).astype(np.float32))
    with torch.inference_mode():
        ours = encode(p, x).numpy()
    try:
        import onnxruntime as ort

        s = ort.InferenceSession(f"{model}/onnx/vision_model.onnx", providers=["CPUExecutionProvider"])
        ref = s.run(None, {"pixel_values": x.numpy()})[0]
        err = float(np.abs(ours - ref).max() / np.abs(ref).max())
        print(f"torch vs ONNX Runtime on the same weights: max relative difference {err:.2e}")
        assert err < 1e-3, "the torch rebuild does not compute the ONNX graph"
    except ImportError:
        print("(onnxruntime not installed: outputs not cross-checked)")
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    for b in (1, 16, 64):
        x = torch.from_numpy(np.random.default_rng(0).standard_normal((b, 3, 224, 224)).astype(np.float32))
        with torch.inference_mode():
            encode(p, x)
            n, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < secs or n == 0:
                encode(p, x)
                n += b
        t = time.perf_counter() - t0
        print(f"batch {b:>3}: {n / t:8.2f} images/s ({n} images in {t:.1f} s)")


if __name__ == "__main__":
    main()
