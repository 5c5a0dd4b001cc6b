#!/usr/bin/env python3
"""Exports the CNN model zoo to ONNX for ZooTests (issue 24): torchvision's families with seeded random weights
(weights=None, torch.manual_seed: no download) and a small detection-style head, at opsets 13 and 17, at small input
sizes so the CPU tests stay fast. Writes <out>/<model>_op<opset>.onnx and <out>/MANIFEST.txt (name, opset, input shape).

Needs Debian's python3-torch, python3-torchvision and python3-onnx (.ci/run installs them). Usage:
    python3 Models/zoo/export_zoo.py [--out Models/zoo/out] [--only name,name] [--opsets 13,17]
"""
import argparse
import os
import sys
import tempfile

import torch
import torch.nn as nn
import torchvision.models as tvm


class DetectionHead(nn.Module):
    """A small FPN-style head: two stride levels, the coarse one upsampled (nearest and bilinear) and concatenated."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.down = nn.Sequential(nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU())
        self.lateral = nn.Conv2d(32, 16, 1)
        self.up_nearest = nn.Upsample(scale_factor=2, mode="nearest")
        self.up_linear = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.head = nn.Conv2d(48, 8, 3, padding=1)

    def forward(self, x):
        s = self.stem(x)
        d = self.lateral(self.down(s))
        y = torch.cat([s, self.up_nearest(d), self.up_linear(d)], dim=1)
        return self.head(y)


def vgg11_small():
    """torchvision's vgg11 for a 32x32 input, exactly: its features end in a 1x1 map there, so AdaptiveAvgPool2d(7)
    replicates each channel over 7x7 and the first classifier layer sees 49 copies of every value; summing its weights
    over those 49 positions gives the same function with a 512-wide input (torch cannot export a 1 -> 7 adaptive
    pooling, and the 25088 x 4096 matrix would be 400 MB)."""
    model = tvm.vgg11(weights=None)
    first = model.classifier[0]
    folded = nn.Linear(512, first.out_features)
    with torch.no_grad():
        folded.weight.copy_(first.weight.view(first.out_features, 512, 49).sum(dim=2))
        folded.bias.copy_(first.bias)
    model.avgpool = nn.Identity()
    model.classifier[0] = folded
    return model


# name -> (constructor, input H = W). Sizes: the smallest each architecture takes without a zero-sized feature map.
MODELS = {
    "resnet50": (lambda: tvm.resnet50(weights=None), 64),
    "mobilenet_v2": (lambda: tvm.mobilenet_v2(weights=None), 64),
    "mobilenet_v3_small": (lambda: tvm.mobilenet_v3_small(weights=None), 64),
    "squeezenet1_1": (lambda: tvm.squeezenet1_1(weights=None), 64),
    "googlenet": (lambda: tvm.googlenet(weights=None, aux_logits=False, init_weights=True), 64),
    "densenet121": (lambda: tvm.densenet121(weights=None), 64),
    "shufflenet_v2_x1_0": (lambda: tvm.shufflenet_v2_x1_0(weights=None), 64),
    "efficientnet_b0": (lambda: tvm.efficientnet_b0(weights=None), 64),
    "vgg11": (vgg11_small, 32),
    "detection_head": (DetectionHead, 64),
}


def randomize_batchnorm(model, generator):
    """Random running statistics and affine parameters, so batch norm is not the identity (seeded)."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(c, generator=generator) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(c, generator=generator) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(c, generator=generator) * 0.1)


def export(name, opset, out_dir):
    ctor, size = MODELS[name]
    torch.manual_seed(24)
    model = ctor().eval()
    randomize_batchnorm(model, torch.Generator().manual_seed(24))
    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(7))
    path = os.path.join(out_dir, f"{name}_op{opset}.onnx")
    # Written next to the target and renamed: a reader never sees half a file.
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=out_dir)
    os.close(fd)
    with torch.no_grad():
        torch.onnx.export(model, x, tmp, opset_version=opset, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "N"}, "output": {0: "N"}}, do_constant_folding=True)
    os.replace(tmp, path)
    return path, size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    parser.add_argument("--only", default="")
    parser.add_argument("--opsets", default="13,17")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    names = [n for n in args.only.split(",") if n] or list(MODELS)
    lines = []
    for name in names:
        for opset in (int(o) for o in args.opsets.split(",")):
            path, size = export(name, opset, args.out)
            lines.append(f"{name} {opset} 1,3,{size},{size} {os.path.basename(path)}")
            print(f"exported {path}", file=sys.stderr)
    manifest = os.path.join(args.out, "MANIFEST.txt")
    if os.path.exists(manifest):  # keep the lines of models not exported this time (--only)
        done = {tuple(line.split()[:2]) for line in lines}
        with open(manifest) as f:
            lines = [line.strip() for line in f if line.strip() and tuple(line.split()[:2]) not in done] + lines
    fd, tmp = tempfile.mkstemp(dir=args.out)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, manifest)


if __name__ == "__main__":
    main()
