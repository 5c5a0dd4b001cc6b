#!/usr/bin/env bash
# Session 17 call 3 (short budget, most valuable first; one archive after each step): GPU tests of the fused classifier
# tail, the fixed half-kernel fact (now with the 8-channel pooling), the FP16 convolutions; the FP16 engine (pooling and
# convolution selection fixes), the INT8 engine (shared-memory tail), the stem fold A/B, the INT8 engine with the tail apart.
set -u
cd "$(dirname "$0")/.."
o=/tmp/s17c3; mkdir -p $o; t0=$(date +%s); el() { echo "$1: $(( $(date +%s) - t0 )) s" >> $o/times.txt; }
left() { local l=$(( 230 - ($(date +%s) - t0) )); [ $l -lt $1 ] && echo $l || echo $1; }
pack() { tar -C /tmp -czf $OUT/s17c3.tgz s17c3; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $o/gpu.txt 2>&1
TD="env DOTNET_ROOT=/tmp/gpu-dotnet /tmp/gpu-dotnet/dotnet /tmp/gpu-app/Tests/ILGPUInt8.Tests.dll"
(bash .gpu/run.sh Perf --help > /dev/null 2>&1)
ILGPUINT8_TACTICS=off timeout $(left 80) $TD -class ILGPUInt8.Tests.Precision.HalfKernelTests -class ILGPUInt8.Tests.Ops.FullyConnectedSoftMaxTests -class ILGPUInt8.Tests.Networks.ClassifierTailFusionTests -class ILGPUInt8.Tests.Precision.Fp16EngineTests -class ILGPUInt8.Tests.Convolution.ConvFloatSimtTests -trait Category=Gpu -reporter verbose > $o/tests.log 2>&1; el tests
pack
timeout $(left 60) bash .gpu/run.sh Perf engine --cases resnet18 --precisions fp16 --out $o/fp16 --repeats 5 > $o/fp16.log 2>&1; el fp16
pack
timeout $(left 60) bash .gpu/run.sh Perf engine --cases resnet18 --precisions int8 --out $o/engine --repeats 5 > $o/engine.log 2>&1; el engine
pack
timeout $(left 25) bash .gpu/run.sh Perf conv --only stem --repeats 5 --out $o/stem > $o/stem.log 2>&1; el stem
pack
ILGPUINT8_FP32_CONV=simt timeout $(left 60) bash .gpu/run.sh Perf engine --cases resnet18 --precisions fp32-strict --out $o/strict-simt --repeats 3 > $o/strict-simt.log 2>&1; el strict-simt
pack
cat $o/times.txt; grep -E "Total:|\[FAIL\]" $o/tests.log | tail -6; grep -E "fold|im2col" $o/stem.log | head -4; grep -E "^  engine         resnet18" $o/engine.log $o/fp16.log $o/strict-simt.log
