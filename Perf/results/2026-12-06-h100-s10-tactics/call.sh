#!/usr/bin/env bash
# Session 10 call B: engine with tactic timing on vs off (torch.compile peers in the same call), GPU tests, bench I/O.
set -u
cd "$(dirname "$0")/.."
o=/tmp/o; mkdir -p $o/on $o/off
t0=$(date +%s); el() { echo "$1: $(( $(date +%s) - t0 )) s" >> $o/times.txt; }
nvidia-smi --query-gpu=name,driver_version --format=csv > $o/gpu.txt 2>&1
python3 -c "import torch; print(torch.__version__)" >> $o/gpu.txt 2>&1
PYTHONUNBUFFERED=1 timeout 200 python3 Perf/peers/engine_peers.py $o/peers.json --compile > $o/engine-peers.log 2>&1; el peers
timeout 200 bash .gpu/run.sh Perf engine --cases resnet18,resnet50 --out $o/on --repeats 7 --peers $o/peers.json > $o/on/perf.log 2>&1; el "engine tactics on"
ILGPUINT8_TACTICS=off timeout 120 bash .gpu/run.sh Perf engine --cases resnet18,resnet50 --out $o/off --repeats 7 --peers $o/peers.json > $o/off/perf.log 2>&1; el "engine tactics off"
timeout 150 bash .gpu/run.sh Tests -class ILGPUInt8.Tests.Networks.TacticTimingTests -class ILGPUInt8.Tests.Convolution.ConvMmaTests -class ILGPUInt8.Tests.Networks.EngineGpuTests -class ILGPUInt8.Tests.Networks.CudaGraphTests -trait Category=Gpu -reporter verbose > $o/gpu-tests.log 2>&1; el tests
R="bash .gpu/run.sh Cli"
timeout 90 $R bench --model synthetic:resnet18 --batch 256 --precision int8 --save-engine /tmp/r18.engine --iterations 20 --layer-info > $o/bench.log 2>&1; el "bench build"
for b in 256 64 1; do for inp in u8 float; do
  echo "=== batch $b input $inp" >> $o/bench.log
  timeout 40 $R bench --load-engine /tmp/r18.engine --batch $b --input $inp --iterations 30 >> $o/bench.log 2>&1
done; done; el bench
tar -C /tmp -czf $OUT/callB.tgz o
