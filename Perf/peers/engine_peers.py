#!/usr/bin/env python3
"""Peers for the `engine` benchmark, run on the GPU machine in the same call as `Perf engine`.

PyTorch on the same three networks the engine benchmark builds: the small CNN (1x28x28: conv3x3 32+BN+ReLU, maxpool,
conv3x3 64+BN+ReLU, maxpool, fc 128+ReLU, fc 10, softmax), ResNet-18 and ResNet-50 v1.5 (3x224x224, torchvision
layout, written out here so torchvision is not needed; ResNet-50's bottlenecks stride the 3x3), batch 1, 64, 256,
random weights, channels_last, cudnn.benchmark, TF32 off except in the tf32 rows:
  - "torch eager fp32" / "torch eager fp16": the networks as written (BatchNorm as its own kernels);
  - "torch eager fp32 bn-folded" / "torch eager fp16 bn-folded": BatchNorm folded into the convolution before it, as
    our engine does (equal work);
  - "torch eager tf32" / "torch eager tf32 bn-folded": the FP32 ResNets with allow_tf32 on (CUDA only);
  - "torch.compile fp16 reduce-overhead" (inductor + CUDA graphs; ResNet-18 and ResNet-50 at every batch, b1
    included, about 10 s of compile a shape on an H200) and "torch.compile fp16 max-autotune" (b256 only, ResNet-18;
    ResNet-50 too with --autotune-all: it compiles about 2 minutes a shape): the BN-folded FP16 channels_last model.
The compiled peers need --compile (they take minutes; --no-autotune leaves max-autotune out). Prints a table and writes JSON rows {peer, case, tops} where
"tops" holds images/s:
    python3 Perf/peers/engine_peers.py OUT.json [--append] [--compile [--autotune-all]] [--cpu] [--nets resnet18,...] [--no-autotune]
With --append the rows are added to an existing OUT.json (e.g. the one gemm_conv_peers.py wrote), so one --peers file
serves the whole Perf run. --cpu is a smoke run of the code paths on the CPU (batch 1, 64x64 ResNets, FP32 only, no
CUDA graphs); its numbers are not peers.
"""
import json
import os
import sys
import time

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


class Bottleneck(nn.Module):
    """torchvision's ResNet-50 v1.5 block: 1x1 to width, 3x3 with the stride, 1x1 to 4 x width, projection shortcut
    (1x1 with the stride + BN) where the shape changes."""

    def __init__(self, cin, width, stride):
        super().__init__()
        cout = 4 * width
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = torch.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return torch.relu(y + (x if self.down is None else self.down(x)))


def resnet(block, counts, expansion):
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for i, (w, n) in enumerate(zip([64, 128, 256, 512], counts)):
        for b in range(n):
            layers.append(block(cin, w, 2 if i > 0 and b == 0 else 1))
            cin = w * expansion
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 1000), nn.Softmax(dim=1)]
    return nn.Sequential(*layers)


def resnet18():
    return resnet(Block, [2, 2, 2, 2], 1)


def resnet50():
    return resnet(Bottleneck, [3, 4, 6, 3], 4)


def fold_bn(model):
    """Folds every BatchNorm2d that directly follows a Conv2d into it: w' = w * g / sqrt(v + eps),
    b' = (b - mean) * g / sqrt(v + eps) + beta; the BatchNorm becomes Identity."""
    @torch.no_grad()
    def fold(conv, bn):
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
        conv.weight.copy_(conv.weight * scale.reshape(-1, 1, 1, 1))
        conv.bias = nn.Parameter(((bias - bn.running_mean) * scale + bn.bias).detach())

    for module in model.modules():
        if isinstance(module, (Block, Bottleneck)):
            for i in (1, 2, 3) if isinstance(module, Bottleneck) else (1, 2):
                fold(getattr(module, f"conv{i}"), getattr(module, f"bn{i}"))
                setattr(module, f"bn{i}", nn.Identity())
        children = list(module.named_children()) if isinstance(module, nn.Sequential) else []
        for (_, a), (name_b, b) in zip(children, children[1:]):
            if isinstance(a, nn.Conv2d) and isinstance(b, nn.BatchNorm2d):
                fold(a, b)
                setattr(module, name_b, nn.Identity())
    return model


