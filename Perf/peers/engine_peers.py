#!/usr/bin/env python3
"""Peers for the `engine` benchmark, run on the GPU machine in the same call as `Perf engine`.

PyTorch on the same two networks the engine benchmark builds: the small CNN (1x28x28: conv3x3 32+BN+ReLU, maxpool,
conv3x3 64+BN+ReLU, maxpool, fc 128+ReLU, fc 10, softmax) and ResNet-18 (3x224x224, torchvision layout, written out
here so torchvision is not needed), batch 1, 64, 256, random weights, channels_last, cudnn.benchmark, TF32 off:
  - "torch eager fp32" / "torch eager fp16": the networks as written (BatchNorm as its own kernels);
  - "torch eager fp32 bn-folded" / "torch eager fp16 bn-folded": BatchNorm folded into the convolution before it, as
    our engine does (equal work);
  - "torch.compile fp16 reduce-overhead" (ResNet-18 b64 and b256) and "torch.compile fp16 max-autotune" (b256 only:
    it compiles about 2 minutes a shape on an H200): the BN-folded FP16 model compiled by inductor.
The compiled peers need --compile (they take minutes). Prints a table and writes JSON rows {peer, case, tops} where
"tops" holds images/s:
    python3 Perf/peers/engine_peers.py OUT.json [--append] [--compile]
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
        if isinstance(module, Block):
            fold(module.conv1, module.bn1)
            fold(module.conv2, module.bn2)
            module.bn1, module.bn2 = nn.Identity(), nn.Identity()
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
    check_fold()
    rows = []
    batches = (1, 64, 256)
    for name, make, shape in (("small_cnn", small_cnn, (1, 28, 28)), ("resnet18", resnet18, (3, 224, 224))):
        for dtype, label in ((torch.float32, "torch eager fp32"), (torch.float16, "torch eager fp16")):
            for folded in (False, True):
                torch.manual_seed(1)
                model = randomize_bn(make()).eval()
                model = fold_bn(model) if folded else model
                model = model.cuda().to(dtype).to(memory_format=torch.channels_last)
                peer = label + (" bn-folded" if folded else "")
                for batch in batches:
                    x = torch.randn(batch, *shape, device="cuda", dtype=dtype).to(memory_format=torch.channels_last)
                    with torch.inference_mode():
                        ms = time_ms(lambda: model(x))
                    rows.append({"peer": peer, "case": f"{name} b{batch}", "ms": ms, "tops": batch / ms * 1000})
                    print(f"{peer:36} {name} b{batch}: {batch / ms * 1000:10.1f} img/s", flush=True)
    if "--compile" in sys.argv:
        rows += compiled_rows(batches)
    write_rows(out, rows, "--append" in sys.argv)


def check_fold():
    """The folded ResNet-18 computes the same function as the one with BatchNorm (FP32, TF32 off); warns otherwise."""
    torch.manual_seed(1)
    plain = randomize_bn(resnet18()).eval().cuda()
    torch.manual_seed(1)
    folded = fold_bn(randomize_bn(resnet18()).eval()).cuda()
    x = torch.randn(2, 3, 224, 224, device="cuda")
    with torch.inference_mode():
        a, b = plain[:-1](x), folded[:-1](x)
    err = ((a - b).norm() / a.norm()).item()
    print(f"BN folding check: relative L2 difference of the logits {err:.2e}", flush=True)
    if not err < 1e-4:
        print(f"WARNING: BN folding changed the function (relative L2 {err}): the bn-folded rows are not equal work", flush=True)


def compiled_rows(batches):
    """torch.compile of the BN-folded FP16 channels_last ResNet-18, static shapes: reduce-overhead (CUDA graphs) at every
    batch above 1 (about 10 s of compile each on an H200), max-autotune at the largest only (about 2 minutes). Compile
    time is reported, not timed."""
    import time
    rows = []
    torch.manual_seed(1)
    model = fold_bn(randomize_bn(resnet18()).eval()).cuda().half().to(memory_format=torch.channels_last)
    for mode, mode_batches in (("reduce-overhead", [b for b in batches if b > 1]), ("max-autotune", batches[-1:])):
        torch._dynamo.reset()
        compiled = torch.compile(model, mode=mode, dynamic=False)
        for batch in mode_batches:
            x = torch.randn(batch, 3, 224, 224, device="cuda", dtype=torch.float16).to(memory_format=torch.channels_last)
            start = time.time()
            with torch.inference_mode():
                compiled(x)
                torch.cuda.synchronize()
                compile_s = time.time() - start
                ms = time_ms(lambda: compiled(x), warmup=5, repeats=20)
            peer = f"torch.compile fp16 {mode}"
            rows.append({"peer": peer, "case": f"resnet18 b{batch}", "ms": ms, "tops": batch / ms * 1000, "compile_s": compile_s})
            print(f"{peer:36} resnet18 b{batch}: {batch / ms * 1000:10.1f} img/s (compiled in {compile_s:.0f} s)", flush=True)
    return rows


if __name__ == "__main__":
    main()
