#!/usr/bin/env bash
# The whole GPU sweep in one device call (packed first here with ../shared/tools/gpu-pack.sh Tests Perf):
#   GPU tests, the torch peers, then the Perf suite with ratios to the peers measured in the same call.
# Usage on the GPU machine: bash Perf/device-sweep.sh OUT_DIR [BENCHMARKS...]
# Everything lands in OUT_DIR/sweep/ and, packed, in OUT_DIR/sweep.tgz (the device tool returns a few files only).
set -uo pipefail
top=${1:?usage: device-sweep.sh OUT_DIR [BENCHMARKS...]}; shift
benchmarks=${*:-all}
out="$top/sweep"
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > "$out/gpu.txt" 2>&1
# ptxas/cuobjdump for the `ptx` benchmark's register and SASS report, where the machine has them.
ptxas=$(command -v ptxas || find / -name ptxas -type f -perm -u+x 2>/dev/null | head -1)
[ -n "$ptxas" ] && export PATH="$(dirname "$ptxas"):$PATH"
bash .gpu/run.sh Tests -trait "Category=Gpu" > "$out/gpu-tests.log" 2>&1
grep -E "Total:|\[FAIL\]" "$out/gpu-tests.log" | tail -20
PYTHONUNBUFFERED=1 python3 Perf/peers/gemm_conv_peers.py "$out/peers.json" > "$out/peers.log" 2>&1 || echo "peer script failed: see peers.log"
PYTHONUNBUFFERED=1 python3 Perf/peers/engine_peers.py "$out/peers.json" --append > "$out/engine-peers.log" 2>&1 || echo "engine peer script failed: see engine-peers.log"
# shellcheck disable=SC2086
bash .gpu/run.sh Perf $benchmarks --out "$out" --repeats 7 --peers "$out/peers.json" > "$out/perf.log" 2>&1
grep -v "^\s*at " "$out/perf.log" | sed -n '/^benchmark /,$p'
tar -C "$top" -czf "$top/sweep.tgz" sweep && rm -rf "$out"
