#!/usr/bin/env python3
"""Peers for the tensor-core INT8 GEMM benchmark (`Perf tcgemm`), run on the GPU machine in the same device call.

torch._int_mm (cuBLASLt int8, both operands K-contiguous: a[M,K] @ b[N,K].t(), int32 out) and cuBLAS FP16
(a.half() @ b.half().t()), median of 20 CUDA-event-timed runs after warm-up. Prints a table and writes JSON
(rows of peer, case "MxNxK", ms, tops) that `Perf tcgemm --peers FILE` reads:

    python3 Perf/peers/tc_gemm_peers.py OUT.json
"""
import json
import sys

import torch

SHAPES = [(4096, 4096, 4096), (8192, 8192, 8192), (16384, 16384, 16384), (256, 8192, 8192), (1024, 8192, 8192)]


def time_ms(fn, warmup=3, repeats=20):
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


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tc_peers.json"
    rows = []
    for m, n, k in SHAPES:
        ops = 2 * m * n * k
        a = torch.randint(-127, 128, (m, k), dtype=torch.int8, device="cuda")
        b = torch.randint(-127, 128, (n, k), dtype=torch.int8, device="cuda")
        ms = time_ms(lambda: torch._int_mm(a, b.t()))
        rows.append({"peer": "torch._int_mm (cuBLASLt int8 TN)", "case": f"{m}x{n}x{k}", "ms": ms, "tops": ops / ms / 1e9})
        ah, bh = a.half(), b.half()
        del a, b
        ms = time_ms(lambda: ah @ bh.t())
        rows.append({"peer": "cuBLAS fp16", "case": f"{m}x{n}x{k}", "ms": ms, "tops": ops / ms / 1e9})
        del ah, bh
        torch.cuda.empty_cache()
    print(f"{'peer':36} {'case':24} {'ms':>10} {'TOPS':>9}")
    for r in rows:
        print(f"{r['peer']:36} {r['case']:24} {r['ms']:10.4f} {r['tops']:9.1f}")
    with open(out, "w") as f:
        json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