def randomize_bn(model):
    """Random BatchNorm statistics and affine parameters (so folding does real arithmetic), fixed seed."""
    g = torch.Generator().manual_seed(5)
    with torch.no_grad():
        _randomize(model, g)
    return model


def _randomize(model, g):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.rand(c, generator=g) * 0.2 - 0.1)
            m.running_var.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
            m.bias.data.copy_(torch.rand(c, generator=g) * 0.2 - 0.1)


def time_ms(fn, warmup=3, repeats=10):
    if DEVICE == "cpu":
        for _ in range(warmup):
            fn()
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000)
        samples.sort()
        return samples[len(samples) // 2]
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


class RowWriter:
    """OUT.json kept current: every row is written as soon as it is measured (added to the file's rows with append), so a
    run killed by its time limit (max-autotune compiles for minutes) still leaves every row measured before."""

    def __init__(self, out, append):
        self.out = out
        device = torch.cuda.get_device_name() if DEVICE == "cuda" else "cpu (smoke run)"
        self.doc = {"device": device, "torch": torch.__version__, "rows": []}
        if append:
            try:
                with open(out) as f:
                    self.doc = json.load(f)
            except FileNotFoundError:
                pass
        self.rows = []

    def add(self, row):
        self.rows.append(row)
        self.doc["rows"].append(row)
        # Written next to the target and renamed: a reader (or a kill) never leaves half a file.
        tmp = f"{self.out}.tmp{os.getpid()}"
        with open(tmp, "w") as f:
            json.dump(self.doc, f, indent=2)
        os.replace(tmp, self.out)

    def print_table(self):
        print(f"{'peer':36} {'case':22} {'ms':>10} {'img/s':>10}")
        for r in self.rows:
            print(f"{r['peer']:36} {r['case']:22} {r['ms']:10.4f} {r['tops']:10.1f}")


DEVICE = "cpu" if "--cpu" in sys.argv else "cuda"
ALL_NETWORKS = (("small_cnn", small_cnn, (1, 28, 28)), ("resnet18", resnet18, (3, 224, 224)), ("resnet50", resnet50, (3, 224, 224)))


def picked_networks():
    """--nets a,b: only those networks (each row of the others is skipped; the check of BN folding runs on the ResNets
    picked)."""
    if "--nets" not in sys.argv:
        return ALL_NETWORKS
    names = sys.argv[sys.argv.index("--nets") + 1].split(",")
    unknown = [n for n in names if n not in [net[0] for net in ALL_NETWORKS]]
    if unknown:
        sys.exit(f"--nets: unknown {unknown} (known: {[net[0] for net in ALL_NETWORKS]})")
    return tuple(net for net in ALL_NETWORKS if net[0] in names)


NETWORKS = picked_networks()
RESNETS = tuple(net for net in NETWORKS if net[0] != "small_cnn")


def shape_of(name, shape):
    """The input shape of a case: the ResNets at 64x64 in a --cpu smoke run."""
    return (3, 64, 64) if DEVICE == "cpu" and name != "small_cnn" else shape


def main():
    out = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else "engine_peers.json"
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    check_fold()
    writer = RowWriter(out, "--append" in sys.argv)
    batches = (1,) if DEVICE == "cpu" else (1, 64, 256)
    dtypes = ((torch.float32, "torch eager fp32"),) if DEVICE == "cpu" else ((torch.float32, "torch eager fp32"), (torch.float16, "torch eager fp16"))
    for net in NETWORKS:
        for dtype, label in dtypes:
            eager_rows((net,), dtype, label, batches, writer)
    if DEVICE == "cuda":
        tf32_rows(batches, writer)
    if "--compile" in sys.argv:
        compiled_rows(batches, "--autotune-all" in sys.argv, writer)
    writer.print_table()


def eager_rows(networks, dtype, label, batches, writer):
    """The eager rows of each network in `dtype`: as written ("<label>") and with BatchNorm folded ("<label> bn-folded"),
    channels_last, every batch; each row to the writer at once."""
    for name, make, shape in networks:
        shape = shape_of(name, shape)
        for folded in (False, True):
            torch.manual_seed(1)
            model = randomize_bn(make()).eval()
            model = fold_bn(model) if folded else model
            model = model.to(DEVICE).to(dtype).to(memory_format=torch.channels_last)
            peer = label + (" bn-folded" if folded else "")
            for batch in batches:
                x = torch.randn(batch, *shape, device=DEVICE, dtype=dtype).to(memory_format=torch.channels_last)
                with torch.inference_mode():
                    ms = time_ms(lambda: model(x))
                writer.add({"peer": peer, "case": f"{name} b{batch}", "ms": ms, "tops": batch / ms * 1000})
                print(f"{peer:36} {name} b{batch}: {batch / ms * 1000:10.1f} img/s", flush=True)


def tf32_rows(batches, writer):
    """ "torch eager tf32" / "torch eager tf32 bn-folded": the FP32 ResNets with PyTorch's allow_tf32 on (cuDNN and
    cuBLAS may use TF32 tensor cores), the peer of our FP32 engine with TF32 (the default); TF32 is switched off again
    after them."""
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    try:
        eager_rows(RESNETS, torch.float32, "torch eager tf32", batches, writer)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False


def check_fold():
    """The folded ResNet-18 and ResNet-50 compute the same function as the ones with BatchNorm (FP32, TF32 off); warns
    otherwise."""
    for name, make, shape in RESNETS:
        torch.manual_seed(1)
        plain = randomize_bn(make()).eval().to(DEVICE)
        torch.manual_seed(1)
        folded = fold_bn(randomize_bn(make()).eval()).to(DEVICE)
        assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules()), f"{name}: a BatchNorm was not folded"
        x = torch.randn(2, *shape_of(name, shape), device=DEVICE)
        with torch.inference_mode():
            a, b = plain[:-1](x), folded[:-1](x)
        err = ((a - b).norm() / a.norm()).item()
        print(f"BN folding check, {name}: relative L2 difference of the logits {err:.2e}", flush=True)
        if not err < 1e-4:
            print(f"WARNING: BN folding changed {name}'s function (relative L2 {err}): the bn-folded rows are not equal work", flush=True)


