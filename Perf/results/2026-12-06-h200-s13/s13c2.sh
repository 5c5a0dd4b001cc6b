#!/usr/bin/env bash
# Session 13 call 2: ResNet-18 peers, the float GPU tests (ConvFloatSimt bound fixed, FP16/TF32 engines with implicit
# conv by default), Perf engine every precision incl. best, strict FP32 A/B (register-blocked vs tiled); one archive.
set -u
cd "$(dirname "$0")/.."
o=/tmp/s13c2; mkdir -p $o; t0=$(date +%s); el() { echo "$1: $(( $(date +%s) - t0 )) s" >> $o/times.txt; }
pack() { tar -C /tmp -czf $OUT/s13c2.tgz s13c2; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $o/gpu.txt 2>&1
(bash .gpu/run.sh Perf --help > /dev/null 2>&1) &
PYTHONUNBUFFERED=1 timeout 75 python3 Perf/peers/engine_peers.py $o/peers.json --compile --no-autotune --nets resnet18 > $o/engine-peers.log 2>&1; el peers
wait; pack
TD="env DOTNET_ROOT=/tmp/gpu-dotnet /tmp/gpu-dotnet/dotnet /tmp/gpu-app/Tests/ILGPUInt8.Tests.dll"
ILGPUINT8_TACTICS=off timeout 60 $TD -class ILGPUInt8.Tests.Convolution.ConvFloatSimtTests -class ILGPUInt8.Tests.Precision.Fp16EngineTests -class ILGPUInt8.Tests.Precision.Tf32EngineTests -trait Category=Gpu -reporter verbose > $o/tests-float.log 2>&1; el tests
pack
timeout 250 bash .gpu/run.sh Perf engine --cases resnet18 --precisions int8,fp16,fp32,fp32-strict,best --out $o --repeats 5 --peers $o/peers.json > $o/perf-engine.log 2>&1; el engine
pack
ILGPUINT8_FP32_CONV=tiled timeout 60 bash .gpu/run.sh Perf engine --cases resnet18 --precisions fp32-strict --out $o/tiled --repeats 3 > $o/perf-engine-tiled.log 2>&1; el tiled
pack
cat $o/times.txt; grep -E "Total:|\[FAIL\]" $o/tests-float.log | tail -8; grep -E "b(1|64|256) (fp32|fp32-strict|fp16|int8|best) |best peer" $o/perf-engine.log | head -40; grep -E "b(1|64|256) fp32-strict " $o/perf-engine-tiled.log; tail -5 $o/perf-engine.log
