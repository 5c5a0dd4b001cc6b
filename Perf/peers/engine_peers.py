#!/usr/bin/env python3
"""Peers for the `engine` benchmark, run on the GPU machine in the same call as `Perf engine`.

PyTorch eager FP32 and FP16 (channels_last, cudnn.benchmark) on the same two networks the engine benchmark builds:
the small CNN (1x28x28: conv3x3 32+BN+ReLU, maxpool, conv3x3 64+BN+ReLU, maxpool, fc 128+ReLU, fc 10, softmax) and
ResNet-18 (3x224x224, torchvision layout, written out here so torchvision is not needed), batch 1, 64, 256, random
weights. Prints a table and writes JSON rows {peer, case, tops} where "tops" holds images/s:
    python3 Perf/peers/engine_peers.py OUT.json [--append]
With --append the rows are added to an existing OUT.json (e.g. the one gemm_conv_peers.py wrote), so one --peers file
serves the whole Perf run.
"""
import json
import sys

import torch
import torch.nn as nn


def small_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 49, 128), nn.ReLU(), nn.Linear(128, 10), nn.Softmax(dim=1))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.down is None else self.down(x)))


def resnet18():
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for i, w in enumerate([64, 128, 256, 512]):
        for b in range(2):
            layers.append(Block(cin, w, 2 if i > 0 and b == 0 else 1))
            cin = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000), nn.Softmax(dim=1)]
    return nn.Sequential(*layers)


def time_ms(fn, warmup=3, repeats=10):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    samples = []
    for _ in range(repeats):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        samples.append(start.elapsed_time(stop))
    samples.sort()
    return samples[len(samples) // 2]


def write_rows(out, rows, append):
    """Prints the rows as a table and writes them to OUT.json (added to its rows with append)."""
    print(f"{'peer':20} {'case':22} {'ms':>10} {'img/s':>10}")
    for r in rows:
        print(f"{r['peer']:20} {r['case']:22} {r['ms']:10.4f} {r['tops']:10.1f}")
    doc = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "rows": []}
    if append:
        try:
            with open(out) as f:
                doc = json.load(f)
        except FileNotFoundError:
            pass
    doc["rows"] += rows
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "engine_peers.json"
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    rows = []
    for name, make, shape in (("small_cnn", small_cnn, (1, 28, 28)), ("resnet18", resnet18, (3, 224, 224))):
        for dtype, label in ((torch.float32, "torch eager fp32"), (torch.float16, "torch eager fp16")):
            model = make().cuda().eval().to(dtype).to(memory_format=torch.channels_last)
            for batch in (1, 64, 256):
                x = torch.randn(batch, *shape, device="cuda", dtype=dtype).to(memory_format=torch.channels_last)
                with torch.inference_mode():
                    ms = time_ms(lambda: model(x))
                rows.append({"peer": label, "case": f"{name} b{batch}", "ms": ms, "tops": batch / ms * 1000})
    write_rows(out, rows, "--append" in sys.argv)


if __name__ == "__main__":
    main()
