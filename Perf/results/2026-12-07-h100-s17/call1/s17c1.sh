#!/usr/bin/env bash
# Session 17 call 1 (one H100/H200 call, deadline 560 s): peers of the same call (ResNet-18 eager + torch.compile
# reduce-overhead, cuBLAS/cuDNN GEMM and conv), the GPU tests of sessions 13-15's untested work, Perf fp16conv / conv
# persistent+TMA / fp16gemm, Perf engine ResNet-18 every precision, then the FP16 stem A/B; one archive after each step.
set -u
cd "$(dirname "$0")/.."
o=/tmp/s17c1; mkdir -p $o; t0=$(date +%s); el() { echo "$1: $(( $(date +%s) - t0 )) s" >> $o/times.txt; }
left() { local l=$(( 560 - ($(date +%s) - t0) )); [ $l -lt $1 ] && echo $l || echo $1; }
pack() { tar -C /tmp -czf $OUT/s17c1.tgz s17c1; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $o/gpu.txt 2>&1
(bash .gpu/run.sh Perf --help > /dev/null 2>&1) &
PYTHONUNBUFFERED=1 timeout 80 python3 Perf/peers/engine_peers.py $o/peers.json --compile --no-autotune --nets resnet18 > $o/engine-peers.log 2>&1; el peers
PYTHONUNBUFFERED=1 timeout 60 python3 Perf/peers/gemm_conv_peers.py $o/gc-peers.json > $o/gc-peers.log 2>&1; el gcpeers
wait; pack
TD="env DOTNET_ROOT=/tmp/gpu-dotnet /tmp/gpu-dotnet/dotnet /tmp/gpu-app/Tests/ILGPUInt8.Tests.dll"
ILGPUINT8_TACTICS=off timeout $(left 130) $TD -class ILGPUInt8.Tests.Precision.HalfKernelTests -class ILGPUInt8.Tests.Precision.Fp16EngineTests -class ILGPUInt8.Tests.Precision.Tf32EngineTests -class ILGPUInt8.Tests.Precision.BestTimingTests -class ILGPUInt8.Tests.Convolution.ConvFloatTests -class ILGPUInt8.Tests.Convolution.ConvWgmmaTmaTests -class ILGPUInt8.Tests.Ops.FullyConnectedSoftMaxTests -trait Category=Gpu -reporter verbose > $o/tests-precision.log 2>&1; el tests-precision
pack
timeout $(left 90) $TD -class ILGPUInt8.Tests.Networks.EngineGpuTests -class ILGPUInt8.Tests.Networks.CudaGraphTests -class ILGPUInt8.Tests.Networks.ClassifierTailFusionTests -trait Category=Gpu -reporter verbose > $o/tests-engine.log 2>&1; el tests-engine
pack
timeout $(left 30) bash .gpu/run.sh Perf fp16conv --input fp16 --repeats 5 --peers $o/gc-peers.json --out $o/fp16conv > $o/fp16conv.log 2>&1; el fp16conv
timeout $(left 30) bash .gpu/run.sh Perf conv --only persistent --repeats 5 --peers $o/gc-peers.json --out $o/conv > $o/conv.log 2>&1; el conv
timeout $(left 25) bash .gpu/run.sh Perf fp16gemm --repeats 5 --peers $o/gc-peers.json --out $o/fp16gemm > $o/fp16gemm.log 2>&1; el fp16gemm
pack
timeout $(left 220) bash .gpu/run.sh Perf engine --cases resnet18 --precisions int8,fp16,best,fp32,fp32-strict --residual-ab yes --out $o/engine --repeats 5 --peers $o/peers.json > $o/perf-engine.log 2>&1; el engine
pack
ILGPUINT8_FP16_STEM=im2col ILGPUINT8_TACTICS=off timeout $(left 60) bash .gpu/run.sh Perf engine --cases resnet18 --precisions fp16 --out $o/engine-im2col --repeats 3 > $o/perf-engine-im2col.log 2>&1; el im2col
pack
ILGPUINT8_FC_SOFTMAX=off timeout $(left 45) bash .gpu/run.sh Perf engine --cases resnet18 --precisions int8 --out $o/engine-fcoff --repeats 3 > $o/perf-engine-fcoff.log 2>&1; el fcoff
pack
cat $o/times.txt; grep -E "Total:|\[FAIL\]" $o/tests-*.log | tail -12; grep -E "b(1|64|256) (fp32|fp32-strict|fp16|int8|best) |best peer" $o/perf-engine.log | head -40; grep -E "b(1|64|256) fp16 " $o/perf-engine-im2col.log; grep -E "b(1|64|256) int8 " $o/perf-engine-fcoff.log
