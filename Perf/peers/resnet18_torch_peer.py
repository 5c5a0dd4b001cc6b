#!/usr/bin/env python3
"""PyTorch peer for the engine benchmark's "resnet18_onnx" case: the same ONNX graph, the same weights, in torch.

Reads the model with the `onnx` package (numpy_helper for the initializers) and runs its nodes in graph order with
torch.nn.functional (Conv, BatchNormalization, Relu, Add/Sub/Mul, MaxPool, AveragePool, GlobalAveragePool, Flatten,
Reshape, Gemm, MatMul, Softmax, Constant, Identity, Dropout; anything else is an error naming the op and node). A
BatchNormalization that is the only reader of a Conv output is folded into that convolution's weights and bias
(w' = w * g / sqrt(v + eps), b' = (b - m) * g / sqrt(v + eps) + beta), as an inference stack does, so the peer is
not slowed by separate BN kernels. Checks its FP32 output against ONNX Runtime (CPU) on one image, then times eager
FP32 and FP16, channels_last, cudnn.benchmark, TF32 off, at batch 1, 64 and 256 (median of 10 after 3 warm-ups, CUDA
events, engine_peers.time_ms). Writes rows {peer, case, ms, tops} with tops = images/s and case "resnet18_onnx bN":
    python3 Perf/peers/resnet18_torch_peer.py MODEL.onnx OUT.json [--append]
"""
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

from engine_peers import time_ms, write_rows


def attributes(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def windowed(x, a, name, op, kernel, fn, fill):
    """fn(x, (ph, pw)) with ONNX pads [top, left, bottom, right]: symmetric pads go to fn; where bottom/right are
    smaller than top/left (CNTK exports pad 7x7/2 as [3, 3, 2, 2]), fn gets (top, left) and the extra last rows and
    columns are cropped to the ONNX output size; larger bottom/right pads are added with F.pad(fill) first."""
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise ValueError(f"node '{name}' ({op}): auto_pad is not handled by this peer")
    t, l, b, r = a.get("pads") or (0, 0, 0, 0)
    if b > t or r > l:
        x = F.pad(x, (0, max(r - l, 0), 0, max(b - t, 0)), value=fill)
        b, r = max(b, t), max(r, l)
    y = fn(x, (t, l))
    if (t, l) == (b, r):
        return y
    # Output size along an axis: floor or ceil((n + lead + trail - dilation·(k − 1) − 1) / stride) + 1.
    strides, dil = a.get("strides", (1, 1)), a.get("dilations", (1, 1))
    rounding = np.ceil if a.get("ceil_mode", 0) else np.floor
    h = int(rounding((x.shape[2] + t + b - dil[0] * (kernel[0] - 1) - 1) / strides[0])) + 1
    w = int(rounding((x.shape[3] + l + r - dil[1] * (kernel[1] - 1) - 1) / strides[1])) + 1
    return y[:, :, :h, :w]


class OnnxGraph(torch.nn.Module):
    """The graph's nodes as a list of (op, inputs, output, attributes); initializers as tensors."""

    def __init__(self, path):
        super().__init__()
        model = onnx.load(path)
        graph = model.graph
        self.consts = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in graph.initializer}
        known = set(self.consts)
        self.inputs = [i.name for i in graph.input if i.name not in known]
        self.outputs = [o.name for o in graph.output]
        readers = {}
        for n in graph.node:
            for i in n.input:
                readers[i] = readers.get(i, 0) + 1
        nodes = list(graph.node)
        self.steps = []
        skip = set()
        for k, n in enumerate(nodes):
            if k in skip:
                continue
            a = attributes(n)
            if n.op_type == "Constant":
                self.consts[n.output[0]] = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
                continue
            if n.op_type == "Conv" and k + 1 < len(nodes) and nodes[k + 1].op_type == "BatchNormalization" \
                    and nodes[k + 1].input[0] == n.output[0] and readers.get(n.output[0], 0) == 1 \
                    and n.output[0] not in self.outputs:
                bn = nodes[k + 1]
                w = self.consts[n.input[1]].double()
                b = self.consts[n.input[2]].double() if len(n.input) > 2 and n.input[2] else torch.zeros(w.shape[0], dtype=torch.float64)
                g, beta, m, v = (self.consts[x].double() for x in bn.input[1:5])
                eps = attributes(bn).get("epsilon", 1e-5)
                factor = g / torch.sqrt(v + eps)
                wname, bname = n.output[0] + "#w", n.output[0] + "#b"
                self.consts[wname] = (w * factor.reshape(-1, 1, 1, 1)).float()
                self.consts[bname] = ((b - m) * factor + beta).float()
                self.steps.append(("Conv", [n.input[0], wname, bname], bn.output[0], a, n.name))
                skip.add(k + 1)
                continue
            self.steps.append((n.op_type, list(n.input), n.output[0], a, n.name))

    def to_device(self, device, dtype):
        self.live = {k: (v.to(device, dtype) if v.is_floating_point() else v.to(device)) for k, v in self.consts.items()}
        return self

    def forward(self, x):
        env = dict(self.live)
        env[self.inputs[0]] = x
        for op, ins, out, a, name in self.steps:
            v = [env[i] if i else None for i in ins]
            if op == "Conv":
                y = windowed(v[0], a, name, op, v[1].shape[2:], lambda x, pad: F.conv2d(
                    x, v[1], v[2] if len(v) > 2 else None, tuple(a.get("strides", (1, 1))), pad,
                    tuple(a.get("dilations", (1, 1))), a.get("group", 1)), 0.0)
            elif op == "BatchNormalization":
                y = F.batch_norm(v[0], v[3], v[4], v[1], v[2], False, 0.0, a.get("epsilon", 1e-5))
            elif op == "Relu":
                y = F.relu(v[0])
            elif op == "Add":
                y = v[0] + v[1]
            elif op == "Sub":
                y = v[0] - v[1]
            elif op == "Mul":
                y = v[0] * v[1]
            elif op == "MaxPool":
                y = windowed(v[0], a, name, op, a["kernel_shape"], lambda x, pad: F.max_pool2d(
                    x, tuple(a["kernel_shape"]), tuple(a.get("strides", a["kernel_shape"])), pad,
                    ceil_mode=bool(a.get("ceil_mode", 0))), float("-inf"))
            elif op == "AveragePool":
                if (a.get("pads") or [0])[:2] != (a.get("pads") or [0])[2:] and a.get("pads"):
                    raise ValueError(f"node '{name}' (AveragePool): asymmetric pads {a['pads']} are not handled by this peer")
                y = windowed(v[0], a, name, op, a["kernel_shape"], lambda x, pad: F.avg_pool2d(
                    x, tuple(a["kernel_shape"]), tuple(a.get("strides", a["kernel_shape"])), pad,
                    ceil_mode=bool(a.get("ceil_mode", 0)), count_include_pad=bool(a.get("count_include_pad", 0))), 0.0)
            elif op == "GlobalAveragePool":
                y = v[0].mean(dim=(2, 3), keepdim=True)
            elif op == "Flatten":
                y = torch.flatten(v[0], a.get("axis", 1))
            elif op == "Reshape":
                shape = [int(s) for s in v[1].tolist()]
                y = v[0].reshape([v[0].shape[i] if s == 0 else s for i, s in enumerate(shape)])
            elif op == "Gemm":
                w = v[1].t() if a.get("transB", 0) else v[1]
                xa = v[0].t() if a.get("transA", 0) else v[0]
                y = a.get("alpha", 1.0) * (xa @ w) + (a.get("beta", 1.0) * v[2] if len(v) > 2 and v[2] is not None else 0)
            elif op == "MatMul":
                y = v[0] @ v[1]
            elif op == "Softmax":
                y = F.softmax(v[0], dim=a.get("axis", -1))
            elif op in ("Identity", "Dropout"):
                y = v[0]
            else:
                raise ValueError(f"node '{name}': op {op} is not handled by this peer")
            env[out] = y
        return env[self.outputs[0]]


