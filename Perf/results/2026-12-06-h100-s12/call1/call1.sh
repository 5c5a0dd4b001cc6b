#!/usr/bin/env bash
# Session 12 call 1 (priority order, under 600 s): ResNet-18 torch peers (eager fp32/fp16/tf32, torch.compile) while
# the new conv kernels' GPU tests run after them, then Perf engine ResNet-18 fp32 (TF32) / fp16 / int8 against them.
set -u
cd "$(dirname "$0")/.."
o=$OUT; t0=$(date +%s); el() { echo "$1: $(( $(date +%s) - t0 )) s" >> $o/times.txt; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $o/gpu.txt 2>&1
(bash .gpu/run.sh Perf --help > /dev/null 2>&1) &
PYTHONUNBUFFERED=1 timeout 230 python3 Perf/peers/engine_peers.py $o/peers.json --compile --nets resnet18 > $o/engine-peers.log 2>&1; el peers
wait
TD="env DOTNET_ROOT=/tmp/gpu-dotnet /tmp/gpu-dotnet/dotnet /tmp/gpu-app/Tests/ILGPUInt8.Tests.dll"
ILGPUINT8_TACTICS=off timeout 140 $TD -class ILGPUInt8.Tests.Convolution.ConvWgmmaPersistentTests -class ILGPUInt8.Tests.Convolution.ConvMmaPersistentTests -class ILGPUInt8.Tests.Convolution.ResidualPrefetchTests -class ILGPUInt8.Tests.Ops.ElementWiseOpTests -trait Category=Gpu -reporter verbose > $o/tests-new.log 2>&1; el "new kernel tests"
timeout 200 bash .gpu/run.sh Perf engine --cases resnet18 --out $o --repeats 7 --peers $o/peers.json > $o/perf-r18.log 2>&1; el "engine r18"
cat $o/times.txt; grep -E "Total:|\[FAIL\]" $o/tests-new.log | tail -8; grep -E "b(1|64|256) (fp32|fp16|int8)|best peer" $o/perf-r18.log | head -40; tail -12 $o/engine-peers.log
