#!/usr/bin/env bash
# Session 19 call 2 (deadline 150 s; no peers, A/B only): INT8 engine with residual-sum fusion flipped; FP16 engine with
# the halo kernel off / on.
set -u
cd "$(dirname "$0")/.."
o=/tmp/s19c2; mkdir -p $o; t0=$(date +%s); el() { echo "$1: $(( $(date +%s) - t0 )) s" >> $o/times.txt; }
left() { local l=$(( 150 - ($(date +%s) - t0) )); [ $l -lt $1 ] && echo $l || echo $1; }
pack() { tar -C /tmp -czf $OUT/s19c2.tgz s19c2; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $o/gpu.txt 2>&1
timeout $(left 60) bash .gpu/run.sh Perf engine --cases resnet18 --precisions int8 --residual-ab --out $o/engine --repeats 5 > $o/engine.log 2>&1; el engine
pack
timeout $(left 40) bash .gpu/run.sh Perf engine --cases resnet18 --precisions fp16 --out $o/fp16 --repeats 5 > $o/fp16.log 2>&1; el fp16
pack
ILGPUINT8_FP16_HALO=on timeout $(left 40) bash .gpu/run.sh Perf engine --cases resnet18 --precisions fp16 --out $o/fp16halo --repeats 5 > $o/fp16halo.log 2>&1; el fp16halo
pack
cat $o/times.txt; grep -E "^  engine         resnet18|residual" $o/engine.log $o/fp16.log $o/fp16halo.log | head -30
