#!/usr/bin/env python3
"""Writes a ViT-B/32-shaped CLIP image encoder with random weights (for timing only) in
the Hugging Face ONNX layout, with the `onnx` package and numpy (no torch):

    pip install onnx numpy
    python3 benches/peers/make_clip_vit_b32.py /tmp/clip-vit-b32-random
    CLIP_BENCH_MODEL=/tmp/clip-vit-b32-random cargo bench --bench clip_embed

Vision: 224² input, 32² patches (conv), width 768, 12 layers, 12 heads, MLP 3072 with
QuickGELU, pre/post LayerNorm, class token, projection to 512 — the ViT-B/32 graph of
OpenAI CLIP (~88 M parameters, ~350 MB). Text: a stand-in (input_ids cast to float, one
MatMul to 512) so that the directory loads; the tokenizer is rewardsmith's built-in one.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

W, LAYERS, HEADS, MLP, PATCH, SIDE, DIM = 768, 12, 12, 3072, 32, 224, 512
TOK = (SIDE // PATCH) ** 2 + 1
rng = np.random.default_rng(0)
inits, nodes = [], []


def w(name, *shape, scale=0.02):
    inits.append(numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name))
    return name


def c(name, arr):
    inits.append(numpy_helper.from_array(np.asarray(arr), name))
    return name


def n(op, ins, outs, **kw):
    nodes.append(helper.make_node(op, ins, outs, **kw))
    return outs[0]


def ln(x, pre):
    c(pre + ".g", np.ones(W, np.float32))
    c(pre + ".b", np.zeros(W, np.float32))
    return n("LayerNormalization", [x, pre + ".g", pre + ".b"], [pre + ".out"], axis=-1, epsilon=1e-5)


def linear(x, pre, din, dout):
    y = n("MatMul", [x, w(pre + ".w", din, dout)], [pre + ".mm"])
    return n("Add", [y, c(pre + ".bias", np.zeros(dout, np.float32))], [pre + ".out"])


def vision():
    x = n("Conv", ["pixel_values", w("patch.w", W, 3, PATCH, PATCH)], ["patch"], kernel_shape=[PATCH, PATCH], strides=[PATCH, PATCH])
    x = n("Reshape", [x, c("s_flat", np.array([0, W, -1], np.int64))], ["patch_flat"])
    x = n("Transpose", [x], ["tokens"], perm=[0, 2, 1])  # [B,49,W]
    # class token, broadcast to the batch
    bshape = n("Shape", ["pixel_values"], ["in_shape"], start=0, end=1)
    cls_shape = n("Concat", [bshape, c("one_w", np.array([1, W], np.int64))], ["cls_shape"], axis=0)
    cls = n("Expand", [w("cls", 1, 1, W), cls_shape], ["cls_b"])
    x = n("Concat", [cls, x], ["with_cls"], axis=1)
    x = n("Add", [x, w("pos", TOK, W)], ["embedded"])
    x = ln(x, "ln_pre")
    heads_shape = c("s_heads", np.array([0, 0, 3, HEADS, W // HEADS], np.int64))
    merge_shape = c("s_merge", np.array([0, 0, W], np.int64))
    scale = c("scale", np.array(1.0 / np.sqrt(W // HEADS), np.float32))
    qg = c("quick_gelu", np.array(1.702, np.float32))
    for i in range(LAYERS):
        p = f"l{i}"
        h = ln(x, p + ".ln1")
        qkv = linear(h, p + ".qkv", W, 3 * W)
        qkv = n("Reshape", [qkv, heads_shape], [p + ".qkv5"])
        qkv = n("Transpose", [qkv], [p + ".qkvT"], perm=[2, 0, 3, 1, 4])  # [3,B,H,T,d]
        q, k, v = (n("Gather", [qkv, c(f"{p}.i{j}", np.array(j, np.int64))], [f"{p}.{nm}"], axis=0) for j, nm in enumerate("qkv"))
        kt = n("Transpose", [k], [p + ".kT"], perm=[0, 1, 3, 2])
        att = n("Mul", [n("MatMul", [q, kt], [p + ".qk"]), scale], [p + ".qk_s"])
        att = n("Softmax", [att], [p + ".att"], axis=-1)
        o = n("MatMul", [att, v], [p + ".av"])
        o = n("Transpose", [o], [p + ".avT"], perm=[0, 2, 1, 3])
        o = n("Reshape", [o, merge_shape], [p + ".merged"])
        o = linear(o, p + ".proj", W, W)
        x = n("Add", [x, o], [p + ".res1"])
        h = ln(x, p + ".ln2")
        h = linear(h, p + ".fc1", W, MLP)
        h = n("Mul", [h, n("Sigmoid", [n("Mul", [h, qg], [p + ".qg"])], [p + ".sig"])], [p + ".gelu"])
        h = linear(h, p + ".fc2", MLP, W)
        x = n("Add", [x, h], [p + ".res2"])
    x = n("Gather", [x, c("zero", np.array(0, np.int64))], ["cls_out"], axis=1)
    x = ln(x, "ln_post")
    n("MatMul", [x, w("visual_proj", W, DIM)], ["image_embeds"])
    g = helper.make_graph(
        nodes, "vit_b32_random",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch_size", 3, SIDE, SIDE])],
        [helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, ["batch_size", DIM])],
        inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def text():
    t_inits = [numpy_helper.from_array((rng.standard_normal((77, DIM)) * 0.01).astype(np.float32), "proj")]
    t_nodes = [helper.make_node("Cast", ["input_ids"], ["ids_f"], to=TensorProto.FLOAT),
               helper.make_node("MatMul", ["ids_f", "proj"], ["text_embeds"])]
    g = helper.make_graph(
        t_nodes, "text_stand_in",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", 77])],
        [helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, ["batch_size", DIM])],
        t_inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/clip-vit-b32-random"
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    for name, model in (("vision_model", vision()), ("text_model", text())):
        model.ir_version = 8  # loadable by ONNX Runtime 1.30 (IR <= 13)
        onnx.save(model, os.path.join(out, "onnx", f"{name}.onnx"))
    with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
        json.dump({"size": {"shortest_edge": SIDE}, "crop_size": {"height": SIDE, "width": SIDE},
                   "image_mean": [0.48145466, 0.4578275, 0.40821073],
                   "image_std": [0.26862954, 0.26130258, 0.27577711]}, f, indent=1)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
