#!/usr/bin/env bash
# Session 19 call 1 (deadline 540 s; one archive after each step): GPU tests of the division-free halo kernel (INT8, FP16)
# and the per-pixel stem fold; Perf conv halo vs selected on the ResNet-18 layers (+ ablation); the fold alone; ptxas on
# the wgmma kernels; peers + INT8/FP16 engines; Nsight Compute on r18 3x3 64@56 if time is left.
set -u
cd "$(dirname "$0")/.."
o=/tmp/s19c1; mkdir -p $o; t0=$(date +%s); el() { echo "$1: $(( $(date +%s) - t0 )) s" >> $o/times.txt; }
left() { local l=$(( 540 - ($(date +%s) - t0) )); [ $l -lt $1 ] && echo $l || echo $1; }
pack() { tar -C /tmp -czf $OUT/s19c1.tgz s19c1; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $o/gpu.txt 2>&1
NCU=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1); echo "ncu: $NCU" >> $o/times.txt
PTXAS=$(command -v ptxas || ls /usr/local/cuda/bin/ptxas 2>/dev/null | head -1); echo "ptxas: $PTXAS" >> $o/times.txt
(bash .gpu/run.sh Perf --help > /dev/null 2>&1)
TD="env DOTNET_ROOT=/tmp/gpu-dotnet /tmp/gpu-dotnet/dotnet /tmp/gpu-app/Tests/ILGPUInt8.Tests.dll"
ILGPUINT8_TACTICS=off timeout $(left 110) $TD -class ILGPUInt8.Tests.Convolution.ConvWgmmaHaloTests -class ILGPUInt8.Tests.Convolution.ConvStemFoldTests -class ILGPUInt8.Tests.Networks.StemConvolutionTests -trait Category=Gpu -reporter verbose > $o/tests.log 2>&1; el tests
ILGPUINT8_TACTICS=off timeout $(left 40) $TD -method "ILGPUInt8.Tests.Convolution.ConvFloatTests.Fp16_halo_tile_convolution_matches_reference_on_gpu" -reporter verbose > $o/tests-fp16.log 2>&1; el tests-fp16
pack
timeout $(left 60) bash .gpu/run.sh Perf conv --only halo --halo-ablate --layer r18 --repeats 5 --out $o/conv > $o/conv.log 2>&1; el conv
pack
timeout $(left 30) bash .gpu/run.sh Perf conv --only stem --repeats 5 --out $o/stem > $o/stem.log 2>&1; el stem
pack
timeout $(left 40) bash .gpu/run.sh Perf ptx --only halo --ptxas "$PTXAS" --out $o/ptx > $o/ptx.log 2>&1; el ptx
pack
PYTHONUNBUFFERED=1 timeout $(left 80) python3 Perf/peers/engine_peers.py $o/peers.json --compile --no-autotune --nets resnet18 > $o/engine-peers.log 2>&1; el peers
pack
timeout $(left 130) bash .gpu/run.sh Perf engine --cases resnet18 --precisions int8,fp16 --out $o/engine --repeats 5 --peers $o/peers.json > $o/engine.log 2>&1; el engine
pack
S="--section SpeedOfLight --section Occupancy --section LaunchStats --section SchedulerStats --section WarpStateStats --section InstructionStats --section SourceCounters"
f=$o/ncu-r18_64
timeout $(left 120) $NCU --clock-control none --target-processes all $S -o $f bash .gpu/run.sh Perf conv --only halo --layer "r18 3x3 64@56" --repeats 1 > $f.log 2>&1; el ncu
$NCU --import $f.ncu-rep --page details > $f.details.txt 2>&1
$NCU --import $f.ncu-rep --page source --csv --print-source sass > $f.sass.csv 2>&1
pack
cat $o/times.txt; grep -E "Total:|\[FAIL\]" $o/tests*.log | tail -6; grep -iE "serializ|registers|spill" $o/ptx.log $o/ptx/ptx/*.ptxas.txt | cut -c1-220 | head -8; grep -E "fold" $o/stem.log | head -2; grep -E "^  conv " $o/conv.log | head -30; grep -E "^  engine         resnet18|best peer" $o/engine.log | head -20