def check_against_onnxruntime(path, net, shape):
    # One pixel-like image (0..255 minus 117, as ML.NET feeds this model); relative L2 of torch FP32 vs ONNX Runtime.
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime not installed: FP32 check skipped")
        return None
    rng = np.random.default_rng(18)
    x = (rng.uniform(0, 255, size=(1, *shape)) - 117).astype(np.float32)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    expected = session.run(None, {session.get_inputs()[0].name: x})[0]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    net.to_device(device, torch.float32)
    with torch.inference_mode():
        actual = net(torch.from_numpy(x).to(device)).float().cpu().numpy()
    rel = float(np.linalg.norm(actual.ravel() - expected.ravel()) / np.linalg.norm(expected.ravel()))
    print(f"torch FP32 (BN folded) vs ONNX Runtime, one image: relative L2 {rel:.2e}")
    return rel


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    path, out = sys.argv[1], sys.argv[2]
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    net = OnnxGraph(path)
    graph_input = next(i for i in onnx.load(path, load_external_data=False).graph.input if i.name == net.inputs[0])
    shape = tuple(d.dim_value for d in graph_input.type.tensor_type.shape.dim[1:])
    print(f"{path}: {len(net.steps)} steps after folding, input {net.inputs[0]} {shape}, output {net.outputs[0]}")
    rel = check_against_onnxruntime(path, net, shape)
    if rel is not None and rel > 1e-3:
        sys.exit(f"the torch graph disagrees with ONNX Runtime (relative L2 {rel:.2e}): not a valid peer")
    rows = []
    if not torch.cuda.is_available():
        sys.exit("no CUDA device: nothing timed")
    for dtype, label in ((torch.float32, "torch eager fp32"), (torch.float16, "torch eager fp16")):
        net.to_device("cuda", dtype)
        net.live = {k: (v.to(memory_format=torch.channels_last) if v.dim() == 4 else v) for k, v in net.live.items()}
        for batch in (1, 64, 256):
            x = (torch.rand(batch, *shape, device="cuda") * 255 - 117).to(dtype).to(memory_format=torch.channels_last)
            with torch.inference_mode():
                ms = time_ms(lambda: net(x))
            rows.append({"peer": label, "case": f"resnet18_onnx b{batch}", "ms": ms, "tops": batch / ms * 1000})
    write_rows(out, rows, "--append" in sys.argv)


if __name__ == "__main__":
    main()
