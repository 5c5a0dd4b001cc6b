#!/usr/bin/env python3
"""Train the small Fashion-MNIST CNN, export it to ONNX (FP32, opset 13) and a QDQ-quantized ONNX made
by torch's own post-training static quantization, and write the demo's test subset.

Needs Debian packages only (CPU, about a minute or two):
    apt-get install -y python3-torch python3-onnx dataset-fashion-mnist
Run from the repository root:
    /usr/bin/python3 Models/train_fashion_cnn.py

Writes:
    Models/fashion_cnn.onnx       FP32, opset 13, dynamic batch ("N"), BatchNormalization kept in the graph
    Models/fashion_cnn_qdq.onnx   QDQ, opset 13: torch.ao.quantization eager static PTQ (conv+bn+relu fused,
                                  per-channel symmetric int8 weights, per-tensor symmetric activations,
                                  calibrated on 2000 training images), exported by torch's own exporter,
                                  which turns quantized modules into QuantizeLinear/DequantizeLinear pairs
    Models/data/fashion-t10k-3000-{images,labels}.idx.gz   the first 3000 test images and labels (IDX format)
    Models/accuracy.txt           the accuracies torch measured (copied into Models/README.md by hand)

Everything is seeded; the network and the numbers are reproducible on one machine (not bit-identical
across torch builds).
"""
import gzip
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.ao.quantization as tq

DATA = "/usr/share/datasets/fashion-mnist"
HERE = os.path.dirname(os.path.abspath(__file__))
SUBSET = 3000
from add_preprocessing_metadata import add as add_preprocessing  # noqa: E402

# Fashion-MNIST pixel statistics: the model's input is (pixel / 255 - MEAN) / STD (see Models/README.md).
MEAN, STD = 0.2860, 0.3530


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def write_idx(path, array):
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    # mtime=0 keeps the gzip bytes reproducible.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(header + array.tobytes())


def to_input(images):
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return (x - MEAN) / STD


class FashionCnn(nn.Module):
    """conv3x3(16)-BN-ReLU-maxpool2, conv3x3(32)-BN-ReLU-maxpool2, FC(1568->64)-ReLU, FC(64->10), softmax."""

    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(64, 10)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.pool1(self.relu1(self.bn1(self.conv1(x))))
        x = self.pool2(self.relu2(self.bn2(self.conv2(x))))
        if x.is_quantized:
            # torch 1.13 cannot export size() of a quantized tensor; flatten exports as Flatten.
            x = torch.flatten(x, 1)
        else:
            # reshape(size(0), -1) exports as the Shape/Gather/Unsqueeze/Concat -> Reshape chain the importer folds.
            x = x.reshape(x.size(0), -1)
        x = self.relu3(self.fc1(x))
        x = self.dequant(self.fc2(x))
        return F.softmax(x, dim=1)


def accuracy(model, x, y, batch=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def export(model, path, example):
    torch.onnx.export(
        model, example, path, opset_version=13,
        input_names=["input"], output_names=["probabilities"],
        dynamic_axes={"input": {0: "N"}, "probabilities": {0: "N"}},
        # PRESERVE with the model in eval mode keeps BatchNormalization as its own node (EVAL would fold it).
        training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
    # The preprocessing travels with the model (metadata_props), so tools use it without being told.
    add_preprocessing(path, f"scale={1.0 / 255.0!r};mean={MEAN!r};std={STD!r};layout=NCHW")


def train(model, xtr, ytr):
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    epochs, batch = 3, 128
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), batch):
            idx = perm[i:i + batch]
            # The model ends in softmax (for inference); train on its log.
            out = model(xtr[idx])
            loss = F.nll_loss(torch.log(out.clamp_min(1e-12)), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch + 1}: loss {loss.item():.4f}", flush=True)


def main():
    torch.manual_seed(7)
    np.random.seed(7)
    train_x = read_idx(f"{DATA}/train-images-idx3-ubyte.gz")
    train_y = read_idx(f"{DATA}/train-labels-idx1-ubyte.gz")
    test_x = read_idx(f"{DATA}/t10k-images-idx3-ubyte.gz")
    test_y = read_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz")

    os.makedirs(f"{HERE}/data", exist_ok=True)
    write_idx(f"{HERE}/data/fashion-t10k-{SUBSET}-images.idx.gz", test_x[:SUBSET])
    write_idx(f"{HERE}/data/fashion-t10k-{SUBSET}-labels.idx.gz", test_y[:SUBSET])

    xtr, ytr = to_input(train_x), torch.from_numpy(train_y.astype(np.int64))
    xte, yte = to_input(test_x), torch.from_numpy(test_y.astype(np.int64))

    model = FashionCnn()
    # --state PATH: reuse trained weights from PATH when it exists (else train, then save them there).
    state = sys.argv[sys.argv.index("--state") + 1] if "--state" in sys.argv else None
    if state and os.path.exists(state):
        model.load_state_dict(torch.load(state))
    else:
        train(model, xtr, ytr)
        if state:
            torch.save(model.state_dict(), state)
    model.eval()
    fp32_acc = accuracy(model, xte, yte)
    fp32_sub = accuracy(model, xte[:SUBSET], yte[:SUBSET])
    print(f"FP32 test accuracy: {fp32_acc:.4f} (first {SUBSET}: {fp32_sub:.4f})", flush=True)
    export(model, f"{HERE}/fashion_cnn.onnx", xte[:1])

    # Post-training static quantization (eager mode): fuse conv+bn+relu, observe, convert.
    engines = torch.backends.quantized.supported_engines
    torch.backends.quantized.engine = "fbgemm" if "fbgemm" in engines else "qnnpack" if "qnnpack" in engines else "onednn"
    qmodel = FashionCnn()
    qmodel.load_state_dict(model.state_dict())
    qmodel.eval()
    # fc1+relu3 stay unfused: torch 1.13's exporter has no symbolic for quantized::linear_relu.
    tq.fuse_modules(qmodel, [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"]], inplace=True)
    # Symmetric activations (quint8 with zero point 128) and per-channel symmetric int8 weights: the ranges
    # map exactly onto this framework's symmetric int8.
    qmodel.qconfig = tq.QConfig(
        activation=tq.HistogramObserver.with_args(dtype=torch.quint8, qscheme=torch.per_tensor_symmetric,
                                                  reduce_range=False),
        weight=tq.PerChannelMinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_channel_symmetric))
    tq.prepare(qmodel, inplace=True)
    with torch.no_grad():
        calib = torch.randperm(len(xtr))[:2000]
        for i in range(0, len(calib), 200):
            qmodel(xtr[calib[i:i + 200]])
    tq.convert(qmodel, inplace=True)
    qdq_acc = accuracy(qmodel, xte, yte)
    qdq_sub = accuracy(qmodel, xte[:SUBSET], yte[:SUBSET])
    print(f"torch INT8 (PTQ) test accuracy: {qdq_acc:.4f} (first {SUBSET}: {qdq_sub:.4f})", flush=True)
    export(qmodel, f"{HERE}/fashion_cnn_qdq.onnx", xte[:1])

    with open(f"{HERE}/accuracy.txt", "w") as f:
        f.write(f"torch {torch.__version__}, quantized engine {torch.backends.quantized.engine}\n")
        f.write(f"fp32 10000 {fp32_acc:.4f}\nfp32 {SUBSET} {fp32_sub:.4f}\n")
        f.write(f"int8_ptq 10000 {qdq_acc:.4f}\nint8_ptq {SUBSET} {qdq_sub:.4f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
