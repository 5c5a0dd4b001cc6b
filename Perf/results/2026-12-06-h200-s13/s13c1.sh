#!/usr/bin/env bash
# Session 13 call 1: ResNet-18 peers (eager fp32 strict/tf32/fp16, compile reduce-overhead), GEMM/conv peers, the float
# conv GPU tests (first hardware run of ConvMmaFloat/ConvWgmmaFloat + FP16 engine implicit conv), Perf engine with every
# precision (FP16 implicit conv on), Perf fp16conv, Perf fp16gemm; everything in one archive.
set -u
cd "$(dirname "$0")/.."
o=/tmp/s13c1; mkdir -p $o; t0=$(date +%s); el() { echo "$1: $(( $(date +%s) - t0 )) s" >> $o/times.txt; }
pack() { tar -C /tmp -czf $OUT/s13c1.tgz s13c1; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $o/gpu.txt 2>&1
(bash .gpu/run.sh Perf --help > /dev/null 2>&1) &
PYTHONUNBUFFERED=1 timeout 75 python3 Perf/peers/engine_peers.py $o/peers.json --compile --no-autotune --nets resnet18 > $o/engine-peers.log 2>&1; el peers
PYTHONUNBUFFERED=1 timeout 60 python3 Perf/peers/gemm_conv_peers.py $o/gc-peers.json > $o/gc-peers.log 2>&1; el gcpeers
wait; pack
TD="env DOTNET_ROOT=/tmp/gpu-dotnet /tmp/gpu-dotnet/dotnet /tmp/gpu-app/Tests/ILGPUInt8.Tests.dll"
ILGPUINT8_TACTICS=off timeout 120 $TD -class ILGPUInt8.Tests.Convolution.ConvFloatTests -class ILGPUInt8.Tests.Precision.Fp16EngineTests -class ILGPUInt8.Tests.Precision.Tf32EngineTests -class ILGPUInt8.Tests.Gemm.GemmFloatTests -class ILGPUInt8.Tests.Convolution.ConvFloatSimtTests -class ILGPUInt8.Tests.Ops.ConvolutionOpTests -trait Category=Gpu -reporter verbose > $o/tests-float.log 2>&1; el tests
pack
ILGPUINT8_FP16_IMPLICIT_CONV=1 timeout 170 bash .gpu/run.sh Perf engine --cases resnet18 --precisions int8,fp16,fp32,fp32-strict --out $o --repeats 5 --peers $o/peers.json > $o/perf-engine.log 2>&1; el engine
pack
timeout 45 bash .gpu/run.sh Perf fp16conv --repeats 5 --peers $o/gc-peers.json --out $o/fp16conv > $o/fp16conv.log 2>&1; el fp16conv
timeout 45 bash .gpu/run.sh Perf fp16gemm --repeats 5 --peers $o/gc-peers.json --out $o/fp16gemm > $o/fp16gemm.log 2>&1; el fp16gemm
pack
ILGPUINT8_FP32_CONV=tiled timeout 60 bash .gpu/run.sh Perf engine --cases resnet18 --precisions fp32-strict --out $o/tiled --repeats 3 > $o/perf-engine-tiled.log 2>&1; el tiled
pack
cat $o/times.txt; grep -E "Total:|\[FAIL\]" $o/tests-float.log | tail -8; grep -E "b(1|64|256) (fp32|fp32-strict|fp16|int8) |best peer" $o/perf-engine.log | head -30; grep -E "b(1|64|256) fp32-strict " $o/perf-engine-tiled.log; tail -25 $o/fp16conv.log; tail -15 $o/fp16gemm.log
