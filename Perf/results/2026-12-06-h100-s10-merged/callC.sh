#!/usr/bin/env bash
# Session 10 call C (merged main): every Category=Gpu test (tactic timing off for the general suite; TacticTimingTests
# forces it on), then ResNet-18 FP16/INT8 bench rows.
set -u
cd "$(dirname "$0")/.."
o=/tmp/o; mkdir -p $o
t0=$(date +%s); el() { echo "$1: $(( $(date +%s) - t0 )) s" >> $o/times.txt; }
nvidia-smi --query-gpu=name,driver_version --format=csv > $o/gpu.txt 2>&1
bash .gpu/run.sh Perf --help > /dev/null 2>&1
D=/tmp/gpu-dotnet/dotnet
ILGPUINT8_TACTICS=off timeout 330 $D /tmp/gpu-app/Tests/ILGPUInt8.Tests.dll -trait Category=Gpu -reporter verbose > $o/gpu-tests.log 2>&1; echo "rc=$?" >> $o/times.txt; el tests
for a in "fp16 float" "int8 u8" "int8 float"; do set -- $a
  echo "=== $1 $2" >> $o/bench.log
  timeout 75 bash .gpu/run.sh Cli bench --model synthetic:resnet18 --batch 256 --precision $1 --input $2 --iterations 10 --timing-cache $o/timing.json >> $o/bench.log 2>&1
  el "bench $1 $2"
done
tar -C /tmp -czf $OUT/callC.tgz o
