#!/usr/bin/env python3
"""Peers for the INT8 GEMM and convolution benchmarks, run on the GPU machine in the same call as `Perf gemm conv`.

GEMM: torch._int_mm (cuBLASLt int8, both operands K-contiguous: a[M,K] @ b[N,K].t()), cuBLAS FP16 and cuBLAS TF32
(FP32 operands, allow_tf32).
Conv: cuDNN FP32 strict (TF32 off), TF32 and FP16 (NHWC / channels_last) through torch.nn.functional.conv2d.
Prints a table and writes JSON:  python3 Perf/peers/gemm_conv_peers.py OUT.json [--tc | --conv (convolutions only) | --gemm (the
DP4A issue's GEMM shapes only)]
Without flags: the DP4A issue's GEMM shapes, the tensor-core issue's (for `Perf tcgemm`) and the convolutions.
"""
import json
import sys

import torch
import torch.nn.functional as F

GEMM_SHAPES = [(8192, 8192, 8192), (4096, 4096, 4096), (256, 8192, 8192), (50176, 64, 576), (3136, 256, 2304)]
TC_SHAPES = [(4096, 4096, 4096), (8192, 8192, 8192), (16384, 16384, 16384), (256, 8192, 8192), (1024, 8192, 8192)]
# (name, batch, C, K, H=W, R=S, stride, pad)
CONV_LAYERS = [
    ("r50 3x3 64@56", 32, 64, 64, 56, 3, 1, 1),
    ("r50 3x3 128@28", 32, 128, 128, 28, 3, 1, 1),
    ("r50 3x3 256@14", 32, 256, 256, 14, 3, 1, 1),
    ("r50 3x3 512@7", 32, 512, 512, 7, 3, 1, 1),
    ("r50 1x1 256->64@56", 32, 256, 64, 56, 1, 1, 0),
    ("r18 stem 7x7/2 3->64@224", 256, 3, 64, 224, 7, 2, 3),
    # ResNet-18 at batch 256 (Perf fp16conv's cases).
    ("r18 3x3 64@56 b256", 256, 64, 64, 56, 3, 1, 1),
    ("r18 3x3/2 64->128@56 b256", 256, 64, 128, 56, 3, 2, 1),
    ("r18 1x1/2 64->128@56 b256", 256, 64, 128, 56, 1, 2, 0),
    ("r18 3x3 128@28 b256", 256, 128, 128, 28, 3, 1, 1),
    ("r18 3x3 256@14 b256", 256, 256, 256, 14, 3, 1, 1),
    ("r18 3x3 512@7 b256", 256, 512, 512, 7, 3, 1, 1),
]


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


def gemm_rows(shapes):
    rows = []
    for m, n, k in shapes:
        a = torch.randint(-127, 128, (m, k), dtype=torch.int8, device="cuda")
        b = torch.randint(-127, 128, (n, k), dtype=torch.int8, device="cuda")
        ms = time_ms(lambda: torch._int_mm(a, b.t()))
        rows.append({"peer": "torch._int_mm (cuBLASLt int8 TN)", "case": f"{m}x{n}x{k}", "ms": ms, "tops": 2 * m * n * k / ms / 1e9})
        ah, bh = a.half(), b.half()
        ms = time_ms(lambda: ah @ bh.t())
        rows.append({"peer": "cuBLAS fp16", "case": f"{m}x{n}x{k}", "ms": ms, "tops": 2 * m * n * k / ms / 1e9})
        del ah, bh
        # FP32 operands with TF32 tensor cores allowed (PyTorch's allow_tf32), for `Perf fp16gemm`'s TF32 rows.
        af, bf = a.float(), b.float()
        torch.backends.cuda.matmul.allow_tf32 = True
        ms = time_ms(lambda: af @ bf.t())
        torch.backends.cuda.matmul.allow_tf32 = False
        rows.append({"peer": "cuBLAS tf32", "case": f"{m}x{n}x{k}", "ms": ms, "tops": 2 * m * n * k / ms / 1e9})
        del a, b, af, bf
    return rows


def conv_rows():
    """Each layer in three precisions, labelled: FP32 with TF32 off (strict), FP32 inputs with TF32 tensor cores
    allowed, and FP16; all NHWC (channels_last), cudnn.benchmark picking the algorithm."""
    rows = []
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    precisions = ((torch.float32, False, "cuDNN fp32 NHWC (strict, TF32 off)"), (torch.float32, True, "cuDNN tf32 NHWC"),
                  (torch.float16, False, "cuDNN fp16 NHWC"))
    for name, n, c, k, hw, r, stride, pad in CONV_LAYERS:
        p = (hw + 2 * pad - r) // stride + 1
        macs = n * k * p * p * c * r * r
        for dtype, tf32, label in precisions:
            torch.backends.cudnn.allow_tf32 = tf32
            x = torch.randn(n, c, hw, hw, device="cuda", dtype=dtype).to(memory_format=torch.channels_last)
            w = torch.randn(k, c, r, r, device="cuda", dtype=dtype).to(memory_format=torch.channels_last)
            ms = time_ms(lambda: F.conv2d(x, w, stride=stride, padding=pad))
            rows.append({"peer": label, "case": name, "ms": ms, "tops": 2 * macs / ms / 1e9})
    torch.backends.cudnn.allow_tf32 = False
    return rows


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "peers.json"
    every_shape = GEMM_SHAPES + [s for s in TC_SHAPES if s not in GEMM_SHAPES]
    gemm_only = "--gemm" in sys.argv
    rows = [] if "--conv" in sys.argv else gemm_rows(TC_SHAPES if "--tc" in sys.argv else GEMM_SHAPES if gemm_only else every_shape)
    if "--tc" not in sys.argv and not gemm_only:
        rows += conv_rows()
    print(f"{'peer':36} {'case':24} {'ms':>10} {'TOPS':>9}")
    for r in rows:
        print(f"{r['peer']:36} {r['case']:24} {r['ms']:10.4f} {r['tops']:9.1f}")
    with open(out, "w") as f:
        json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
