#!/usr/bin/env bash
# Session 20's device call, written without a device (none was lent in session 20). Run from the repository root after
#   bash Perf/gpu-pack.sh Tests Perf
# with .gpu carried:  bash Perf/results/2026-12-07-s20-not-run/s20c1.sh   (deadline $DEADLINE or 560 s; one archive after each step)
# 1. GPU tests of what session 20 changed: the column-bound epilogues (every kernel family's epilogue now reads a
#    thread's per-channel parameters once), the blocked FP16 max pool, FP16 convolution tactics.
# 2. Perf conv: halo vs the selected kernels on ResNet-18's layers (before: session 19 call 1).
# 3. Peers (torch.compile FP16) and the INT8 / FP16 ResNet-18 engines (FP16 convolutions now tactic-timed).
set -u
o=/tmp/s20c1; mkdir -p $o; t0=$(date +%s); el() { echo "$1: $(( $(date +%s) - t0 )) s" >> $o/times.txt; }
D=${DEADLINE:-560}
left() { local l=$(( D - ($(date +%s) - t0) )); [ $l -lt $1 ] && echo $l || echo $1; }
pack() { tar -C /tmp -czf $OUT/s20c1.tgz s20c1; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $o/gpu.txt 2>&1
(bash .gpu/run.sh Perf --help > /dev/null 2>&1)
TD="env DOTNET_ROOT=/tmp/gpu-dotnet /tmp/gpu-dotnet/dotnet /tmp/gpu-app/Tests/ILGPUInt8.Tests.dll"
C=ILGPUInt8.Tests
ILGPUINT8_TACTICS=off timeout $(left 140) $TD -class $C.Gemm.EpilogueColumnsTests -class $C.Convolution.ConvWgmmaHaloTests \
  -class $C.Convolution.ConvMmaTests -class $C.Gemm.GemmMmaTests -class $C.Gemm.GemmWgmmaTests -class $C.Convolution.ResidualPrefetchTests \
  -class $C.Convolution.ConvFloatTests -class $C.Precision.HalfKernelTests -trait Category=Gpu -reporter verbose > $o/tests.log 2>&1; el tests
pack
PYTHONUNBUFFERED=1 timeout $(left 70) python3 Perf/peers/engine_peers.py $o/peers.json --compile --no-autotune --nets resnet18 > $o/engine-peers.log 2>&1; el peers
pack
timeout $(left 200) bash .gpu/run.sh Perf engine --cases resnet18 --precisions int8,fp16 --residual-ab --out $o/engine --repeats 5 --peers $o/peers.json > $o/engine.log 2>&1; el engine
pack
timeout $(left 60) $TD -class $C.Precision.Fp16EngineTests -class $C.Networks.TacticTimingTests -trait Category=Gpu -reporter verbose > $o/tests-engine.log 2>&1; el tests-engine
pack
timeout $(left 40) bash .gpu/run.sh Perf conv --only halo --layer r18 --repeats 5 --out $o/conv > $o/conv.log 2>&1; el conv
pack
cat $o/times.txt; grep -E "Total:|\[FAIL\]" $o/tests*.log | tail -6; grep -E "^  conv " $o/conv.log | head -20
grep -E "^  engine         resnet18|best peer|conv1|maxpool|layer1.0" $o/engine.log | head -30