def compiled_rows(batches, autotune_all, writer):
    """torch.compile of the BN-folded FP16 channels_last ResNet-18 and ResNet-50, static shapes: first reduce-overhead
    (inductor + CUDA graphs) at every batch of both networks, b1 included (about 10 s of compile a shape), then
    max-autotune at the largest batch for ResNet-18 and, with --autotune-all, for ResNet-50 (about 2 minutes a shape),
    so the minutes of autotuning come last. Compile time is reported, not timed. Each row goes to the writer at once."""
    if not hasattr(torch, "compile"):
        print(f"torch {torch.__version__} has no torch.compile: no compiled rows", flush=True)
        return
    dtype = torch.float32 if DEVICE == "cpu" else torch.float16
    plans = [(net, "reduce-overhead", list(batches)) for net in RESNETS]
    if "--no-autotune" not in sys.argv:
        plans += [(net, "max-autotune", batches[-1:]) for net in RESNETS if net[0] == "resnet18" or autotune_all]
    for (name, make, shape), mode, mode_batches in plans:
        shape = shape_of(name, shape)
        torch.manual_seed(1)
        model = fold_bn(randomize_bn(make()).eval()).to(DEVICE).to(dtype).to(memory_format=torch.channels_last)
        torch._dynamo.reset()
        compiled = torch.compile(model, mode=mode, dynamic=False)
        for batch in mode_batches:
            x = torch.randn(batch, *shape, device=DEVICE, dtype=dtype).to(memory_format=torch.channels_last)
            start = time.time()
            with torch.inference_mode():
                compiled(x)
                if DEVICE == "cuda":
                    torch.cuda.synchronize()
                compile_s = time.time() - start
                ms = time_ms(lambda: compiled(x), warmup=5, repeats=20)
            peer = f"torch.compile fp16 {mode}"
            writer.add({"peer": peer, "case": f"{name} b{batch}", "ms": ms, "tops": batch / ms * 1000, "compile_s": compile_s})
            print(f"{peer:36} {name} b{batch}: {batch / ms * 1000:10.1f} img/s (compiled in {compile_s:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
