#!/usr/bin/env bash
set -u
cd "$(dirname "$0")/.."
bash .gpu/run.sh Perf --help > /dev/null 2>&1
timeout 200 /tmp/gpu-dotnet/dotnet /tmp/gpu-app/Tests/ILGPUInt8.Tests.dll -class ILGPUInt8.Tests.Convolution.ConvolutionTests -class ILGPUInt8.Tests.Convolution.ConvMmaTests -trait Category=Gpu -reporter verbose > $OUT/gpu-tests-conv.log 2>&1; echo "rc=$?"
grep -E "Total:|\[FAIL\]" $OUT/gpu-tests-conv.log
